"""Households and who belongs to one: the membership row is the lock of "which household am I in"."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession


async def household_of(session: AsyncSession, personal_number: str, *,
                       lock: bool = False) -> tuple[uuid.UUID, str] | None:
    """The person's household and its unit. ``lock``: hold the membership row (FOR SHARE) until commit, so the
    person cannot move to another household (join_household) while a case is being made in this one."""
    sql = ("SELECT h.id, h.unit FROM household_members m JOIN households h ON h.id = m.household_id "
           "WHERE m.personal_number = :p")
    row = (await session.execute(text(sql + (" FOR SHARE OF m" if lock else "")),
                                 {"p": personal_number})).first()
    return None if row is None else (row.id, row.unit)


async def create_household(session: AsyncSession, unit: str, members: list[str], now: dt.datetime) -> uuid.UUID:
    household_id = uuid.uuid4()
    await session.execute(text("INSERT INTO households (id, unit, created_at) VALUES (:id, :u, :now)"),
                          {"id": household_id, "u": unit, "now": now})
    for pnr in members:
        await session.execute(text(
            "INSERT INTO household_members (personal_number, household_id, since) VALUES (:p, :h, :now) "
            "ON CONFLICT (personal_number) DO NOTHING"), {"p": pnr, "h": household_id, "now": now})
    return household_id


async def is_member(session: AsyncSession, household_id: uuid.UUID, personal_number: str) -> bool:
    return bool((await session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM household_members WHERE personal_number = :p AND household_id = :h)"),
        {"p": personal_number, "h": household_id})).scalar_one())


async def join_household(session: AsyncSession, household_id: uuid.UUID, personal_number: str,
                         now: dt.datetime) -> bool:
    """Make an accepting co-applicant a member of the household. True when they are (now) a member; False when
    they belong to another household they cannot leave by themselves: one with other members or with any
    application that is not withdrawn (theirs to withdraw first, or the unit's to sort out).

    The membership row is the lock of "which household am I in": this takes it FOR UPDATE, a new case takes it
    FOR SHARE (household_of(lock=True)), so a move and a new application of the same person never interleave."""
    await session.execute(text(
        "INSERT INTO household_members (personal_number, household_id, since) VALUES (:p, :h, :now) "
        "ON CONFLICT (personal_number) DO NOTHING"), {"p": personal_number, "h": household_id, "now": now})
    current = (await session.execute(text(
        "SELECT household_id FROM household_members WHERE personal_number = :p FOR UPDATE"),
        {"p": personal_number})).scalar_one()
    if current == household_id:
        return True
    # A new statement (a new snapshot): sees the cases committed while we waited for the lock.
    movable = (await session.execute(text(
        "SELECT NOT EXISTS (SELECT 1 FROM household_members WHERE household_id = :old AND personal_number <> :p) "
        "AND NOT EXISTS (SELECT 1 FROM cases WHERE household_id = :old AND status <> 'withdrawn')"),
        {"old": current, "p": personal_number})).scalar_one()
    if not movable:
        return False
    await session.execute(text(
        "UPDATE household_members SET household_id = :h, since = :now WHERE personal_number = :p"),
        {"h": household_id, "now": now, "p": personal_number})
    return True
