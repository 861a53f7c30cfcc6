"""Attachments: uploaded to a thread first, linked to the sender's next message, swept when never sent."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.messaging.store.crypto import Keyring, aad


@dataclass
class AttachmentMeta:
    id: uuid.UUID
    filename: str
    media_type: str
    size: int
    sha256: str
    message_id: uuid.UUID | None = None
    uploaded_by: str = ""


def attachment_meta(keyring: Keyring, m: Any) -> AttachmentMeta:
    return AttachmentMeta(
        id=m["id"], filename=keyring.open_text(m["key_id"], m["filename"], aad("attachments", "filename", m["id"])),
        media_type=m["media_type"], size=m["size"], sha256=m["sha256"], message_id=m["message_id"],
        uploaded_by=m["uploaded_by"])

async def count_pending(session: AsyncSession, thread_id: uuid.UUID, uploaded_by: str) -> int:
    return int((await session.execute(text(
        "SELECT count(*) FROM attachments WHERE thread_id = :t AND uploaded_by = :u AND message_id IS NULL"),
        {"t": thread_id, "u": uploaded_by})).scalar_one())


async def add_attachment(session: AsyncSession, keyring: Keyring, *, thread_id: uuid.UUID, uploaded_by: str,
                         filename: str, media_type: str, content: bytes, now: dt.datetime) -> AttachmentMeta:
    attachment_id = uuid.uuid4()
    digest = hashlib.sha256(content).hexdigest()  # of the plaintext: the client can check what it sent
    await session.execute(text(
        "INSERT INTO attachments (id, thread_id, uploaded_by, key_id, filename, media_type, size, sha256, content, "
        "created_at) VALUES (:id, :t, :u, :k, :f, :mt, :size, :sha, :c, :now)"),
        {"id": attachment_id, "t": thread_id, "u": uploaded_by, "k": keyring.current_kid,
         "f": keyring.seal_text(filename, aad("attachments", "filename", attachment_id)),
         "mt": media_type, "size": len(content), "sha": digest,
         "c": keyring.seal(content, aad("attachments", "content", attachment_id)), "now": now})
    return AttachmentMeta(attachment_id, filename, media_type, len(content), digest, None, uploaded_by)


async def link_attachments(session: AsyncSession, keyring: Keyring, *, thread_id: uuid.UUID,
                           message_id: uuid.UUID, ids: list[uuid.UUID], uploaded_by: str) -> list[AttachmentMeta]:
    """Attach the sender's own pending uploads in this thread to the message, in the order given; the caller
    compares the count to see whether all of them were."""
    if not ids:
        return []
    rows = (await session.execute(text(
        "UPDATE attachments SET message_id = :m, position = array_position(CAST(:ids AS uuid[]), id) "
        "WHERE id = ANY(CAST(:ids AS uuid[])) AND thread_id = :t AND uploaded_by = :u AND message_id IS NULL "
        "RETURNING id, message_id, uploaded_by, key_id, filename, media_type, size, sha256, position"),
        {"m": message_id, "ids": ids, "t": thread_id, "u": uploaded_by})).all()
    return [attachment_meta(keyring, r._mapping) for r in sorted(rows, key=lambda r: r.position)]


@dataclass
class AttachmentFile:
    meta: AttachmentMeta
    content: bytes = field(repr=False)
    retracted: bool


async def get_attachment(session: AsyncSession, keyring: Keyring, thread_id: uuid.UUID,
                         attachment_id: uuid.UUID) -> AttachmentFile | None:
    row = (await session.execute(text(
        "SELECT a.*, m.retracted_at FROM attachments a LEFT JOIN messages m ON m.id = a.message_id "
        "WHERE a.id = :id AND a.thread_id = :t"), {"id": attachment_id, "t": thread_id})).first()
    if row is None:
        return None
    m = row._mapping
    content = keyring.open(m["key_id"], m["content"], aad("attachments", "content", m["id"]))
    return AttachmentFile(attachment_meta(keyring, m), content, m["retracted_at"] is not None)


async def sweep_pending_attachments(session: AsyncSession, older_than: dt.datetime) -> int:
    """Uploads never sent with a message are dropped after a day (they were never part of the record)."""
    result = await session.execute(text(
        "DELETE FROM attachments WHERE message_id IS NULL AND created_at < :t"), {"t": older_than})
    return result.rowcount  # type: ignore[attr-defined, no-any-return]
