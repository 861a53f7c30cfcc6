"""Clients: the protected identity their own tokens claimed, and their own caseworkers in a unit."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.meetings.domain.rules import ClientRelation

# protected_clients: the clients whose OWN token claimed protected identity (it may only tighten the owner's
# answer). Not the source of truth: that is the registers service (protection.py).

async def is_protected(session: AsyncSession, personal_number: str) -> bool:
    """Whether the client's own token once claimed protected identity."""
    return bool((await session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM protected_clients WHERE personal_number = :p)"),
        {"p": personal_number})).scalar_one())


async def claimed_among(session: AsyncSession, personal_numbers: Iterable[str]) -> frozenset[str]:
    rows = (await session.execute(text(
        "SELECT personal_number FROM protected_clients WHERE personal_number = ANY(CAST(:p AS text[]))"),
        {"p": sorted(set(personal_numbers))})).all()
    return frozenset(r.personal_number for r in rows)


async def remember_claim(session: AsyncSession, personal_number: str) -> None:
    await session.execute(text("INSERT INTO protected_clients (personal_number) VALUES (:p) ON CONFLICT DO NOTHING"),
                          {"p": personal_number})


async def client_relation(session: AsyncSession, personal_number: str, unit_id: str) -> ClientRelation:
    """The client's own caseworkers in the unit: the leads of their bookings there that were held or are still
    booked (this service has no case data; the first meeting decides who the client goes on meeting)."""
    rows = (await session.execute(text(
        "SELECT DISTINCT caseworker_id FROM bookings WHERE client_personal_number = :p AND unit_id = :u "
        "AND status = 'booked' AND (outcome IS NULL OR outcome = 'held')"),
        {"p": personal_number, "u": unit_id})).all()
    own = frozenset(r.caseworker_id for r in rows)
    return ClientRelation(own_caseworker_ids=own, has_met_unit=bool(own),
                          protected_identity=await is_protected(session, personal_number))
