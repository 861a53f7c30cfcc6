"""Weekly figures for team leads: per unit, caseworker and ISO week (Stockholm dates), pure aggregation.

The figures count all client work, not only booked office meetings: phone contacts, drop-in visits and home
visits are work too, and work_minutes adds up the time (the field studies report criticism of quotas that
counted only short visits). The unit chooses its key figures by name from KEY_FIGURES; every figure is an
integer sum, so rows add up across caseworkers and weeks (rates are left to the reader of the rows).

A record's week is the ISO week of its local start date: a meeting on Monday 00:30 in Stockholm belongs to
the new week, although it is still Sunday in UTC.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from services.meetings.domain.bookings import Booking, BookingStatus, Outcome
from services.meetings.domain.meeting_types import Channel, MeetingKind
from services.meetings.domain.times import local_date, to_utc


@dataclass(frozen=True)
class MeetingRecord:
    """One booked meeting or recorded contact, as the statistics needs it (no client at all)."""

    unit_id: str
    caseworker_id: str
    kind: MeetingKind
    channel: Channel
    start: dt.datetime
    minutes: int  # the planned length, or the actual one where staff recorded it
    status: BookingStatus = BookingStatus.BOOKED
    outcome: Outcome | None = None

    @classmethod
    def from_booking(cls, booking: Booking, minutes: int | None = None) -> MeetingRecord:
        return cls(
            unit_id=booking.unit_id,
            caseworker_id=booking.caseworker_id,
            kind=booking.kind,
            channel=booking.channel,
            start=booking.start,
            minutes=booking.minutes if minutes is None else minutes,
            status=booking.status,
            outcome=booking.outcome,
        )

    @property
    def held(self) -> bool:
        return self.status is BookingStatus.BOOKED and self.outcome is Outcome.HELD


Figure = Callable[[MeetingRecord], int]


def _count(predicate: Callable[[MeetingRecord], bool]) -> Figure:
    return lambda r: 1 if predicate(r) else 0


def _outcome(outcome: Outcome) -> Figure:
    return _count(lambda r: r.status is BookingStatus.BOOKED and r.outcome is outcome)


def _kind_outcome(kind: MeetingKind, outcome: Outcome) -> Figure:
    return _count(lambda r: r.kind is kind and r.status is BookingStatus.BOOKED and r.outcome is outcome)


KEY_FIGURES: dict[str, Figure] = {
    "bookings": _count(lambda r: True),  # every booking and contact of the week, also those later cancelled
    "cancelled": _count(lambda r: r.status is BookingStatus.CANCELLED),  # in time
    "not_marked": _count(lambda r: r.status is BookingStatus.BOOKED and r.outcome is None),
    "held": _outcome(Outcome.HELD),
    "no_show": _outcome(Outcome.NO_SHOW),
    "cancelled_late": _outcome(Outcome.CANCELLED_LATE),
    "multi_party_meetings": _count(lambda r: r.held and r.kind is MeetingKind.MULTI_PARTY),
    "home_visits": _count(lambda r: r.held and r.kind is MeetingKind.HOME_VISIT),
    "drop_in_contacts": _count(lambda r: r.held and r.kind is MeetingKind.DROP_IN),
    "phone_contacts": _count(lambda r: r.held and r.channel is Channel.PHONE),  # whatever the type's kind
    "video_meetings": _count(lambda r: r.held and r.channel is Channel.VIDEO),
    "contacts": _count(lambda r: r.held),  # all client work that took place
    "work_minutes": lambda r: r.minutes if r.held else 0,
}
# "<kind>.<outcome>" for every kind and outcome: "home_visit.held", "phone.no_show", …
for _kind in MeetingKind:
    for _oc in Outcome:
        KEY_FIGURES[f"{_kind.value}.{_oc.value}"] = _kind_outcome(_kind, _oc)

DEFAULT_KEY_FIGURES: tuple[str, ...] = (
    "held", "no_show", "cancelled_late", "multi_party_meetings", "home_visits", "phone_contacts",
    "drop_in_contacts", "contacts", "work_minutes",
)


@dataclass(frozen=True)
class WeeklyStatsRow:
    unit_id: str
    caseworker_id: str | None  # None: the whole unit (unit_totals=True)
    iso_year: int
    iso_week: int
    figures: dict[str, int] = field(default_factory=dict)

    @property
    def week(self) -> str:
        return f"{self.iso_year}-W{self.iso_week:02d}"


def check_key_figures(names: Sequence[str]) -> tuple[str, ...]:
    """The unit's choice, validated and without repeats (order kept)."""
    unknown = [n for n in names if n not in KEY_FIGURES]
    if unknown:
        raise ValueError(f"unknown key figures: {', '.join(unknown)}")
    if not names:
        raise ValueError("choose at least one key figure")
    return tuple(dict.fromkeys(names))


def weekly_stats(
    records: Iterable[MeetingRecord],
    key_figures: Sequence[str] = DEFAULT_KEY_FIGURES,
    *,
    unit_totals: bool = False,
) -> list[WeeklyStatsRow]:
    """One row per (unit, caseworker, ISO week) that has records; with unit_totals also one per (unit, week).

    Rows are ordered by unit, week, then caseworker (the unit's total last).
    """
    names = check_key_figures(key_figures)
    figures = [(name, KEY_FIGURES[name]) for name in names]
    sums: dict[tuple[str, int, int, str | None], list[int]] = defaultdict(lambda: [0] * len(figures))
    for record in records:
        year, week, _ = local_date(to_utc(record.start)).isocalendar()
        values = [f(record) for _, f in figures]
        keys: list[tuple[str, int, int, str | None]] = [(record.unit_id, year, week, record.caseworker_id)]
        if unit_totals:
            keys.append((record.unit_id, year, week, None))
        for key in keys:
            row = sums[key]
            for i, value in enumerate(values):
                row[i] += value
    ordered = sorted(sums, key=lambda k: (k[0], k[1], k[2], k[3] is None, k[3] or ""))
    return [
        WeeklyStatsRow(unit, who, year, week, dict(zip(names, sums[(unit, year, week, who)], strict=True)))
        for unit, year, week, who in ordered
    ]
