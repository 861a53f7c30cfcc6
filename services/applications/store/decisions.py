"""Decisions, kept with the calculation they were made on."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.applications.store.sql import to_json


async def add_decision(session: AsyncSession, case_id: uuid.UUID, decision: dict[str, Any], *,
                       decided_at: dt.datetime, decided_by: str, outcome: str, granted: int, input_hash: str,
                       calculation_result: dict[str, Any], reason_for_need: str | None,
                       automated: bool = False) -> None:
    await session.execute(text(
        "INSERT INTO decisions (case_id, decided_at, decided_by, outcome, granted, input_hash, calculation_result, "
        "decision, reason_for_need, automated) "
        "VALUES (:c, :at, :by, :o, :g, :h, CAST(:r AS jsonb), CAST(:d AS jsonb), :n, :auto)"),
        {"c": case_id, "at": decided_at, "by": decided_by, "o": outcome, "g": granted, "h": input_hash,
         "r": to_json(calculation_result), "d": to_json(decision), "n": reason_for_need, "auto": automated})


async def get_decision(session: AsyncSession, case_id: uuid.UUID) -> dict[str, Any] | None:
    return (await session.execute(text("SELECT decision FROM decisions WHERE case_id = :c"),
                                  {"c": case_id})).scalar_one_or_none()


async def decision_row(session: AsyncSession, case_id: uuid.UUID) -> dict[str, Any] | None:
    row = (await session.execute(text(
        "SELECT decided_at, decided_by, automated, decision FROM decisions WHERE case_id = :c"),
        {"c": case_id})).mappings().first()
    return None if row is None else dict(row)


async def undo_decision(session: AsyncSession, case_id: uuid.UUID, *, by: str, reason: str,
                        now: dt.datetime) -> None:
    """Move the decision to the undone ones (kept, with who undid it and why): the case can be decided again."""
    await session.execute(text(
        "WITH gone AS (DELETE FROM decisions WHERE case_id = :c RETURNING *) "
        "INSERT INTO undone_decisions (case_id, decided_at, decided_by, automated, decision, undone_at, undone_by, "
        "reason) SELECT case_id, decided_at, decided_by, automated, decision, :now, :by, :reason FROM gone"),
        {"c": case_id, "now": now, "by": by, "reason": reason})


async def previous_need_reason(session: AsyncSession, household_id: uuid.UUID, before_period: str) -> str | None:
    """The reason for need of the household's latest decision for a month before ``before_period``."""
    return (await session.execute(text(
        "SELECT d.reason_for_need FROM decisions d JOIN cases c ON c.id = d.case_id "
        "WHERE c.household_id = :h AND c.period < :p AND d.reason_for_need IS NOT NULL "
        "ORDER BY c.period DESC, d.decided_at DESC LIMIT 1"),
        {"h": household_id, "p": before_period})).scalar_one_or_none()
