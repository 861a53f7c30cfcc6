"""Attachments: metadata and bytes, stored whole in one transaction or not at all."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession


@dataclass
class AttachmentMeta:
    id: uuid.UUID
    case_id: uuid.UUID
    filename: str
    media_type: str
    size: int
    sha256: str
    category: str
    uploaded_by: str
    created_at: dt.datetime


async def count_attachments(session: AsyncSession, case_id: uuid.UUID) -> int:
    return int((await session.execute(text("SELECT count(*) FROM attachments WHERE case_id = :c"),
                                      {"c": case_id})).scalar_one())


async def add_attachment(session: AsyncSession, *, case_id: uuid.UUID, uploaded_by: str, filename: str,
                         media_type: str, sha256: str, category: str, content: bytes,
                         now: dt.datetime) -> AttachmentMeta:
    attachment_id = uuid.uuid4()
    await session.execute(text(
        "INSERT INTO attachments (id, case_id, uploaded_by, filename, media_type, size, sha256, category, created_at) "
        "VALUES (:id, :c, :by, :fn, :mt, :size, :sha, :cat, :now)"),
        {"id": attachment_id, "c": case_id, "by": uploaded_by, "fn": filename, "mt": media_type,
         "size": len(content), "sha": sha256, "cat": category, "now": now})
    await session.execute(text("INSERT INTO attachment_contents (attachment_id, content) VALUES (:id, :content)"),
                          {"id": attachment_id, "content": content})
    return AttachmentMeta(attachment_id, case_id, filename, media_type, len(content), sha256, category, uploaded_by,
                          now)


async def list_attachments(session: AsyncSession, case_id: uuid.UUID) -> list[AttachmentMeta]:
    rows = (await session.execute(text(
        "SELECT id, case_id, filename, media_type, size, sha256, category, uploaded_by, created_at FROM attachments "
        "WHERE case_id = :c ORDER BY created_at, id"), {"c": case_id})).all()
    return [AttachmentMeta(*r) for r in rows]


async def get_attachment(session: AsyncSession, case_id: uuid.UUID,
                         attachment_id: uuid.UUID) -> tuple[AttachmentMeta, bytes] | None:
    row = (await session.execute(text(
        "SELECT a.id, a.case_id, a.filename, a.media_type, a.size, a.sha256, a.category, a.uploaded_by, a.created_at, "
        "c.content FROM attachments a JOIN attachment_contents c ON c.attachment_id = a.id "
        "WHERE a.id = :id AND a.case_id = :c"), {"id": attachment_id, "c": case_id})).first()
    if row is None:
        return None
    return AttachmentMeta(*row[:9]), bytes(row[9])
