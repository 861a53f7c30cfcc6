"""Representations (ombud): who may act for whom, within which scopes, until which day."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession


@dataclass
class RepresentationRecord:
    id: uuid.UUID
    client_pnr: str = field(repr=False)
    client_name: str | None = field(repr=False)
    representative_pnr: str = field(repr=False)
    representative_name: str | None = field(repr=False)
    kind: str
    scopes: list[str]
    valid_from: dt.date
    valid_until: dt.date
    document: str = field(repr=False)
    unit: str | None
    registered_by: str
    registered_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_by: str | None

    def holds_on(self, day: dt.date) -> bool:
        return self.revoked_at is None and self.valid_from <= day <= self.valid_until


async def insert(session: AsyncSession, r: RepresentationRecord) -> None:
    await session.execute(text(
        "INSERT INTO representations (id, client_pnr, client_name, representative_pnr, representative_name, kind, "
        "scopes, valid_from, valid_until, document, unit, registered_by, registered_at) VALUES (:id, :c, :cn, :r, "
        ":rn, :kind, :scopes, :vf, :vu, :doc, :unit, :by, :at)"),
        {"id": r.id, "c": r.client_pnr, "cn": r.client_name, "r": r.representative_pnr, "rn": r.representative_name,
         "kind": r.kind, "scopes": r.scopes, "vf": r.valid_from, "vu": r.valid_until, "doc": r.document,
         "unit": r.unit, "by": r.registered_by, "at": r.registered_at})


async def get(session: AsyncSession, representation_id: uuid.UUID, *, lock: bool = False
              ) -> RepresentationRecord | None:
    row = (await session.execute(text(
        "SELECT * FROM representations WHERE id = :id" + (" FOR UPDATE" if lock else "")),  # noqa: S608 - fixed text
        {"id": representation_id})).mappings().first()
    return None if row is None else RepresentationRecord(**row)


async def holding(session: AsyncSession, representation_id: uuid.UUID, representative: str, day: dt.date
                  ) -> RepresentationRecord | None:
    """The representation if it is this representative's and holds on ``day`` (not revoked); else None."""
    row = (await session.execute(text(
        "SELECT * FROM representations WHERE id = :id AND representative_pnr = :r AND revoked_at IS NULL "
        "AND valid_from <= :day AND valid_until >= :day"),
        {"id": representation_id, "r": representative, "day": day})).mappings().first()
    return None if row is None else RepresentationRecord(**row)


async def of_client(session: AsyncSession, client: str, limit: int = 200) -> list[RepresentationRecord]:
    rows = (await session.execute(text(
        "SELECT * FROM representations WHERE client_pnr = :c ORDER BY registered_at DESC, id LIMIT :limit"),
        {"c": client, "limit": limit})).mappings()
    return [RepresentationRecord(**r) for r in rows]


async def holding_for_client(session: AsyncSession, client: str, day: dt.date) -> list[RepresentationRecord]:
    rows = (await session.execute(text(
        "SELECT * FROM representations WHERE client_pnr = :c AND revoked_at IS NULL AND valid_until >= :day "
        "ORDER BY valid_from, id"), {"c": client, "day": day})).mappings()
    return [RepresentationRecord(**r) for r in rows]


async def holding_by_representative(session: AsyncSession, representative: str, day: dt.date
                                    ) -> list[RepresentationRecord]:
    """Those not revoked and not ended (also those that start later: the representative may know of them)."""
    rows = (await session.execute(text(
        "SELECT * FROM representations WHERE representative_pnr = :r AND revoked_at IS NULL AND valid_until >= :day "
        "ORDER BY valid_from, id"), {"r": representative, "day": day})).mappings()
    return [RepresentationRecord(**r) for r in rows]


async def revoke(session: AsyncSession, representation_id: uuid.UUID, by: str, now: dt.datetime) -> None:
    await session.execute(text(
        "UPDATE representations SET revoked_at = :now, revoked_by = :by WHERE id = :id AND revoked_at IS NULL"),
        {"id": representation_id, "by": by, "now": now})


async def latest_applicant_name(session: AsyncSession, client: str) -> str | None:
    """The client's name as written in their newest application they applied in (if they wrote it)."""
    name = (await session.execute(text(
        "SELECT content->'household'->'applicant'->>'name' FROM cases WHERE applicant_pnr = :c "
        "AND anonymised_at IS NULL ORDER BY period DESC, created_at DESC LIMIT 1"), {"c": client})).scalar()
    return name or None


async def involving(session: AsyncSession, person: str) -> list[RepresentationRecord]:
    """Every representation the person is the client or the representative of (for their register extract)."""
    rows = (await session.execute(text(
        "SELECT * FROM representations WHERE client_pnr = :p OR representative_pnr = :p "
        "ORDER BY registered_at, id"), {"p": person})).mappings()
    return [RepresentationRecord(**r) for r in rows]
