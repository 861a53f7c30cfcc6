"""Time in the meetings domain: Europe/Stockholm wall clock outside, UTC instants inside.

Two pitfalls of Python's datetime decide how this package computes:

* Arithmetic on an aware datetime is wall-clock arithmetic *within its tzinfo*:
  ``datetime(2026, 3, 29, 1, 30, tzinfo=STOCKHOLM) + timedelta(hours=1)`` gives 02:30, a time that
  does not exist that day. Durations, steps and buffers are therefore added to UTC datetimes.
* Two datetimes with the *same* tzinfo compare by wall clock and ignore ``fold``, so the two 02:30s of
  the last Sunday in October compare equal. Intervals are therefore sorted and compared in UTC.

So: configuration speaks local wall time (weekly hours 09:00–12:00, an absence "Monday 13:00"), every
computed instant is a UTC-aware datetime, and ``local()`` converts for display.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
UTC = dt.UTC


def require_aware(value: dt.datetime, name: str = "datetime") -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value


def to_utc(value: dt.datetime) -> dt.datetime:
    """An aware datetime as UTC. Naive datetimes are refused: an instant without a zone is a bug."""
    return require_aware(value).astimezone(UTC)


def local_to_utc(value: dt.datetime) -> dt.datetime:
    """A configured time as UTC: naive values are Stockholm wall time, aware ones are taken as they are.

    A wall time in the spring gap (02:00–03:00 on the last Sunday of March) does not exist; it is read
    with the offset before the change (fold=0), i.e. moved forward by the hour (02:30 -> 03:30 CEST).
    An ambiguous wall time in October (02:00–03:00 twice) means its first occurrence (CEST).
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=STOCKHOLM, fold=0)
    return value.astimezone(UTC)


def at_local(day: dt.date, time: dt.time) -> dt.datetime:
    """The UTC instant of a Stockholm wall-clock time on a date (see local_to_utc for the DST edges)."""
    return local_to_utc(dt.datetime.combine(day, time.replace(tzinfo=None)))


def start_of_local_day(day: dt.date) -> dt.datetime:
    return at_local(day, dt.time(0, 0))


def local(value: dt.datetime) -> dt.datetime:
    """For display: the instant in Europe/Stockholm."""
    return to_utc(value).astimezone(STOCKHOLM)


def local_date(value: dt.datetime) -> dt.date:
    return local(value).date()
