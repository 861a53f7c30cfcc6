"""Attachments (sniffed, limited, hashed, stored whole or not at all) and the caseworker's requested documents."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Header, Request, UploadFile
from fastapi.responses import JSONResponse
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from kit.db import session as db_session
from kit.problems import Problem, not_found
from services.applications import store
from services.applications.api import common, deps, schemas
from services.applications.api.deps import CaseContext
from services.applications.domain.access import Section
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

router = APIRouter(tags=["attachments and documents"])

CHUNK = 64 * 1024
CLOSED = frozenset({CaseStatus.WITHDRAWN, CaseStatus.PAID})
Category = Literal["bank_statements", "rental_contract", "medical_certificate", "pay_slip", "other"]


def _filename(raw: str | None, media_type: str) -> str:
    """A safe display name: the client's name without path or odd characters, the sniffed extension."""
    stem = re.sub(r"[^\w .()-]", "_", (raw or "file").rsplit("/", 1)[-1].rsplit("\\", 1)[-1])
    stem = stem.rsplit(".", 1)[0].strip(" .")[:100] or "file"
    return f"{stem}.{EXTENSIONS[media_type]}"


def _uploader(ctx: CaseContext) -> None:
    if not (ctx.is_party or ctx.role is ActorRole.CASEWORKER):
        raise Problem(403, "case-role-not-allowed", "You may not add files", "Applicants and caseworkers add files.")
    if ctx.case.status in CLOSED:
        raise Problem(409, "application-closed", "The case is closed", "Files can no longer be added.")


async def _read_limited(file: UploadFile, limit: int) -> tuple[bytes, str]:
    """Read in chunks while hashing; stop as soon as the file is over the limit (never hold more than that)."""
    digest = hashlib.sha256()
    buffer = bytearray()
    while chunk := await file.read(CHUNK):
        buffer += chunk
        if len(buffer) > limit:
            raise AttachmentRejected(f"A file may be at most {limit // (1024 * 1024)} MB.",
                                     code="attachment-too-large", status=413)
        digest.update(chunk)
    return bytes(buffer), digest.hexdigest()


@router.post("/applications/{case_id}/attachments", status_code=201, response_model=schemas.AttachmentOut,
             summary="Upload a PDF, JPEG or PNG (type read from the bytes, at most 10 MB, 30 per application)")
async def upload(request: Request, file: UploadFile, category: Annotated[Category, Form()] = "other",
                 idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
                 ctx: CaseContext = Depends(deps.locked_case),
                 session: AsyncSession = Depends(db_session)) -> JSONResponse:
    ctx.require(Section.ATTACHMENTS)
    _uploader(ctx)
    settings = deps.settings_of(request)
    content, sha = await _read_limited(file, settings.attachment_max_bytes)
    scope = f"{ctx.principal.sub}:attachments:{ctx.case.id}"
    if (answer := await common.claim(session, scope, idempotency_key,
                                     {"sha256": sha, "category": category, "name": file.filename})) is not None:
        return answer
    existing = await store.count_attachments(session, ctx.case.id)  # under the case lock: no race past 30
    media_type = check_upload(content[:SNIFF_BYTES], len(content), existing)
    if existing >= settings.max_attachments:
        raise AttachmentRejected(f"At most {settings.max_attachments} files per application.",
                                 code="attachment-too-many", status=409)
    # Metadata and bytes in one transaction: a crash before commit leaves neither.
    meta = await store.add_attachment(session, case_id=ctx.case.id, uploaded_by=ctx.principal.sub,
                                      filename=_filename(file.filename, media_type), media_type=media_type,
                                      sha256=sha, category=category, content=content, now=deps.clock(request))
    ctx.audit_change(session, "upload", "attachment", attachment_id=str(meta.id))
    out = schemas.attachment_out(meta)
    await common.complete(session, scope, idempotency_key, 201, out)
    await session.commit()
    return JSONResponse(out, status_code=201)


@router.get("/applications/{case_id}/attachments", response_model=schemas.AttachmentList,
            summary="The application's files (metadata)")
async def list_attachments(ctx: CaseContext = Depends(deps.readable_case),
                           session: AsyncSession = Depends(db_session)) -> JSONResponse:
    ctx.require(Section.ATTACHMENTS)
    items = await store.list_attachments(session, ctx.case.id)
    ctx.audit_read(session, "attachments", "case handling")
    await session.commit()
    return JSONResponse({"items": [schemas.attachment_out(a) for a in items]})


def _disposition(name: str) -> str:
    fallback = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


@router.get("/applications/{case_id}/attachments/{attachment_id}", response_class=Response,
            responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
            summary="Download a file (always as a download, never shown inline)")
async def download(attachment_id: uuid.UUID, ctx: CaseContext = Depends(deps.readable_case),
                   session: AsyncSession = Depends(db_session)) -> Response:
    ctx.require(Section.ATTACHMENTS)
    found = await store.get_attachment(session, ctx.case.id, attachment_id)
    if found is None:
        raise not_found("attachment")
    meta, content = found
    digest = hashlib.sha256(content).digest()
    if digest.hex() != meta.sha256:  # guards our own bugs and storage faults
        raise Problem(500, "attachment-corrupt", "Internal error", "The stored file does not match its checksum.")
    ctx.audit_read(session, "attachment", "case handling", str(attachment_id))
    await session.commit()
    return Response(content, media_type=meta.media_type, headers={
        "Content-Disposition": _disposition(meta.filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
        "Repr-Digest": f"sha-256=:{base64.b64encode(digest).decode()}:",
    })


# --- requested documents ------------------------------------------------------------------------------------

@router.post("/applications/{case_id}/document-requests", status_code=201, response_model=schemas.DocumentOut,
             summary="Caseworker: ask for a document (bank statements, rental contract, ...)")
async def request_document(body: schemas.DocumentAsk, request: Request,
                           ctx: CaseContext = Depends(deps.locked_case),
                           session: AsyncSession = Depends(db_session)) -> JSONResponse:
    ctx.require(Section.DOCUMENT_REQUESTS)
    ctx.require_role(ActorRole.CASEWORKER)
    if ctx.case.status in CLOSED or ctx.case.status is CaseStatus.DRAFT:
        raise Problem(409, "application-closed", "Documents cannot be requested now",
                      "Documents are requested for submitted cases.", state=ctx.case.status.value)
    try:
        req = DocumentRequest(type=body.type, text=body.text)
    except ValueError as exc:
        raise Problem(422, "document-request-invalid", "Invalid document request", str(exc).split("\n")[-1]) from None
    request_id = await store.add_document_request(session, ctx.case.id, req, requested_by=ctx.principal.sub,
                                                  due_date=ctx.case.info_due, now=deps.clock(request))
    ctx.audit_change(session, "request-document", "document_request", type=body.type.value)
    found = await store.get_document_request(session, ctx.case.id, request_id)
    assert found is not None
    await session.commit()
    return JSONResponse(schemas.document_out(found), status_code=201)


@router.get("/applications/{case_id}/document-requests", response_model=schemas.DocumentList,
            summary="The documents asked for, with status per item")
async def list_documents(ctx: CaseContext = Depends(deps.readable_case),
                         session: AsyncSession = Depends(db_session)) -> JSONResponse:
    ctx.require(Section.DOCUMENT_REQUESTS)
    items = await store.document_requests(session, ctx.case.id)
    ctx.audit_read(session, "document_requests", "case handling")
    await session.commit()
    return JSONResponse({"items": [schemas.document_out(d) for d in items]})


_ACTOR = {ActorRole.CLIENT: "client", ActorRole.CO_APPLICANT: "co_applicant", ActorRole.CASEWORKER: "caseworker"}


@router.post("/applications/{case_id}/document-requests/{request_id}/{step}", response_model=schemas.DocumentOut,
             summary="receive (client or caseworker: the uploaded file), approve or reject (caseworker, with reason)")
async def document_step(request_id: uuid.UUID, step: DocumentEvent, request: Request,
                        body: schemas.DocumentStepIn | None = None, ctx: CaseContext = Depends(deps.locked_case),
                        session: AsyncSession = Depends(db_session)) -> JSONResponse:
    ctx.require(Section.DOCUMENT_REQUESTS)
    body = body or schemas.DocumentStepIn()
    actor = _ACTOR.get(ctx.role) if ctx.role else None
    if actor is None:
        raise Problem(403, "document-role-not-allowed", "You may not take that step", "Not for your role.")
    doc = await store.get_document_request(session, ctx.case.id, request_id, lock=True)
    if doc is None:
        raise not_found("document request")
    target = document_transition(doc.request.status, step, actor)  # type: ignore[arg-type]
    attachment_id: uuid.UUID | None = None
    reason: str | None = None
    if step is DocumentEvent.RECEIVE:
        if body.attachment_id is None:
            raise Problem(422, "attachment-required", "Say which file answers the request",
                          "Give attachment_id of a file uploaded to this application.")
        attachment_id = body.attachment_id
        if await store.get_attachment(session, ctx.case.id, attachment_id) is None:
            raise not_found("attachment")
    if step is DocumentEvent.REJECT:
        if not body.reason:
            raise Problem(422, "rejection-reason-required", "Say why the document was rejected",
                          "Give a reason, so the client knows what to send.")
        reason = body.reason
    await store.update_document_request(session, doc.id, status=target, rejection_reason=reason,
                                        attachment_id=attachment_id, now=deps.clock(request))
    ctx.audit_change(session, f"document-{step.value}", "document_request", request_id=str(doc.id))
    found = await store.get_document_request(session, ctx.case.id, doc.id)
    assert found is not None
    await session.commit()
    return JSONResponse(schemas.document_out(found))


__all__ = ["router", "DocumentType"]
