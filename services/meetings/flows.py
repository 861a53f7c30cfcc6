"""Side effects that go with a change of a booking: the outbox event for messaging, the reminders, links.

Everything here runs inside the caller's transaction and never commits, so the event goes out if and only if
the change is kept (transactional outbox).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from kit import outbox
from services.meetings import store
from services.meetings.domain.bookings import Booking
from services.meetings.domain.links import IssuedLink, new_room_secret, video_room_link
from services.meetings.domain.meeting_types import Channel, UnitMeetingSettings
from services.meetings.domain.reminders import reminder_times
from services.meetings.domain.times import to_utc

TOPIC_BOOKED = "meeting.booked"
TOPIC_CHANGED = "meeting.changed"
TOPIC_CANCELLED = "meeting.cancelled"
TOPIC_REMINDER = "meeting.reminder"
TOPICS = frozenset({TOPIC_BOOKED, TOPIC_CHANGED, TOPIC_CANCELLED, TOPIC_REMINDER})


def event_payload(booking: Booking) -> dict[str, Any]:
    """What messaging is told: who to notify and when. Never the place, the type, the needs or the caseworker."""
    return {
        "booking_id": str(booking.id),
        "unit": booking.unit_id,
        "recipients": [booking.client_id] if booking.client_id else [],
        "protected_identity": booking.protected_identity,
        "starts_at": to_utc(booking.start).isoformat(),
        "channel": booking.channel.value,
    }


def enqueue_event(session: AsyncSession, topic: str, booking: Booking, now: dt.datetime,
                  event_id: uuid.UUID | None = None) -> uuid.UUID:
    """An outbox row whose id is the event id (the receiver's Idempotency-Key)."""
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic}")
    if not booking.client_id:
        return event_id or uuid.uuid4()  # nobody to tell
    message = outbox.enqueue(session, topic, {"occurred_at": to_utc(now).isoformat(), "data": event_payload(booking)},
                             message_id=event_id)
    return message.id


async def schedule_reminders(session: AsyncSession, booking: Booking, unit: UnitMeetingSettings,
                             now: dt.datetime) -> int:
    """Reminders at the unit's offsets before the start, those already past left out."""
    if not booking.client_id or not booking.is_open:
        await store.drop_unsent_reminders(session, booking.id)
        return 0
    due = reminder_times(booking.start, unit.reminder_offsets, now=now)
    return await store.schedule_reminders(session, booking.id, due)


def video_link(secret: str, base_url: str, booking_id: uuid.UUID, room_secret: str) -> IssuedLink:
    """The booking's video room (links.video_room_link): shown again to the participants in their apps while the
    database keeps only its hash and the room's own secret."""
    return video_room_link(secret, base_url, booking_id, room_secret)


def new_room(link_secret: str, base_url: str, booking_id: uuid.UUID) -> tuple[str, str]:
    """A new video room for the booking: (its secret, to keep with the booking; its URL's hash, for the video
    service). Any URL of an earlier room of the booking stops working once this replaces it."""
    room = new_room_secret()
    return room, video_link(link_secret, base_url, booking_id, room).token_hash


def room_url(link_secret: str, base_url: str, record: store.BookingRecord) -> str | None:
    """The booking's video room URL, while there is one: by video, not cancelled, a room made."""
    b = record.booking
    if b.channel is not Channel.VIDEO or b.is_cancelled or not record.video_room:
        return None
    return video_link(link_secret, base_url, b.id, record.video_room).url
