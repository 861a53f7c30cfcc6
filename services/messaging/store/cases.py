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


async def apply_case_event(session: AsyncSession, *, case_id: uuid.UUID, unit: str, recipients: list[str],
                           protected_identity: bool, caseworker_sub: str | None, occurred_at: dt.datetime) -> bool:
    """Bring our picture of the case up to date, unless a newer event already did (events may come out of order).
    Threads of the case follow: its unit, household, protection and caseworker. Protection is sticky: lifting it
    is a deliberate manual step, never a side effect of a late event."""
    applied = (await session.execute(text(
        "INSERT INTO cases (case_id, unit, caseworker_sub, protected_identity, recipients, last_event_at) "
        "VALUES (:id, :unit, :cw, :p, CAST(:r AS text[]), :at) "
        "ON CONFLICT (case_id) DO UPDATE SET unit = EXCLUDED.unit, caseworker_sub = EXCLUDED.caseworker_sub, "
        "protected_identity = cases.protected_identity OR EXCLUDED.protected_identity, "
        "recipients = CASE WHEN cardinality(EXCLUDED.recipients) > 0 THEN EXCLUDED.recipients "
        "ELSE cases.recipients END, last_event_at = EXCLUDED.last_event_at "
        "WHERE cases.last_event_at <= EXCLUDED.last_event_at RETURNING protected_identity"),
        {"id": case_id, "unit": unit, "cw": caseworker_sub, "p": protected_identity, "r": recipients,
         "at": occurred_at})).first()
    if protected_identity:
        await mark_protected(session, recipients)
    if applied is None:
        return False
    await session.execute(text(
        "UPDATE threads SET unit = :unit, protected_identity = protected_identity OR :p, "
        "assigned_to = COALESCE(CAST(:cw AS text), assigned_to) WHERE case_id = :id"),
        {"unit": unit, "p": bool(applied.protected_identity), "cw": caseworker_sub, "id": case_id})
    if recipients:
        await session.execute(text(
            "DELETE FROM thread_members tm USING threads t WHERE tm.thread_id = t.id AND t.case_id = :id "
            "AND tm.personal_number <> ALL(CAST(:r AS text[]))"), {"id": case_id, "r": recipients})
        await session.execute(text(
            "INSERT INTO thread_members (thread_id, personal_number) SELECT t.id, p FROM threads t, "
            "unnest(CAST(:r AS text[])) p WHERE t.case_id = :id ON CONFLICT DO NOTHING"),
            {"id": case_id, "r": recipients})
    return True


async def get_case(session: AsyncSession, case_id: uuid.UUID) -> CaseRecord | None:
    row = (await session.execute(text(
        "SELECT case_id, unit, caseworker_sub, protected_identity, recipients, last_event_at FROM cases "
        "WHERE case_id = :id"), {"id": case_id})).first()
    return None if row is None else CaseRecord(**row._mapping)
