"""Our picture of each case: a projection of the applications service's events."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.messaging.store.protection import mark_protected


@dataclass
class CaseRecord:
    case_id: uuid.UUID
    unit: str
    caseworker_sub: str | None
    protected_identity: bool
    recipients: list[str] = field(repr=False)
    last_event_at: dt.datetime


# One statement for the whole projection (it runs for every event): the case row, then, only when this event is
# the newest (``c`` returns a row), its threads' unit, protection and caseworker, and their members. The member
# delete and insert touch disjoint rows (those not named, those named), so one snapshot serves both.
_APPLY = text(
    "WITH c AS (INSERT INTO cases (case_id, unit, caseworker_sub, protected_identity, recipients, last_event_at) "
    "VALUES (:id, :unit, :cw, :p, CAST(:r AS text[]), :at) "
    "ON CONFLICT (case_id) DO UPDATE SET unit = EXCLUDED.unit, caseworker_sub = EXCLUDED.caseworker_sub, "
    "protected_identity = cases.protected_identity OR EXCLUDED.protected_identity, "
    "recipients = CASE WHEN cardinality(EXCLUDED.recipients) > 0 THEN EXCLUDED.recipients "
    "ELSE cases.recipients END, last_event_at = EXCLUDED.last_event_at "
    "WHERE cases.last_event_at <= EXCLUDED.last_event_at RETURNING protected_identity), "
    "t AS (UPDATE threads SET unit = :unit, protected_identity = threads.protected_identity OR c.protected_identity, "
    "assigned_to = COALESCE(CAST(:cw AS text), threads.assigned_to) FROM c WHERE threads.case_id = :id), "
    "d AS (DELETE FROM thread_members tm USING threads th, c WHERE cardinality(CAST(:r AS text[])) > 0 "
    "AND tm.thread_id = th.id AND th.case_id = :id AND tm.personal_number <> ALL(CAST(:r AS text[]))), "
    "m AS (INSERT INTO thread_members (thread_id, personal_number) SELECT th.id, p FROM c, threads th, "
    "unnest(CAST(:r AS text[])) p WHERE th.case_id = :id ON CONFLICT DO NOTHING) "
    "SELECT count(*) FROM c")


async def apply_case_event(session: AsyncSession, *, case_id: uuid.UUID, unit: str, recipients: list[str],
                           protected_identity: bool, caseworker_sub: str | None, occurred_at: dt.datetime) -> bool:
    """Bring our picture of the case up to date, unless a newer event already did (events may come out of order).
    Threads of the case follow: its unit, household, protection and caseworker. Protection is sticky: lifting it
    is a deliberate manual step, never a side effect of a late event."""
    params = {"id": case_id, "unit": unit, "cw": caseworker_sub, "p": protected_identity, "r": recipients,
              "at": occurred_at}
    applied = (await session.execute(_APPLY, params)).scalar_one()
    if protected_identity:
        await mark_protected(session, recipients)
    return bool(applied)


async def get_case(session: AsyncSession, case_id: uuid.UUID) -> CaseRecord | None:
    row = (await session.execute(text(
        "SELECT case_id, unit, caseworker_sub, protected_identity, recipients, last_event_at FROM cases "
        "WHERE case_id = :id"), {"id": case_id})).first()
    return None if row is None else CaseRecord(**row._mapping)
