"""External participants' one-time join links (stored as hashes only)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.meetings.domain.bookings import (
    ExternalRole,
)
from services.meetings.domain.links import JoinGrant


async def insert_grant(session: AsyncSession, grant: JoinGrant, organisation: str | None) -> None:
    await session.execute(text(
        "INSERT INTO join_grants (id, booking_id, role, organisation, token_hash) VALUES (:id, :b, :r, :o, :h)"),
        {"id": grant.id, "b": grant.booking_id, "r": grant.role.value, "o": organisation, "h": grant.token_hash})


async def grant_by_hash(session: AsyncSession, token_hash: str) -> JoinGrant | None:
    row = (await session.execute(text(
        "SELECT id, booking_id, role, token_hash, used_at, revoked_at FROM join_grants WHERE token_hash = :h"),
        {"h": token_hash})).first()
    if row is None:
        return None
    return JoinGrant(id=row.id, booking_id=row.booking_id, role=ExternalRole(row.role), token_hash=row.token_hash,
                     used_at=row.used_at, revoked_at=row.revoked_at)


async def redeem_grant(session: AsyncSession, grant_id: uuid.UUID, now: dt.datetime) -> bool:
    """True for the one join that wins; a racing second one finds used_at set (a revoked link never wins)."""
    result = await session.execute(text(
        "UPDATE join_grants SET used_at = :now WHERE id = :id AND used_at IS NULL AND revoked_at IS NULL "
        "RETURNING id"), {"now": now, "id": grant_id})
    return result.first() is not None


async def revoke_grants(session: AsyncSession, booking_id: uuid.UUID, now: dt.datetime) -> None:
    await session.execute(text(
        "UPDATE join_grants SET revoked_at = :now WHERE booking_id = :b AND revoked_at IS NULL"),
        {"now": now, "b": booking_id})


async def revoke_grant(session: AsyncSession, booking_id: uuid.UUID, grant_id: uuid.UUID,
                       now: dt.datetime) -> bool | None:
    """Withdraw one participant's link. None: no such (unrevoked) participant of the booking; else whether they
    had joined (and so hold the room's URL)."""
    row = (await session.execute(text(
        "UPDATE join_grants SET revoked_at = :now WHERE id = :id AND booking_id = :b AND revoked_at IS NULL "
        "RETURNING used_at"), {"now": now, "id": grant_id, "b": booking_id})).first()
    return None if row is None else row.used_at is not None
