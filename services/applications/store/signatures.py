"""Signatures, each bound to the content hash it was made on."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.db import driver_connection
from services.applications.domain.signing import Signature

FIELDS = ("role", "personal_number", "content_hash", "signed_at", "method")  # as the queries name them


def signatures_from(rows: Any) -> list[Signature]:
    """Signatures from rows (or lists) of FIELDS, oldest first; none for no rows (or NULL)."""
    return [Signature.model_validate(dict(zip(FIELDS, r, strict=True))) for r in rows or ()]


async def add_signature(session: AsyncSession, case_id: uuid.UUID, signature: Signature, recorded_by: str) -> None:
    await session.execute(text(
        "INSERT INTO signatures (id, case_id, role, personal_number, content_hash, signed_at, method, recorded_by) "
        "VALUES (:id, :c, :role, :pnr, :hash, :at, :method, :by) "
        "ON CONFLICT (case_id, role, content_hash) DO NOTHING"),
        {"id": uuid.uuid4(), "c": case_id, "role": signature.role.value, "pnr": signature.personal_number.value,
         "hash": signature.content_hash, "at": signature.signed_at, "method": signature.method, "by": recorded_by})


async def signatures(session: AsyncSession, case_id: uuid.UUID) -> list[Signature]:
    rows = await (await driver_connection(session)).fetch(_SIGNATURES, case_id)
    return signatures_from(rows)


_SIGNATURES = ("SELECT role, personal_number, content_hash, signed_at, method FROM signatures WHERE case_id = $1 "
               "ORDER BY signed_at, role")  # (the same order as the case read with its signatures)
