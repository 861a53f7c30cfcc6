"""Decision proposals (one current per case, the earlier ones kept), the register look-ups made for a case, and the
figures of a unit's month."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.db import driver_connection
from services.applications.store.sql import to_json


# The proposal job's statements go to asyncpg directly (kit.db.driver_connection, in the session's transaction):
# SQLAlchemy's per-statement work was a good part of a proposal's CPU, with many jobs at once.
async def job_done(session: AsyncSession, job_id: uuid.UUID) -> bool:
    """Whether the proposal job of that outbox message has already stored its proposal."""
    conn = await driver_connection(session)
    return await conn.fetchval("SELECT 1 FROM decision_proposals WHERE job_id = $1", job_id) is not None


async def add_proposal(session: AsyncSession, *, case_id: uuid.UUID, job_id: uuid.UUID, made_at: dt.datetime,
                       outcome: str, fast_lane: bool, discrepancies: int, proposal: dict[str, Any]) -> uuid.UUID:
    """The new current proposal of the case; the one before stays as history."""
    conn = await driver_connection(session)
    await conn.execute("UPDATE decision_proposals SET current = false WHERE case_id = $1 AND current", case_id)
    proposal_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO decision_proposals (id, case_id, job_id, made_at, current, outcome, fast_lane, discrepancies, "
        "proposal) VALUES ($1, $2, $3, $4, true, $5, $6, $7, CAST($8 AS jsonb))",
        proposal_id, case_id, job_id, made_at, outcome, fast_lane, discrepancies, to_json(proposal))
    return proposal_id


async def current_proposal(session: AsyncSession, case_id: uuid.UUID) -> dict[str, Any] | None:
    row = (await session.execute(text(
        "SELECT id, made_at, outcome, fast_lane, discrepancies, proposal, "
        "(SELECT count(*) FROM decision_proposals e WHERE e.case_id = p.case_id AND NOT e.current) AS earlier "
        "FROM decision_proposals p WHERE case_id = :c AND current"), {"c": case_id})).mappings().first()
    return None if row is None else dict(row)


async def states_of(session: AsyncSession, case_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """The current proposal's outcome and fast lane of each case that has one (for the work queue)."""
    if not case_ids:
        return {}
    rows = (await session.execute(text(
        "SELECT case_id, outcome, fast_lane FROM decision_proposals WHERE current AND "
        "case_id = ANY(CAST(:ids AS uuid[]))"), {"ids": case_ids})).mappings().all()
    return {r["case_id"]: {"outcome": r["outcome"], "fast_lane": r["fast_lane"]} for r in rows}


async def add_lookups(session: AsyncSession, case_id: uuid.UUID, *, made_at: dt.datetime, purpose: str,
                      lookups: list[tuple[str, list[str]]]) -> None:
    """``lookups``: (register, sources) each, in one INSERT, in this order (their ids ascend as listed)."""
    if not lookups:
        return
    args: list[Any] = [case_id, made_at, purpose]
    values = []
    for register, sources in lookups:
        values.append(f"($1, $2, $3, ${len(args) + 1}, CAST(${len(args) + 2} AS text[]))")
        args += [register, sources]
    conn = await driver_connection(session)
    await conn.execute("INSERT INTO register_lookups (case_id, made_at, purpose, register, sources) VALUES "  # noqa: S608 - numbered binds
                       + ", ".join(values), *args)


async def lookups_of(session: AsyncSession, case_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = (await session.execute(text(
        "SELECT made_at, purpose, register, sources FROM register_lookups WHERE case_id = :c ORDER BY id"),
        {"c": case_id})).mappings().all()
    return [dict(r) for r in rows]


async def proposal_figures(session: AsyncSession, unit: str, month: str) -> dict[str, Any]:
    """A unit's month: current proposals by outcome, how many went the fast lane, automated approvals (and how
    many of them a person undid), and the income discrepancies the proposals found (lines and cases)."""
    rows = (await session.execute(text(
        "SELECT p.outcome, count(*) AS n, count(*) FILTER (WHERE p.fast_lane) AS fast, "
        "sum(p.discrepancies) AS lines, count(*) FILTER (WHERE p.discrepancies > 0) AS cases "
        "FROM decision_proposals p JOIN cases c ON c.id = p.case_id "
        "WHERE p.current AND c.unit = :u AND c.period = :m GROUP BY p.outcome"),
        {"u": unit, "m": month})).mappings().all()
    automated = (await session.execute(text(
        "SELECT count(*) FROM decisions d JOIN cases c ON c.id = d.case_id "
        "WHERE d.automated AND c.unit = :u AND c.period = :m"), {"u": unit, "m": month})).scalar_one()
    undone = (await session.execute(text(
        "SELECT count(*) FROM undone_decisions d JOIN cases c ON c.id = d.case_id "
        "WHERE d.automated AND c.unit = :u AND c.period = :m"), {"u": unit, "m": month})).scalar_one()
    by_outcome = {o: 0 for o in ("all_passed", "checks_failed", "not_available")}
    by_outcome.update({r["outcome"]: int(r["n"]) for r in rows})
    return {"unit": unit, "month": month, "proposals": sum(by_outcome.values()), "by_outcome": by_outcome,
            "fast_lane": sum(int(r["fast"]) for r in rows),
            "automated_approvals": int(automated) + int(undone), "automated_approvals_undone": int(undone),
            "discrepancies": {"lines": sum(int(r["lines"] or 0) for r in rows),
                              "cases": sum(int(r["cases"]) for r in rows)}}
