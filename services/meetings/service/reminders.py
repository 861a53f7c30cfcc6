"""Reminders: scheduled with a booking at the unit's offsets; when due, each becomes one outbox event.

A reminder is claimed with FOR UPDATE SKIP LOCKED and marked sent in the same transaction that writes its outbox
row (whose id is the reminder's id), so with several replicas exactly one turns it into exactly one event.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import MEETING_REMINDER
from services.meetings.domain.bookings import Booking
from services.meetings.domain.reminders import reminder_times
from services.meetings.domain.unit_settings import UnitMeetingSettings
from services.meetings.integration.registers import ProtectionOwner
from services.meetings.service import events, protection
from services.meetings.store import bookings as bookings_store
from services.meetings.store import reminders as reminders_store


async def schedule(session: AsyncSession, booking: Booking, unit: UnitMeetingSettings, now: dt.datetime) -> int:
    """Reminders at the unit's offsets before the start, those already past left out."""
    if not booking.client_id or not booking.is_open:
        await reminders_store.drop_unsent_reminders(session, booking.id)
        return 0
    due = reminder_times(booking.start, unit.reminder_offsets, now=now)
    return await reminders_store.schedule_reminders(session, booking.id, due)


async def send_due(session: AsyncSession, owner: ProtectionOwner, now: dt.datetime, batch_size: int) -> int:
    """Turn one batch of due reminders into outbox events, in the caller's transaction. Returns how many events
    were written."""
    written = 0
    claimed_rows = await reminders_store.claim_due_reminders(session, now, batch_size)
    records = {c.id: await bookings_store.get_booking(session, c.booking_id) for c in claimed_rows}
    # Whether each client is protected now, from the owner (one call for the batch); the owner not answering
    # counts as protected, so the reminder says nothing (messaging sends no content for protected clients).
    known = {r.booking.client_id for r in records.values() if r is not None and r.booking.client_id}
    protected = await protection.protected_now(session, owner, known)
    for claimed in claimed_rows:
        record = records[claimed.id]
        # A cancelled or already marked booking has no reminders left (they are dropped with the change);
        # this is the belt to those braces.
        if record is not None and record.booking.is_open and record.booking.start > now:
            booking = record.booking
            if booking.client_id:
                booking = booking.model_copy(update={"protected_identity": booking.client_id in protected})
            events.enqueue_event(session, MEETING_REMINDER, booking, now, event_id=claimed.id)
            written += 1
        await reminders_store.mark_reminder_sent(session, claimed.id, now)
    return written
