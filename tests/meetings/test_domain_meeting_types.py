from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from services.meetings.domain.closed_days import HolidayPolicy, closed_days
from services.meetings.domain.meeting_types import (
    Channel,
    MeetingKind,
    MeetingType,
    blocked_range,
    meeting_end,
)
from services.meetings.domain.unit_settings import UnitMeetingSettings, client_change_cutoff
from tests.meetings.test_domain_factories import OFFICE, UNIT, meeting_type, sthlm, utc

K, C = MeetingKind, Channel
ALL = frozenset(Channel)


@pytest.mark.parametrize(
    ("kind", "channels", "office", "self_bookable"),
    [
        (K.IN_PERSON, {C.IN_PERSON}, OFFICE, True),
        (K.IN_PERSON, ALL, OFFICE, True),  # the client chooses the channel
        (K.PHONE, {C.PHONE}, None, True),
        (K.PHONE, {C.PHONE, C.VIDEO}, None, True),
        (K.VIDEO, {C.VIDEO}, None, True),
        (K.HOME_VISIT, {C.IN_PERSON}, None, False),
        (K.MULTI_PARTY, {C.VIDEO, C.PHONE}, None, False),
        (K.MULTI_PARTY, ALL, OFFICE, False),
        (K.DROP_IN, {C.IN_PERSON}, OFFICE, False),
    ],
)
def test_valid_types(kind: MeetingKind, channels: set[Channel], office: str | None, self_bookable: bool) -> None:
    t = MeetingType(unit_id=UNIT, name="x", kind=kind, duration_minutes=30, channels=frozenset(channels),
                    office_address=office, client_self_bookable=self_bookable)
    assert t.default_channel in t.channels


@pytest.mark.parametrize(
    ("kind", "channels", "office", "self_bookable", "message"),
    [
        (K.IN_PERSON, set(), OFFICE, False, "at least one"),
        (K.IN_PERSON, {C.PHONE}, None, False, "needs the in_person channel"),
        (K.PHONE, {C.VIDEO}, None, False, "needs the phone channel"),
        (K.VIDEO, {C.PHONE}, None, False, "needs the video channel"),
        (K.IN_PERSON, {C.IN_PERSON}, None, False, "office_address"),
        (K.MULTI_PARTY, {C.IN_PERSON, C.VIDEO}, None, False, "office_address"),
        (K.HOME_VISIT, {C.IN_PERSON, C.PHONE}, None, False, "in person only"),
        (K.HOME_VISIT, {C.IN_PERSON}, OFFICE, False, "client's home"),
        (K.DROP_IN, {C.IN_PERSON, C.PHONE}, OFFICE, False, "in person only"),
        (K.DROP_IN, {C.IN_PERSON}, OFFICE, True, "not booked"),
    ],
)
def test_invalid_types(
    kind: MeetingKind, channels: set[Channel], office: str | None, self_bookable: bool, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        MeetingType(unit_id=UNIT, name="x", kind=kind, duration_minutes=30, channels=frozenset(channels),
                    office_address=office, client_self_bookable=self_bookable)


@pytest.mark.parametrize("field", ["duration_minutes", "buffer_before_minutes", "buffer_after_minutes"])
def test_lengths_are_bounded(field: str) -> None:
    with pytest.raises(ValidationError):
        meeting_type(**{field: -1})
    with pytest.raises(ValidationError):
        meeting_type(**{field: 10_000})


def test_default_channel() -> None:
    assert meeting_type().default_channel is C.IN_PERSON
    assert meeting_type(kind=K.VIDEO, channels=ALL).default_channel is C.VIDEO
    assert meeting_type(kind=K.MULTI_PARTY, channels=frozenset({C.VIDEO, C.PHONE}), office_address=None,
                        client_self_bookable=False).default_channel is C.PHONE


def test_blocked_range_includes_buffers_in_utc() -> None:
    t = meeting_type(duration_minutes=45, buffer_before_minutes=10, buffer_after_minutes=15)
    assert blocked_range(sthlm(2026, 3, 3, 10), t) == (utc(2026, 3, 3, 8, 50), utc(2026, 3, 3, 10, 0))
    assert meeting_end(sthlm(2026, 3, 3, 10), t) == utc(2026, 3, 3, 9, 45)


def test_blocked_range_is_elapsed_time_across_the_change() -> None:
    t = meeting_type(duration_minutes=60, buffer_before_minutes=30)
    start, end = blocked_range(sthlm(2026, 3, 29, 3, 15), t)  # 30 min before 03:15 CEST is 01:45 CET
    assert start == sthlm(2026, 3, 29, 1, 45) and end - start == dt.timedelta(minutes=90)
    with pytest.raises(ValueError, match="aware"):
        blocked_range(dt.datetime(2026, 3, 3, 10), t)


def test_client_cutoff_from_unit_or_type() -> None:
    unit = UnitMeetingSettings(unit_id=UNIT, client_change_cutoff_hours=24)
    assert client_change_cutoff(meeting_type(), unit) == dt.timedelta(hours=24)
    assert client_change_cutoff(meeting_type(client_change_cutoff_hours=48), unit) == dt.timedelta(hours=48)
    assert client_change_cutoff(meeting_type(client_change_cutoff_hours=0), unit) == dt.timedelta(0)
    assert unit.reminder_offsets == (dt.timedelta(hours=24), dt.timedelta(hours=2))
    assert unit.min_notice == dt.timedelta(hours=2)


def test_closed_days_2026() -> None:
    days = closed_days(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert days[dt.date(2026, 1, 6)] == "Trettondedag jul"
    assert days[dt.date(2026, 5, 1)] == "Första maj"
    assert days[dt.date(2026, 6, 19)] == "Midsommarafton"
    assert days[dt.date(2026, 6, 20)] == "Midsommardagen"
    assert days[dt.date(2026, 12, 24)] == "Julafton"
    assert days[dt.date(2026, 12, 31)] == "Nyårsafton"
    # Sundays are not holidays here; only the ones that are (Påskdagen, Pingstdagen).
    sundays = [d for d in days if d.weekday() == 6]
    assert sundays == [dt.date(2026, 4, 5), dt.date(2026, 5, 24)]
    assert len(days) == 16  # 13 public holidays + 3 eves


@pytest.mark.parametrize(("year", "eve"), [(2025, 20), (2026, 19), (2027, 25), (2028, 23), (2029, 22)])
def test_midsommarafton_is_the_friday_between_19_and_25_june(year: int, eve: int) -> None:
    days = closed_days(dt.date(year, 6, 1), dt.date(year, 6, 30), HolidayPolicy())
    assert days[dt.date(year, 6, eve)] == "Midsommarafton"
    assert dt.date(year, 6, eve).weekday() == 4


def test_closed_days_policy_and_empty_range() -> None:
    assert closed_days(dt.date(2026, 3, 2), dt.date(2026, 3, 1)) == {}
    only_extra = HolidayPolicy(public_holidays=False, de_facto=frozenset(),
                               extra_dates=frozenset({dt.date(2026, 3, 2)}))
    assert closed_days(dt.date(2026, 1, 1), dt.date(2026, 12, 31), only_extra) == {dt.date(2026, 3, 2): "Stängt"}


def test_unit_key_figures_are_validated() -> None:
    assert UnitMeetingSettings(unit_id=UNIT, key_figures=("held", "held", "work_minutes")).key_figures == (
        "held", "work_minutes")
    with pytest.raises(ValidationError, match="unknown key figures"):
        UnitMeetingSettings(unit_id=UNIT, key_figures=("visits_per_hour",))
