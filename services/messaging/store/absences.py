"""A caseworker's absence and substitute."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession


async def put_absence(session: AsyncSession, sub: str, starts_at: dt.datetime, ends_at: dt.datetime,
                      substitute: str | None) -> None:
    await session.execute(text(
        "INSERT INTO absences (sub, starts_at, ends_at, substitute_sub) VALUES (:s, :a, :b, :sub2) "
        "ON CONFLICT (sub) DO UPDATE SET starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, "
        "substitute_sub = EXCLUDED.substitute_sub"), {"s": sub, "a": starts_at, "b": ends_at, "sub2": substitute})


@dataclass(frozen=True)
class AbsenceRecord:
    starts_at: dt.datetime
    ends_at: dt.datetime
    substitute_sub: str | None


async def get_absence(session: AsyncSession, sub: str) -> AbsenceRecord | None:
    row = (await session.execute(text("SELECT starts_at, ends_at, substitute_sub FROM absences WHERE sub = :s"),
                                 {"s": sub})).first()
    return None if row is None else AbsenceRecord(**row._mapping)


async def delete_absence(session: AsyncSession, sub: str) -> None:
    await session.execute(text("DELETE FROM absences WHERE sub = :s"), {"s": sub})
