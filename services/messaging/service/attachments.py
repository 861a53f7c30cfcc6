"""Files: uploaded to a thread (sniffed, capped, hashed, sealed), sent with the uploader's next message,
downloaded by the thread's participants (an unsent one by its uploader only; a retracted one by staff only)."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from kit.problems import Problem, not_found
from services.messaging.domain import rules
from services.messaging.service.access import ThreadAccess
from services.messaging.service.runtime import Runtime
from services.messaging.store import attachments as attachments_store
from services.messaging.store.attachments import AttachmentFile, AttachmentMeta
from values.files import EXTENSIONS, SNIFF_BYTES, AttachmentRejected, check_upload

__all__ = ["AttachmentFile", "AttachmentMeta", "download", "upload"]

_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def _filename(raw: str | None, media_type: str) -> str:
    name = _UNSAFE_NAME.sub("_", (raw or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip(" .")[:200]
    return name or f"bilaga.{EXTENSIONS[media_type]}"


async def upload(session: AsyncSession, rt: Runtime, t: ThreadAccess, *, filename: str | None,
                 read: Callable[[int], Awaitable[bytes]]) -> AttachmentMeta:
    """``read``: the upload's reader; no more than the size cap (and one byte) is read."""
    settings = rt.settings
    pending = await attachments_store.count_pending(session, t.thread.id, t.party.sub)
    rules.check_attachment_count(pending + 1, settings.max_attachments_per_message)
    content = await read(settings.attachment_max_bytes + 1)
    if len(content) > settings.attachment_max_bytes:
        raise AttachmentRejected(f"A file may be at most {settings.attachment_max_bytes // (1024 * 1024)} MB.",
                                 code="attachment-too-large", status=413)
    media_type = check_upload(content[:SNIFF_BYTES], len(content), existing_count=0)
    meta = await attachments_store.add_attachment(session, rt.keyring, thread_id=t.thread.id,
                                                  uploaded_by=t.party.sub, filename=_filename(filename, media_type),
                                                  media_type=media_type, content=content, now=rt.now())
    await session.commit()
    return meta


async def download(session: AsyncSession, rt: Runtime, t: ThreadAccess,
                   attachment_id: uuid.UUID) -> tuple[AttachmentFile, bytes]:
    """The file and its SHA-256 digest (checked against the stored one), staff reads audited."""
    found = await attachments_store.get_attachment(session, rt.keyring, t.thread.id, attachment_id)
    if found is None:
        raise not_found("attachment")
    unsent_and_not_mine = found.meta.message_id is None and found.meta.uploaded_by != t.party.sub
    if unsent_and_not_mine or (found.retracted and not t.staff_view):
        raise not_found("attachment")
    digest = hashlib.sha256(found.content).digest()
    if digest.hex() != found.meta.sha256:  # GCM already authenticates; this guards our own bugs
        raise Problem(500, "attachment-corrupt", "Internal error", "The stored file does not match its checksum.")
    t.audit_read(session, "attachment", str(attachment_id))
    await session.commit()
    return found, digest
