"""The outbox event that goes with a change of a booking, for messaging (contracts.events).

Everything here runs inside the caller's transaction and never commits, so the event goes out if and only if
the change is kept (transactional outbox).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import MEETING_TOPICS, MeetingEventPayload
from kit import outbox
from services.meetings.domain.bookings import Booking
from services.meetings.domain.times import to_utc


def event_payload(booking: Booking) -> dict[str, Any]:
    """What messaging is told: who to notify and when. Never the place, the type, the needs or the caseworker."""
    payload = MeetingEventPayload(
        booking_id=booking.id, unit=booking.unit_id, recipients=[booking.client_id] if booking.client_id else [],
        protected_identity=booking.protected_identity, starts_at=to_utc(booking.start), channel=booking.channel.value)
    # The start as the rows have always carried it (isoformat: "+00:00", where pydantic would write "Z").
    return {**payload.model_dump(mode="json"), "starts_at": to_utc(booking.start).isoformat()}


def enqueue_event(session: AsyncSession, topic: str, booking: Booking, now: dt.datetime,
                  event_id: uuid.UUID | None = None) -> uuid.UUID:
    """An outbox row whose id is the event id (the receiver's Idempotency-Key)."""
    if topic not in MEETING_TOPICS:
        raise ValueError(f"unknown topic {topic}")
    if not booking.client_id:
        return event_id or uuid.uuid4()  # nobody to tell
    message = outbox.enqueue(session, topic, {"occurred_at": to_utc(now).isoformat(), "data": event_payload(booking)},
                             message_id=event_id)
    return message.id
