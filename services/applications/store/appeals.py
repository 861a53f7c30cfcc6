"""Appeals of a case's decision: one row per appeal, its steps as columns; the open ones keep cases.appeal_pending."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.applications.domain.appeals import OPEN

_OPEN = sorted(s.value for s in OPEN)
COLUMNS = ("id, case_id, decision_decided_at, appellant_role, source, text, received_on, last_day, in_time, "
           "registered_by, registered_at, status, status_at, forwarded_on, reconsidered_on, reconsideration, "
           "dismissed_on, dismissal_reason, court_outcome, ruled_on, note")


async def add_appeal(session: AsyncSession, *, case_id: uuid.UUID, decision_decided_at: dt.datetime,
                     appellant_role: str, source: str, body: str, received_on: dt.date, last_day: dt.date,
                     in_time: bool, registered_by: str, now: dt.datetime) -> dict[str, Any]:
    appeal_id = uuid.uuid4()
    await session.execute(text(
        "INSERT INTO appeals (id, case_id, decision_decided_at, appellant_role, source, text, received_on, last_day, "
        "in_time, registered_by, registered_at, status, status_at) VALUES (:id, :c, :d, :role, :src, :t, :r, :l, "
        ":in_time, :by, :now, 'received', :now)"),
        {"id": appeal_id, "c": case_id, "d": decision_decided_at, "role": appellant_role, "src": source, "t": body,
         "r": received_on, "l": last_day, "in_time": in_time, "by": registered_by, "now": now})
    await set_pending(session, case_id)
    row = await get_appeal(session, appeal_id)
    assert row is not None
    return row


async def get_appeal(session: AsyncSession, appeal_id: uuid.UUID, *, lock: bool = False) -> dict[str, Any] | None:
    row = (await session.execute(text(
        f"SELECT {COLUMNS} FROM appeals WHERE id = :id" + (" FOR UPDATE" if lock else "")),  # noqa: S608
        {"id": appeal_id})).mappings().first()
    return None if row is None else dict(row)


async def case_of(session: AsyncSession, appeal_id: uuid.UUID) -> uuid.UUID | None:
    return (await session.execute(text("SELECT case_id FROM appeals WHERE id = :id"),
                                  {"id": appeal_id})).scalar_one_or_none()


async def appeals_of_case(session: AsyncSession, case_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = (await session.execute(text(
        f"SELECT {COLUMNS} FROM appeals WHERE case_id = :c ORDER BY received_on, registered_at"),  # noqa: S608
        {"c": case_id})).mappings().all()
    return [dict(r) for r in rows]


async def update_appeal(session: AsyncSession, appeal_id: uuid.UUID, *, status: str, now: dt.datetime,
                        **columns: Any) -> None:
    names = {"forwarded_on", "reconsidered_on", "reconsideration", "dismissed_on", "dismissal_reason",
             "court_outcome", "ruled_on", "note"}
    assert set(columns) <= names
    sets = ", ".join(["status = :status", "status_at = :now", *(f"{n} = :{n}" for n in columns)])
    await session.execute(text(f"UPDATE appeals SET {sets} WHERE id = :id"),  # noqa: S608 - names are ours
                          {"id": appeal_id, "status": status, "now": now, **columns})


async def set_pending(session: AsyncSession, case_id: uuid.UUID) -> bool:
    """cases.appeal_pending from the case's appeals: true while any is open (gallring keeps the case)."""
    pending = bool((await session.execute(text(
        "UPDATE cases SET appeal_pending = EXISTS (SELECT 1 FROM appeals a WHERE a.case_id = :c "
        "AND a.status = ANY(CAST(:open AS text[]))) WHERE id = :c RETURNING appeal_pending"),
        {"c": case_id, "open": _OPEN})).scalar_one())
    return pending


async def queue(session: AsyncSession, units: list[str], *, include_protected: bool, open_only: bool,
                limit: int) -> list[dict[str, Any]]:
    """The appeals of the units' cases, oldest first; protected cases only for staff cleared for them."""
    rows = (await session.execute(text(
        "SELECT a.id, a.case_id, a.received_on, a.last_day, a.in_time, a.status, a.status_at, a.source, "
        "a.court_outcome, c.period, c.unit, c.outcome AS decision_outcome, c.protected_identity "
        "FROM appeals a JOIN cases c ON c.id = a.case_id WHERE c.unit = ANY(:units) AND c.anonymised_at IS NULL "
        "AND (:protected OR NOT c.protected_identity) "
        "AND (NOT :open_only OR a.status = ANY(CAST(:open AS text[]))) "
        "ORDER BY a.received_on, a.registered_at, a.id LIMIT :n"),
        {"units": units, "protected": include_protected, "open_only": open_only, "open": _OPEN,
         "n": limit})).mappings().all()
    return [dict(r) for r in rows]


async def open_count(session: AsyncSession, case_id: uuid.UUID) -> int:
    return int((await session.execute(text(
        "SELECT count(*) FROM appeals WHERE case_id = :c AND status = ANY(CAST(:open AS text[]))"),
        {"c": case_id, "open": _OPEN})).scalar_one())
