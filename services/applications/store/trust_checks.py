"""The monthly trust-check draws (ekonomisk avstämning)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession


async def decided_cases_for_draw(session: AsyncSession, unit: str, month: str) -> list[tuple[str, str]]:
    rows = (await session.execute(text(
        "SELECT c.id, d.decided_by FROM cases c JOIN decisions d ON d.case_id = c.id "
        "WHERE c.unit = :u AND c.period = :m AND c.status IN ('decided', 'paid') AND c.anonymised_at IS NULL"),
        {"u": unit, "m": month})).all()
    return [(str(r.id), r.decided_by) for r in rows]


async def get_draw(session: AsyncSession, unit: str, month: str) -> dict[str, Any] | None:
    row = (await session.execute(text(
        "SELECT d.*, ARRAY(SELECT t.case_id FROM trust_checks t WHERE t.draw_id = d.id ORDER BY t.caseworker_sub, "
        "t.case_id) AS case_ids FROM trust_check_draws d WHERE d.unit = :u AND d.month = :m"),
        {"u": unit, "m": month})).mappings().first()
    return None if row is None else dict(row)


async def record_draw(session: AsyncSession, *, unit: str, month: str, per_caseworker: int, seed_id: str,
                      population: int, chosen: list[tuple[str, str]], drawn_by: str, now: dt.datetime) -> bool:
    """False when the month was already drawn for the unit (the first draw stands)."""
    draw_id = uuid.uuid4()
    inserted = (await session.execute(text(
        "INSERT INTO trust_check_draws (id, unit, month, per_caseworker, seed_id, population, drawn_by, drawn_at) "
        "VALUES (:id, :u, :m, :n, :seed, :pop, :by, :now) ON CONFLICT (unit, month) DO NOTHING RETURNING id"),
        {"id": draw_id, "u": unit, "m": month, "n": per_caseworker, "seed": seed_id, "pop": population,
         "by": drawn_by, "now": now})).first()
    if inserted is None:
        return False
    for case_id, caseworker in chosen:
        await session.execute(text(
            "INSERT INTO trust_checks (draw_id, case_id, caseworker_sub) VALUES (:d, :c, :cw) "
            "ON CONFLICT DO NOTHING"), {"d": draw_id, "c": uuid.UUID(case_id), "cw": caseworker})
    return True
