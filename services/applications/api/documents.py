"""Attachments (sniffed, limited, hashed, stored whole or not at all) and the caseworker's requested documents."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, UploadFile
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from kit.db import session as db_session
from kit.idempotency import Idempotency, StoredAnswer
from kit.representation import Scope, acts_for
from kit.responses import JSONResponse
from services.applications.api import deps, schemas
from services.applications.api.answers import replay
from services.applications.domain.access import Section
from services.applications.domain.attachments import AttachmentRejected, DocumentEvent, DocumentType
from services.applications.domain.lifecycle import ActorRole
from services.applications.service import documents
from services.applications.service.context import CaseContext

router = APIRouter(tags=["attachments and documents"])

CHUNK = 64 * 1024
Category = Literal["bank_statements", "rental_contract", "medical_certificate", "pay_slip", "other"]


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
@acts_for(Scope.APPLY)
async def upload(file: UploadFile, category: Annotated[Category, Form()] = "other",
                 ctx: CaseContext = Depends(deps.upload_case), session: AsyncSession = Depends(db_session),
                 idem: Idempotency = Depends(deps.idempotency_undescribed)) -> JSONResponse:
    content, sha = await _read_limited(file, ctx.runtime.settings.attachment_max_bytes)
    out = await documents.add_attachment(session, ctx, idem, content=content, sha256=sha, category=category,
                                         name=file.filename)
    return replay(out) if isinstance(out, StoredAnswer) else JSONResponse(out, status_code=201)


@router.get("/applications/{case_id}/attachments", response_model=schemas.AttachmentList,
            summary="The application's files (metadata)")
@acts_for(Scope.READ)
async def list_attachments(ctx: CaseContext = Depends(deps.case_part(Section.ATTACHMENTS)),
                           session: AsyncSession = Depends(db_session)) -> JSONResponse:
    return JSONResponse({"items": await documents.list_attachments(session, ctx)})


def _disposition(name: str) -> str:
    fallback = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


@router.get("/applications/{case_id}/attachments/{attachment_id}", response_class=Response,
            responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
            summary="Download a file (always as a download, never shown inline)")
@acts_for(Scope.READ)
async def download(attachment_id: uuid.UUID, ctx: CaseContext = Depends(deps.case_part(Section.ATTACHMENTS)),
                   session: AsyncSession = Depends(db_session)) -> Response:
    meta, content, digest = await documents.read_attachment(session, ctx, attachment_id)
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
async def request_document(body: schemas.DocumentAsk,
                           ctx: CaseContext = Depends(deps.case_part(Section.DOCUMENT_REQUESTS,
                                                                     ActorRole.CASEWORKER, lock=True)),
                           session: AsyncSession = Depends(db_session)) -> JSONResponse:
    return JSONResponse(await documents.request_document(session, ctx, body.type, body.text), status_code=201)


@router.get("/applications/{case_id}/document-requests", response_model=schemas.DocumentList,
            summary="The documents asked for, with status per item")
@acts_for(Scope.READ)
async def list_documents(ctx: CaseContext = Depends(deps.case_part(Section.DOCUMENT_REQUESTS)),
                         session: AsyncSession = Depends(db_session)) -> JSONResponse:
    return JSONResponse({"items": await documents.list_documents(session, ctx)})


@router.post("/applications/{case_id}/document-requests/{request_id}/{step}", response_model=schemas.DocumentOut,
             summary="receive (client or caseworker: the uploaded file), approve or reject (caseworker, with reason)")
@acts_for(Scope.APPLY)
async def document_step(request_id: uuid.UUID, step: DocumentEvent, body: schemas.DocumentStepIn | None = None,
                        ctx: CaseContext = Depends(deps.case_part(Section.DOCUMENT_REQUESTS, lock=True)),
                        session: AsyncSession = Depends(db_session)) -> JSONResponse:
    body = body or schemas.DocumentStepIn()
    return JSONResponse(await documents.document_step(session, ctx, request_id, step, body.attachment_id,
                                                      body.reason))


__all__ = ["router", "DocumentType"]
