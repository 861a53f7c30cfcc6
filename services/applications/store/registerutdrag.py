"""Register extracts (registerutdrag): the request, who answered, the gathered extract until it is purged."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.applications.store.sql import to_json


@dataclass
class ExtractRecord:
    id: uuid.UUID
    personal_number: str = field(repr=False)
    requested_by: str
    requested_via: str  # client, staff
    unit: str | None
    protected_identity: bool
    status: str
    services: list[dict[str, Any]]
    extract: dict[str, Any] | None = field(repr=False)
    requested_at: dt.datetime
    expires_at: dt.datetime
    purged_at: dt.datetime | None


async def insert(session: AsyncSession, record: ExtractRecord) -> None:
    await session.execute(text(
        "INSERT INTO registerutdrag (id, personal_number, requested_by, requested_via, unit, protected_identity, "
        "status, services, extract, requested_at, expires_at) VALUES (:id, :p, :by, :via, :unit, :prot, :status, "
        "CAST(:services AS jsonb), CAST(:extract AS jsonb), :at, :exp)"),
        {"id": record.id, "p": record.personal_number, "by": record.requested_by, "via": record.requested_via,
         "unit": record.unit, "prot": record.protected_identity, "status": record.status,
         "services": to_json(record.services), "extract": to_json(record.extract), "at": record.requested_at,
         "exp": record.expires_at})


async def get(session: AsyncSession, extract_id: uuid.UUID) -> ExtractRecord | None:
    row = (await session.execute(text("SELECT * FROM registerutdrag WHERE id = :id"), {"id": extract_id})).mappings()
    found = row.first()
    return None if found is None else ExtractRecord(**found)


async def recent(session: AsyncSession, personal_number: str, requested_by: str, via: str,
                 since: dt.datetime) -> ExtractRecord | None:
    """The newest extract about the person this requester asked for since then, still kept."""
    row = (await session.execute(text(
        "SELECT * FROM registerutdrag WHERE personal_number = :p AND requested_by = :by AND requested_via = :via "
        "AND requested_at > :since AND purged_at IS NULL ORDER BY requested_at DESC LIMIT 1"),
        {"p": personal_number, "by": requested_by, "via": via, "since": since})).mappings().first()
    return None if row is None else ExtractRecord(**row)


async def of_person(session: AsyncSession, personal_number: str, limit: int = 100) -> list[ExtractRecord]:
    rows = (await session.execute(text(
        "SELECT * FROM registerutdrag WHERE personal_number = :p ORDER BY requested_at DESC LIMIT :limit"),
        {"p": personal_number, "limit": limit})).mappings()
    return [ExtractRecord(**r) for r in rows]


async def purge_expired(session: AsyncSession, now: dt.datetime) -> int:
    """Drop the gathered extracts whose time is up; the request rows stay (who asked, when, who answered)."""
    result = await session.execute(text(
        "UPDATE registerutdrag SET extract = NULL, purged_at = :now WHERE purged_at IS NULL AND expires_at <= :now"),
        {"now": now})
    return int(result.rowcount)  # type: ignore[attr-defined]
