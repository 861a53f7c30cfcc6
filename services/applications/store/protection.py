"""Protected identity (skyddade personuppgifter): the person's status, and their cases following it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession


async def mark_protected(session: AsyncSession, personal_numbers: list[str], now: dt.datetime) -> None:
    """Tighten only (a client's own token claim): mark them protected, and their cases with them."""
    for pnr in personal_numbers:
        if not await any_protected(session, [pnr]):
            await set_person_protection(session, pnr, True, now)


async def set_person_protection(session: AsyncSession, personal_number: str, protected: bool,
                                now: dt.datetime) -> tuple[bool, int]:
    """Set the person's status (the owner's fact) and bring every case they are a party to in line: a case is
    protected while any of its parties is (the applicant, the co-applicant once joined); closed cases too, since
    they hold the same data. (changed, number of cases whose flag changed)."""
    before = (await session.execute(text(
        "SELECT protected_identity FROM client_profiles WHERE personal_number = :p FOR UPDATE"),
        {"p": personal_number})).scalar_one_or_none()
    await session.execute(text(
        "INSERT INTO client_profiles (personal_number, protected_identity, updated_at) VALUES (:p, :v, :now) "
        "ON CONFLICT (personal_number) DO UPDATE SET protected_identity = EXCLUDED.protected_identity, "
        "updated_at = EXCLUDED.updated_at"), {"p": personal_number, "v": protected, "now": now})
    updated = (await session.execute(text(
        "WITH wanted AS (SELECT c.id, EXISTS (SELECT 1 FROM client_profiles cp WHERE cp.protected_identity AND "
        "(cp.personal_number = c.applicant_pnr OR (cp.personal_number = c.co_applicant_pnr AND "
        "c.co_applicant_status = 'joined'))) AS protected FROM cases c WHERE c.applicant_pnr = :p OR "
        "(c.co_applicant_pnr = :p AND c.co_applicant_status = 'joined')) "
        "UPDATE cases c SET protected_identity = w.protected FROM wanted w "
        "WHERE c.id = w.id AND c.protected_identity IS DISTINCT FROM w.protected RETURNING c.id"),
        {"p": personal_number})).all()
    return bool(before) != protected, len(updated)


async def any_protected(session: AsyncSession, personal_numbers: list[str]) -> bool:
    return bool((await session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM client_profiles WHERE protected_identity AND "
        "personal_number = ANY(CAST(:p AS text[])))"), {"p": personal_numbers})).scalar_one())


async def protected_among(session: AsyncSession, personal_numbers: list[str]) -> list[str]:
    """Those of ``personal_numbers`` who have protected identity, sorted."""
    rows = await session.execute(text(
        "SELECT personal_number FROM client_profiles WHERE protected_identity AND "
        "personal_number = ANY(CAST(:p AS text[])) ORDER BY personal_number"), {"p": personal_numbers})
    return [r[0] for r in rows]
