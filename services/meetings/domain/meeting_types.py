"""What a unit offers: meeting types (kind, length, buffers, channels, where); its settings: unit_settings.py.

    kind          what the meeting is: in_person | phone | video | home_visit | multi_party | drop_in
    channels      how the client may take part; the client chooses among them (field studies: clients
                  choose the channel, other agencies and parents living elsewhere join remotely)
    buffers       time kept free before and after (preparation, notes); part of the range the database
                  guards against double booking, see blocked_range()

Kind and channels must agree:
    in_person, phone, video   the channel of the same name must be among the channels
    home_visit                in_person only, and no office address: it is held in the client's home,
                              whose address never lives on a meeting type
    drop_in                   in_person only (öppen mottagning), never self-booked: staff record the contact
    multi_party               any channels (samordnat möte with other agencies)
Any type with the in_person channel (except home visits) needs the office address.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.meetings.domain.times import to_utc

MAX_DURATION_MINUTES = 8 * 60
MAX_BUFFER_MINUTES = 4 * 60
DEFAULT_CLIENT_CHANGE_CUTOFF_HOURS = 24
DEFAULT_REMINDER_OFFSETS_MINUTES: tuple[int, ...] = (24 * 60, 2 * 60)


class MeetingKind(StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"
    HOME_VISIT = "home_visit"
    MULTI_PARTY = "multi_party"  # samordnat möte with other agencies
    DROP_IN = "drop_in"  # öppen mottagning


class Channel(StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"


_SINGLE_CHANNEL_KINDS = {MeetingKind.HOME_VISIT, MeetingKind.DROP_IN}
_KIND_CHANNEL = {
    MeetingKind.IN_PERSON: Channel.IN_PERSON,
    MeetingKind.PHONE: Channel.PHONE,
    MeetingKind.VIDEO: Channel.VIDEO,
    MeetingKind.HOME_VISIT: Channel.IN_PERSON,
    MeetingKind.DROP_IN: Channel.IN_PERSON,
}

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class MeetingType(BaseModel):
    """A kind of meeting a unit offers, as its admin configures it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    unit_id: str
    name: Text
    kind: MeetingKind
    duration_minutes: int = Field(ge=5, le=MAX_DURATION_MINUTES)
    buffer_before_minutes: int = Field(default=0, ge=0, le=MAX_BUFFER_MINUTES)
    buffer_after_minutes: int = Field(default=0, ge=0, le=MAX_BUFFER_MINUTES)
    channels: frozenset[Channel]
    office_address: Text | None = None
    client_self_bookable: bool = False
    # None: the unit's setting (unit_settings.UnitMeetingSettings.client_change_cutoff_hours) applies.
    client_change_cutoff_hours: int | None = Field(default=None, ge=0, le=14 * 24)
    active: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.channels:
            raise ValueError("channels: at least one channel is needed")
        if self.kind in _SINGLE_CHANNEL_KINDS and self.channels != {Channel.IN_PERSON}:
            raise ValueError(f"channels: a {self.kind} meeting is in person only")
        expected = _KIND_CHANNEL.get(self.kind)
        if expected is not None and expected not in self.channels:
            raise ValueError(f"channels: a {self.kind} meeting needs the {expected} channel")
        if self.kind is MeetingKind.HOME_VISIT:
            if self.office_address is not None:
                raise ValueError("office_address: a home visit is held in the client's home, not at an office")
        elif Channel.IN_PERSON in self.channels and self.office_address is None:
            raise ValueError("office_address: needed when the client may come in person")
        if self.kind is MeetingKind.DROP_IN and self.client_self_bookable:
            raise ValueError("client_self_bookable: drop-in contacts are not booked")
        return self

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.duration_minutes)

    @property
    def buffer_before(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.buffer_before_minutes)

    @property
    def buffer_after(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.buffer_after_minutes)

    @property
    def default_channel(self) -> Channel:
        """The kind's own channel; for a multi-party meeting in person if offered, else the first offered."""
        own = _KIND_CHANNEL.get(self.kind)
        if own is not None:
            return own
        for channel in Channel:  # declaration order: in_person, phone, video
            if channel in self.channels:
                return channel
        raise AssertionError("unreachable: channels is never empty")


def meeting_end(start: dt.datetime, meeting_type: MeetingType) -> dt.datetime:
    """The end instant (UTC): the duration is elapsed time, also across a DST change."""
    return to_utc(start) + meeting_type.duration


def blocked_range(booking_start: dt.datetime, meeting_type: MeetingType) -> tuple[dt.datetime, dt.datetime]:
    """The caseworker's time a booking occupies, buffers included, as UTC [start, end).

    The store keeps it in columns at booking time (a later change of the type's buffers must not move
    existing bookings) and guards it with an exclusion constraint, half-open like this range:
        EXCLUDE USING gist (caseworker_id WITH =, tstzrange(blocked_start, blocked_end, '[)') WITH &&)
        WHERE (status = 'booked' AND outcome IS DISTINCT FROM 'cancelled_late')
    i.e. over the bookings that are not Booking.is_cancelled; the busy intervals passed to
    availability.generate_slots are the same ranges of the same bookings. Two bookings may touch (one's
    blocked end == the other's blocked start) but not overlap.
    """
    start = to_utc(booking_start)
    return start - meeting_type.buffer_before, start + meeting_type.duration + meeting_type.buffer_after
