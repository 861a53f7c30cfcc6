"""A booking's video room: its URL is derived (links.video_room_link), the database keeps its secret and hash."""

from __future__ import annotations

import uuid

from services.meetings.domain.links import IssuedLink, new_room_secret, video_room_link
from services.meetings.domain.meeting_types import Channel
from services.meetings.settings import MeetingsSettings
from services.meetings.store.bookings import BookingRecord


def video_link(secret: str, base_url: str, booking_id: uuid.UUID, room_secret: str) -> IssuedLink:
    """The booking's video room (links.video_room_link): shown again to the participants in their apps while the
    database keeps only its hash and the room's own secret."""
    return video_room_link(secret, base_url, booking_id, room_secret)


def new_room(settings: MeetingsSettings, booking_id: uuid.UUID) -> tuple[str, str]:
    """A new video room for the booking: (its secret, to keep with the booking; its URL's hash, for the video
    service). Any URL of an earlier room of the booking stops working once this replaces it."""
    room = new_room_secret()
    return room, video_link(settings.link_secret, settings.video_base_url, booking_id, room).token_hash


def room_url(settings: MeetingsSettings, record: BookingRecord) -> str | None:
    """The booking's video room URL, while there is one: by video, not cancelled, a room made."""
    b = record.booking
    if b.channel is not Channel.VIDEO or b.is_cancelled or not record.video_room:
        return None
    return video_link(settings.link_secret, settings.video_base_url, b.id, record.video_room).url
