"""A caseworker's bookable time and the free slots in it.

Configuration is Stockholm wall time: weekly hours ("Tuesdays 09:00–12:00", optionally only between two
dates), absences (a range of local datetimes or whole days) and one-off extra hours. Slots are UTC
instants (Slot.start_local / end_local for display); see times.py for why.

A slot is offered when
    * it lies fully inside one working block (weekly hours on a day that is not closed, or extra hours),
    * it overlaps no absence,
    * [start - buffer_before, end + buffer_after) overlaps no busy interval (busy intervals are other
      bookings' blocked ranges, buffers included: the same test the database's exclusion constraint makes),
    * it starts at or after now + min_notice.
Slots step by the meeting's duration (or step_minutes) from the start of each working block, so the grid
stays put when bookings come and go. Weekly hours 09:00–12:00 stay 09:00–12:00 local across the DST
changes; a slot's length is elapsed time.

Cost: busy intervals and absences are sorted and merged once per caseworker (n log n); each candidate is
tested by bisection (log n). search_unit_slots merges the per-caseworker lists with a heap.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from services.meetings.domain.closed_days import DEFAULT_HOLIDAY_POLICY, HolidayPolicy, closed_days
from services.meetings.domain.meeting_types import MeetingType
from services.meetings.domain.times import at_local, local, local_date, local_to_utc, start_of_local_day, to_utc

MAX_WINDOW_DAYS = 92  # a search covers at most about a quarter

Interval = tuple[dt.datetime, dt.datetime]

# Naive values are Stockholm wall time; aware values are kept as the instant they are. Stored as UTC.
LocalOrAware = Annotated[dt.datetime, AfterValidator(local_to_utc)]


class WeeklyHours(BaseModel):
    """Recurring hours on one weekday (0 = Monday … 6 = Sunday), local wall time, valid_from/valid_to inclusive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weekday: int = Field(ge=0, le=6)
    start: dt.time
    end: dt.time
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("start/end: local wall times, without a zone")
        if self.end <= self.start:
            raise ValueError("end: must be after start on the same day")
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to: must not be before valid_from")
        return self

    def applies_on(self, day: dt.date) -> bool:
        return (
            day.weekday() == self.weekday
            and (self.valid_from is None or day >= self.valid_from)
            and (self.valid_to is None or day <= self.valid_to)
        )


class Absence(BaseModel):
    """Time the caseworker is away, [start, end). No reason is kept (it may be sick leave)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: LocalOrAware
    end: LocalOrAware

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end: must be after start")
        return self

    @classmethod
    def whole_days(cls, first: dt.date, last: dt.date | None = None) -> Absence:
        """From the start of `first` to the end of `last` (inclusive), local days."""
        last = last or first
        return cls(start=start_of_local_day(first), end=start_of_local_day(last + dt.timedelta(days=1)))


class ExtraHours(BaseModel):
    """One-off bookable hours outside the weekly pattern, [start, end); honoured on closed days too."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: LocalOrAware
    end: LocalOrAware

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end: must be after start")
        return self


class Availability(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    caseworker_id: str
    weekly: tuple[WeeklyHours, ...] = ()
    absences: tuple[Absence, ...] = ()
    extra: tuple[ExtraHours, ...] = ()


@dataclass(frozen=True, order=True)
class Slot:
    """A bookable time: UTC instants, ordered by start and then caseworker."""

    start: dt.datetime
    end: dt.datetime
    caseworker_id: str

    @property
    def start_local(self) -> dt.datetime:
        return local(self.start)

    @property
    def end_local(self) -> dt.datetime:
        return local(self.end)


@dataclass(frozen=True)
class CaseworkerCalendar:
    """One caseworker's availability and busy intervals (existing bookings' blocked ranges, buffers included)."""

    availability: Availability
    busy: Sequence[Interval] = ()


@dataclass(frozen=True)
class TimeOption:
    """A time offered by at least one caseworker (for "any caseworker" booking)."""

    start: dt.datetime
    end: dt.datetime
    caseworker_ids: tuple[str, ...]


class IntervalSet:
    """A union of half-open intervals, merged and sorted once, answering overlap questions by bisection."""

    __slots__ = ("_ends", "_starts")

    def __init__(self, intervals: Iterable[Interval]) -> None:
        cleaned = sorted((to_utc(a), to_utc(b)) for a, b in intervals)
        starts: list[dt.datetime] = []
        ends: list[dt.datetime] = []
        for a, b in cleaned:
            if b <= a:
                continue
            if ends and a <= ends[-1]:
                if b > ends[-1]:
                    ends[-1] = b
            else:
                starts.append(a)
                ends.append(b)
        self._starts = starts
        self._ends = ends

    def __len__(self) -> int:
        return len(self._starts)

    def __iter__(self) -> Iterator[Interval]:
        return iter(zip(self._starts, self._ends, strict=True))

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Does [start, end) share any instant with the set?"""
        i = bisect.bisect_right(self._ends, start)  # the first interval that ends after `start`
        return i < len(self._starts) and self._starts[i] < end


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def _check_window(window_start: dt.date, window_end: dt.date) -> None:
    if window_end < window_start:
        raise ValueError("window_end must not be before window_start")
    if (window_end - window_start).days + 1 > MAX_WINDOW_DAYS:
        raise ValueError(f"a search window covers at most {MAX_WINDOW_DAYS} days")


def working_blocks(
    availability: Availability, window_start: dt.date, window_end: dt.date, closed: Iterable[dt.date] = ()
) -> list[Interval]:
    """The caseworker's working time in the window (local dates, inclusive) as merged, sorted UTC intervals.

    Weekly hours count on days that are not closed; extra hours count when they start inside the window.
    Absences are not removed here (the slot grid is anchored at the block start and must not move).
    """
    closed_set = set(closed)
    blocks: list[Interval] = []
    if availability.weekly:
        for day in _days(window_start, window_end):
            if day in closed_set:
                continue
            for hours in availability.weekly:
                if hours.applies_on(day):
                    blocks.append((at_local(day, hours.start), at_local(day, hours.end)))
    for extra in availability.extra:
        if window_start <= local_date(extra.start) <= window_end:
            blocks.append((extra.start, extra.end))
    return list(IntervalSet(blocks))


def _ceil_steps(gap: dt.timedelta, step: dt.timedelta) -> int:
    return -(-gap // step)


def generate_slots(
    availability: Availability,
    meeting_type: MeetingType,
    window_start: dt.date,
    window_end: dt.date,
    busy: Iterable[Interval],
    now: dt.datetime,
    min_notice: dt.timedelta = dt.timedelta(0),
    *,
    step_minutes: int | None = None,
    holidays: HolidayPolicy = DEFAULT_HOLIDAY_POLICY,
    closed: Iterable[dt.date] | None = None,
) -> list[Slot]:
    """Free slots for one caseworker from window_start to window_end (local dates, inclusive), sorted.

    `busy`: aware (start, end) pairs of existing bookings, their buffers included. `closed`: precomputed
    closed days (search_unit_slots passes them once for all caseworkers); by default from `holidays`.
    """
    _check_window(window_start, window_end)
    if min_notice < dt.timedelta(0):
        raise ValueError("min_notice must not be negative")
    step = dt.timedelta(minutes=step_minutes) if step_minutes is not None else meeting_type.duration
    if step <= dt.timedelta(0):
        raise ValueError("step_minutes must be positive")
    if closed is None:
        closed = closed_days(window_start, window_end, holidays)

    blocks = working_blocks(availability, window_start, window_end, closed)
    if not blocks:
        return []
    absences = IntervalSet((a.start, a.end) for a in availability.absences)
    taken = IntervalSet(busy)
    earliest = to_utc(now) + min_notice
    duration, before, after = meeting_type.duration, meeting_type.buffer_before, meeting_type.buffer_after
    who = availability.caseworker_id

    slots: list[Slot] = []
    for block_start, block_end in blocks:
        start = block_start
        if start < earliest:  # jump to the first grid point at or after `earliest`, keeping the grid
            start += _ceil_steps(earliest - start, step) * step
        while start + duration <= block_end:
            end = start + duration
            if not absences.overlaps(start, end) and not taken.overlaps(start - before, end + after):
                slots.append(Slot(start, end, who))
            start += step
    return slots


def search_unit_slots(
    caseworkers: Sequence[CaseworkerCalendar],
    meeting_type: MeetingType,
    window_start: dt.date,
    window_end: dt.date,
    now: dt.datetime,
    min_notice: dt.timedelta = dt.timedelta(0),
    *,
    step_minutes: int | None = None,
    holidays: HolidayPolicy = DEFAULT_HOLIDAY_POLICY,
) -> list[Slot]:
    """Free slots of several caseworkers, one list ordered by (start, caseworker_id); Slot.caseworker_id says who."""
    _check_window(window_start, window_end)
    ids = [c.availability.caseworker_id for c in caseworkers]
    if len(set(ids)) != len(ids):
        raise ValueError("each caseworker may appear only once")
    closed = frozenset(closed_days(window_start, window_end, holidays))
    per_caseworker = [
        generate_slots(
            c.availability, meeting_type, window_start, window_end, c.busy, now, min_notice,
            step_minutes=step_minutes, closed=closed,
        )
        for c in caseworkers
    ]
    return list(heapq.merge(*per_caseworker))


def group_by_time(slots: Iterable[Slot]) -> list[TimeOption]:
    """Slots ordered by start (as search_unit_slots returns them) folded into times with who is free then."""
    options: list[TimeOption] = []
    current: list[Slot] = []
    for slot in slots:
        if current and (slot.start, slot.end) != (current[0].start, current[0].end):
            options.append(_option(current))
            current = []
        current.append(slot)
    if current:
        options.append(_option(current))
    return options


def _option(same_time: list[Slot]) -> TimeOption:
    return TimeOption(same_time[0].start, same_time[0].end, tuple(sorted({s.caseworker_id for s in same_time})))
