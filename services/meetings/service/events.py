"""The outbox event that goes with a change of a booking, for messaging (contracts.events).

Everything here runs inside the caller's transaction and never commits, so the event goes out if and only if
the change is kept (transactional outbox).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import MEETING_TOPICS, MeetingEventPayload
from kit import outbox
from services.meetings.domain.bookings import Booking
from services.meetings.domain.times import to_utc

log = logging.getLogger("meetings.events")


def event_payload(booking: Booking) -> dict[str, Any]:
    """What messaging is told: who to notify and when. Never the place, the type, the needs or the caseworker."""
    starts_at = to_utc(booking.start)
    recipients = [booking.client_id] if booking.client_id else []
    try:
        payload = MeetingEventPayload(
            booking_id=booking.id, unit=booking.unit_id, recipients=recipients,
            protected_identity=booking.protected_identity, starts_at=starts_at, channel=booking.channel.value)
    except ValidationError:
        # A token's personnummer the contract does not take: the booking stands as it always has, and the event
        # carries what the token said (messaging, validating with the same model, refuses it).
        log.warning("a meeting event does not fit contracts.events.MeetingEventPayload")
        return {"booking_id": str(booking.id), "unit": booking.unit_id, "recipients": recipients,
                "protected_identity": booking.protected_identity, "starts_at": starts_at.isoformat(),
                "channel": booking.channel.value}
    # The start as the rows have always carried it (isoformat: "+00:00", where pydantic would write "Z").
    return {**payload.model_dump(mode="json"), "starts_at": starts_at.isoformat()}


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
