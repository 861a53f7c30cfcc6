"""The documents a caseworker asked for, each with its own small state."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.applications.domain.attachments import DocumentRequest, DocumentStatus, DocumentType


@dataclass
class DocumentRecord:
    id: uuid.UUID
    case_id: uuid.UUID
    request: DocumentRequest
    attachment_id: uuid.UUID | None
    requested_by: str
    requested_at: dt.datetime
    due_date: dt.date | None


async def add_document_request(session: AsyncSession, case_id: uuid.UUID, request: DocumentRequest, *,
                               requested_by: str, due_date: dt.date | None, now: dt.datetime) -> uuid.UUID:
    request_id = uuid.uuid4()
    await session.execute(text(
        "INSERT INTO document_requests (id, case_id, type, text, status, requested_by, requested_at, due_date, "
        "updated_at) VALUES (:id, :c, :type, :text, :status, :by, :now, :due, :now)"),
        {"id": request_id, "c": case_id, "type": request.type.value, "text": request.text,
         "status": request.status.value, "by": requested_by, "now": now, "due": due_date})
    return request_id


def _document(m: Any) -> DocumentRecord:
    return DocumentRecord(
        id=m["id"], case_id=m["case_id"],
        request=DocumentRequest(type=DocumentType(m["type"]), text=m["text"], status=DocumentStatus(m["status"]),
                                rejection_reason=m["rejection_reason"]),
        attachment_id=m["attachment_id"], requested_by=m["requested_by"], requested_at=m["requested_at"],
        due_date=m["due_date"])


async def document_requests(session: AsyncSession, case_id: uuid.UUID) -> list[DocumentRecord]:
    rows = (await session.execute(text(
        "SELECT * FROM document_requests WHERE case_id = :c ORDER BY seq"), {"c": case_id})).mappings()
    return [_document(r) for r in rows.all()]


async def get_document_request(session: AsyncSession, case_id: uuid.UUID, request_id: uuid.UUID,
                               *, lock: bool = False) -> DocumentRecord | None:
    row = (await session.execute(text(
        "SELECT * FROM document_requests WHERE id = :id AND case_id = :c"  # noqa: S608 - a constant suffix
        + (" FOR UPDATE" if lock else "")),
        {"id": request_id, "c": case_id})).mappings().first()
    return None if row is None else _document(row)


async def update_document_request(session: AsyncSession, request_id: uuid.UUID, *, status: DocumentStatus,
                                  rejection_reason: str | None, attachment_id: uuid.UUID | None,
                                  now: dt.datetime) -> None:
    await session.execute(text(
        "UPDATE document_requests SET status = :s, rejection_reason = :r, "
        "attachment_id = COALESCE(CAST(:a AS uuid), attachment_id), updated_at = :now WHERE id = :id"),
        {"s": status.value, "r": rejection_reason, "a": attachment_id, "now": now, "id": request_id})
