"""Builders shared by the meetings test_domain_* modules (no tests here)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from services.meetings.domain.availability import Availability, WeeklyHours
from services.meetings.domain.bookings import Booking
from services.meetings.domain.meeting_types import Channel, MeetingKind, MeetingType
from services.meetings.domain.times import STOCKHOLM

UNIT = "unit-malmo-norr"
OTHER_UNIT = "unit-malmo-syd"
OFFICE = "Storgatan 1, 211 34 Malmö"
WEEKDAYS = (0, 1, 2, 3, 4)
ALL_DAYS = (0, 1, 2, 3, 4, 5, 6)


def sthlm(year: int, month: int, day: int, hour: int = 0, minute: int = 0, fold: int = 0) -> dt.datetime:
    """A Stockholm wall-clock instant (aware)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM, fold=fold)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def meeting_type(**overrides: Any) -> MeetingType:
    values: dict[str, Any] = {
        "unit_id": UNIT,
        "name": "Uppföljningssamtal",
        "kind": MeetingKind.IN_PERSON,
        "duration_minutes": 60,
        "channels": frozenset({Channel.IN_PERSON, Channel.PHONE, Channel.VIDEO}),
        "office_address": OFFICE,
        "client_self_bookable": True,
    }
    values.update(overrides)
    return MeetingType(**values)


def phone_type(**overrides: Any) -> MeetingType:
    values: dict[str, Any] = {"kind": MeetingKind.PHONE, "channels": frozenset({Channel.PHONE}), "office_address": None}
    values.update(overrides)
    return meeting_type(**values)


def availability(
    caseworker_id: str = "cw-anna",
    days: tuple[int, ...] = WEEKDAYS,
    start: dt.time = dt.time(9),
    end: dt.time = dt.time(12),
    **overrides: Any,
) -> Availability:
    weekly = tuple(WeeklyHours(weekday=d, start=start, end=end) for d in days)
    return Availability(caseworker_id=caseworker_id, weekly=weekly, **overrides)


def booking(**overrides: Any) -> Booking:
    start = overrides.pop("start", sthlm(2026, 3, 10, 10))
    minutes = overrides.pop("minutes", 60)
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "reference": "K7MQ-2XD9",
        "unit_id": UNIT,
        "caseworker_id": "cw-anna",
        "client_id": "client-1",
        "meeting_type_id": uuid.uuid4(),
        "kind": MeetingKind.IN_PERSON,
        "channel": Channel.IN_PERSON,
        "start": start,
        "end": start.astimezone(dt.UTC) + dt.timedelta(minutes=minutes),  # elapsed time, also on DST days
        "location": OFFICE,
        "updated_at": utc(2026, 3, 1, 8),
    }
    values.update(overrides)
    return Booking(**values)
