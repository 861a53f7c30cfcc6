"""Reminders due before a booking, claimed by one worker at a time."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.meetings.domain.reminders import DueReminder


async def schedule_reminders(session: AsyncSession, booking_id: uuid.UUID, due: Iterable[DueReminder]) -> int:
    """Replace the booking's unsent reminders (a moved booking gets new due times)."""
    await drop_unsent_reminders(session, booking_id)
    count = 0
    for reminder in due:
        await session.execute(text(
            "INSERT INTO reminders (id, booking_id, offset_minutes, due_at) VALUES (:id, :b, :o, :d)"),
            {"id": uuid.uuid4(), "b": booking_id, "o": int(reminder.offset / dt.timedelta(minutes=1)),
             "d": reminder.due_at})
        count += 1
    return count


async def drop_unsent_reminders(session: AsyncSession, booking_id: uuid.UUID) -> None:
    await session.execute(text("DELETE FROM reminders WHERE booking_id = :b AND sent_at IS NULL"), {"b": booking_id})


@dataclass(frozen=True)
class ClaimedReminder:
    id: uuid.UUID
    booking_id: uuid.UUID


async def claim_due_reminders(session: AsyncSession, now: dt.datetime, limit: int) -> list[ClaimedReminder]:
    """Due, unsent reminders, locked for this transaction; another worker skips them (SKIP LOCKED)."""
    rows = (await session.execute(text(
        "SELECT id, booking_id FROM reminders WHERE sent_at IS NULL AND due_at <= :now ORDER BY due_at, id "
        "LIMIT :limit FOR UPDATE SKIP LOCKED"), {"now": now, "limit": limit})).all()
    return [ClaimedReminder(r.id, r.booking_id) for r in rows]


async def mark_reminder_sent(session: AsyncSession, reminder_id: uuid.UUID, now: dt.datetime) -> None:
    await session.execute(text("UPDATE reminders SET sent_at = :now WHERE id = :id"), {"now": now, "id": reminder_id})
