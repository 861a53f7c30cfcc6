"""Attachments (sniffed, limited, hashed, stored whole or not at all) and the caseworker's requested documents."""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from kit.idempotency import Idempotency, StoredAnswer
from kit.problems import Problem, not_found
from services.applications.domain.attachments import (
    EXTENSIONS,
    SNIFF_BYTES,
    AttachmentRejected,
    DocumentEvent,
    DocumentRequest,
    DocumentType,
    check_upload,
    document_transition,
)
from services.applications.domain.lifecycle import ActorRole, CaseStatus
from services.applications.service.context import CaseContext
from services.applications.service.views import attachment_out, document_out
from services.applications.store import attachments, documents
from services.applications.store.attachments import AttachmentMeta

CLOSED = frozenset({CaseStatus.WITHDRAWN, CaseStatus.PAID})


def _filename(raw: str | None, media_type: str) -> str:
    """A safe display name: the client's name without path or odd characters, the sniffed extension."""
    stem = re.sub(r"[^\w .()-]", "_", (raw or "file").rsplit("/", 1)[-1].rsplit("\\", 1)[-1])
    stem = stem.rsplit(".", 1)[0].strip(" .")[:100] or "file"
    return f"{stem}.{EXTENSIONS[media_type]}"


def check_uploader(ctx: CaseContext) -> None:
    """Applicants and caseworkers add files, while the case is open."""
    if not (ctx.is_party or ctx.role is ActorRole.CASEWORKER):
        raise Problem(403, "case-role-not-allowed", "You may not add files", "Applicants and caseworkers add files.")
    if ctx.case.status in CLOSED:
        raise Problem(409, "application-closed", "The case is closed", "Files can no longer be added.")


async def add_attachment(session: AsyncSession, ctx: CaseContext, idem: Idempotency, *, content: bytes, sha256: str,
                         category: str, name: str | None) -> dict[str, Any] | StoredAnswer:
    """Keep an uploaded file (already read within the size limit, ``sha256`` its hash) with the case."""
    scope = f"{ctx.principal.sub}:attachments:{ctx.case.id}"
    if (answer := await idem.claim(session, scope, {"sha256": sha256, "category": category,
                                                    "name": name})) is not None:
        return answer
    settings = ctx.runtime.settings
    existing = await attachments.count_attachments(session, ctx.case.id)  # under the case lock: no race past 30
    media_type = check_upload(content[:SNIFF_BYTES], len(content), existing)
    if existing >= settings.max_attachments:
        raise AttachmentRejected(f"At most {settings.max_attachments} files per application.",
                                 code="attachment-too-many", status=409)
    # Metadata and bytes in one transaction: a crash before commit leaves neither.
    meta = await attachments.add_attachment(session, case_id=ctx.case.id, uploaded_by=ctx.principal.sub,
                                            filename=_filename(name, media_type), media_type=media_type,
                                            sha256=sha256, category=category, content=content,
                                            now=ctx.runtime.now())
    ctx.audit_change(session, "upload", "attachment", attachment_id=str(meta.id))
    out = attachment_out(meta)
    await idem.complete(session, 201, out)
    await session.commit()
    return out


async def list_attachments(session: AsyncSession, ctx: CaseContext) -> list[dict[str, Any]]:
    items = await attachments.list_attachments(session, ctx.case.id)
    ctx.audit_read(session, "attachments", "case handling")
    await session.commit()
    return [attachment_out(a) for a in items]


async def read_attachment(session: AsyncSession, ctx: CaseContext,
                          attachment_id: uuid.UUID) -> tuple[AttachmentMeta, bytes, bytes]:
    """The file, its bytes and their SHA-256 digest (checked against the stored one); the read is audited."""
    found = await attachments.get_attachment(session, ctx.case.id, attachment_id)
    if found is None:
        raise not_found("attachment")
    meta, content = found
    digest = hashlib.sha256(content).digest()
    if digest.hex() != meta.sha256:  # guards our own bugs and storage faults
        raise Problem(500, "attachment-corrupt", "Internal error", "The stored file does not match its checksum.")
    ctx.audit_read(session, "attachment", "case handling", str(attachment_id))
    await session.commit()
    return meta, content, digest


# --- requested documents ----------------------------------------------------------------------------------------

async def request_document(session: AsyncSession, ctx: CaseContext, kind: DocumentType,
                           text: str | None) -> dict[str, Any]:
    """Ask for a document (bank statements, rental contract, ...) on a submitted case."""
    if ctx.case.status in CLOSED or ctx.case.status is CaseStatus.DRAFT:
        raise Problem(409, "application-closed", "Documents cannot be requested now",
                      "Documents are requested for submitted cases.", state=ctx.case.status.value)
    try:
        req = DocumentRequest(type=kind, text=text)
    except ValueError as exc:
        raise Problem(422, "document-request-invalid", "Invalid document request", str(exc).split("\n")[-1]) from None
    request_id = await documents.add_document_request(session, ctx.case.id, req, requested_by=ctx.principal.sub,
                                                      due_date=ctx.case.info_due, now=ctx.runtime.now())
    ctx.audit_change(session, "request-document", "document_request", type=kind.value)
    found = await documents.get_document_request(session, ctx.case.id, request_id)
    assert found is not None
    await session.commit()
    return document_out(found)


async def list_documents(session: AsyncSession, ctx: CaseContext) -> list[dict[str, Any]]:
    items = await documents.document_requests(session, ctx.case.id)
    ctx.audit_read(session, "document_requests", "case handling")
    await session.commit()
    return [document_out(d) for d in items]


_ACTOR = {ActorRole.CLIENT: "client", ActorRole.CO_APPLICANT: "co_applicant", ActorRole.CASEWORKER: "caseworker"}


async def document_step(session: AsyncSession, ctx: CaseContext, request_id: uuid.UUID, step: DocumentEvent,
                        attachment_id: uuid.UUID | None, reason: str | None) -> dict[str, Any]:
    """receive (the uploaded file that answers the request), approve or reject (with a reason)."""
    actor = _ACTOR.get(ctx.role) if ctx.role else None
    if actor is None:
        raise Problem(403, "document-role-not-allowed", "You may not take that step", "Not for your role.")
    doc = await documents.get_document_request(session, ctx.case.id, request_id, lock=True)
    if doc is None:
        raise not_found("document request")
    target = document_transition(doc.request.status, step, actor)  # type: ignore[arg-type]
    received: uuid.UUID | None = None
    why: str | None = None
    if step is DocumentEvent.RECEIVE:
        if attachment_id is None:
            raise Problem(422, "attachment-required", "Say which file answers the request",
                          "Give attachment_id of a file uploaded to this application.")
        received = attachment_id
        if await attachments.get_attachment(session, ctx.case.id, received) is None:
            raise not_found("attachment")
    if step is DocumentEvent.REJECT:
        if not reason:
            raise Problem(422, "rejection-reason-required", "Say why the document was rejected",
                          "Give a reason, so the client knows what to send.")
        why = reason
    await documents.update_document_request(session, doc.id, status=target, rejection_reason=why,
                                            attachment_id=received, now=ctx.runtime.now())
    ctx.audit_change(session, f"document-{step.value}", "document_request", request_id=str(doc.id))
    found = await documents.get_document_request(session, ctx.case.id, doc.id)
    assert found is not None
    await session.commit()
    return document_out(found)
