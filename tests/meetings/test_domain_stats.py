from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict

import pytest

from services.meetings.domain.bookings import BookingStatus, Outcome
from services.meetings.domain.meeting_types import Channel, MeetingKind
from services.meetings.domain.stats import (
    DEFAULT_KEY_FIGURES,
    KEY_FIGURES,
    MeetingRecord,
    WeeklyStatsRow,
    check_key_figures,
    weekly_stats,
)
from services.meetings.domain.times import STOCKHOLM
from tests.meetings.test_domain_factories import OTHER_UNIT, UNIT, booking, sthlm, utc

K, C, OC, S = MeetingKind, Channel, Outcome, BookingStatus


def rec(who: str, kind: MeetingKind, channel: Channel, start: dt.datetime, minutes: int,
        outcome: Outcome | None = None, status: BookingStatus = S.BOOKED, unit: str = UNIT) -> MeetingRecord:
    return MeetingRecord(unit, who, kind, channel, start, minutes, status, outcome)


SEEDED = [
    # Anna, week 11 (9–15 March 2026)
    rec("anna", K.IN_PERSON, C.IN_PERSON, sthlm(2026, 3, 9, 10), 60, OC.HELD),
    rec("anna", K.PHONE, C.PHONE, sthlm(2026, 3, 10, 9), 30, OC.HELD),
    rec("anna", K.IN_PERSON, C.PHONE, sthlm(2026, 3, 11, 9), 60, OC.HELD),  # the client chose to call in
    rec("anna", K.HOME_VISIT, C.IN_PERSON, sthlm(2026, 3, 12, 13), 90, OC.HELD),
    rec("anna", K.IN_PERSON, C.IN_PERSON, sthlm(2026, 3, 13, 9), 60, OC.NO_SHOW),
    rec("anna", K.IN_PERSON, C.IN_PERSON, sthlm(2026, 3, 13, 11), 60, OC.CANCELLED_LATE),
    rec("anna", K.IN_PERSON, C.IN_PERSON, sthlm(2026, 3, 13, 14), 60, status=S.CANCELLED),
    rec("anna", K.MULTI_PARTY, C.VIDEO, sthlm(2026, 3, 10, 13), 60, OC.HELD),
    rec("anna", K.DROP_IN, C.IN_PERSON, sthlm(2026, 3, 11, 13), 15, OC.HELD),
    rec("anna", K.IN_PERSON, C.IN_PERSON, sthlm(2026, 3, 15, 10), 60),  # not marked
    # Bo: Sunday 23:30 is week 11; Monday 00:30 local (still Sunday in UTC) is week 12
    rec("bo", K.VIDEO, C.VIDEO, sthlm(2026, 3, 15, 23, 30), 45, OC.HELD),
    rec("bo", K.PHONE, C.PHONE, sthlm(2026, 3, 16, 0, 30), 30, OC.HELD),
    # another unit
    rec("olle", K.DROP_IN, C.IN_PERSON, sthlm(2026, 3, 9, 13), 15, OC.HELD, unit=OTHER_UNIT),
]

ALL_FIGURES = ("bookings", "cancelled", "not_marked", "held", "no_show", "cancelled_late", "multi_party_meetings",
               "home_visits", "drop_in_contacts", "phone_contacts", "video_meetings", "contacts", "work_minutes",
               "in_person.held", "in_person.no_show", "in_person.cancelled_late", "phone.held", "home_visit.held",
               "video.held")


def test_seeded_list() -> None:
    rows = weekly_stats(SEEDED, ALL_FIGURES)
    assert [(r.unit_id, r.caseworker_id, r.week) for r in rows] == [
        (UNIT, "anna", "2026-W11"), (UNIT, "bo", "2026-W11"), (UNIT, "bo", "2026-W12"),
        (OTHER_UNIT, "olle", "2026-W11"),
    ]
    by_key = {(r.unit_id, r.caseworker_id, r.week): r.figures for r in rows}
    assert by_key[(UNIT, "anna", "2026-W11")] == {
        "bookings": 10, "cancelled": 1, "not_marked": 1, "held": 6, "no_show": 1, "cancelled_late": 1,
        "multi_party_meetings": 1, "home_visits": 1, "drop_in_contacts": 1, "phone_contacts": 2,
        "video_meetings": 1, "contacts": 6, "work_minutes": 60 + 30 + 60 + 90 + 60 + 15,
        "in_person.held": 2, "in_person.no_show": 1, "in_person.cancelled_late": 1, "phone.held": 1,
        "home_visit.held": 1, "video.held": 0,
    }
    bo11 = by_key[(UNIT, "bo", "2026-W11")]
    assert (bo11["held"], bo11["video_meetings"], bo11["video.held"], bo11["work_minutes"]) == (1, 1, 1, 45)
    bo12 = by_key[(UNIT, "bo", "2026-W12")]
    assert (bo12["held"], bo12["phone_contacts"], bo12["work_minutes"]) == (1, 1, 30)
    olle = by_key[(OTHER_UNIT, "olle", "2026-W11")]
    assert (olle["drop_in_contacts"], olle["contacts"], olle["work_minutes"]) == (1, 1, 15)


def test_rows_are_ordered_by_unit_week_then_caseworker() -> None:
    rows = weekly_stats(SEEDED, ["held"], unit_totals=True)
    keys = [(r.unit_id, r.week, r.caseworker_id) for r in rows]
    # OTHER_UNIT ("unit-malmo-syd") sorts after UNIT ("unit-malmo-norr"); the unit's total row comes last.
    assert keys == [
        (UNIT, "2026-W11", "anna"), (UNIT, "2026-W11", "bo"), (UNIT, "2026-W11", None),
        (UNIT, "2026-W12", "bo"), (UNIT, "2026-W12", None),
        (OTHER_UNIT, "2026-W11", "olle"), (OTHER_UNIT, "2026-W11", None),
    ]
    totals = {(r.unit_id, r.week): r.figures["held"] for r in rows if r.caseworker_id is None}
    assert totals == {(UNIT, "2026-W11"): 7, (UNIT, "2026-W12"): 1, (OTHER_UNIT, "2026-W11"): 1}


def test_the_unit_chooses_its_key_figures() -> None:
    rows = weekly_stats(SEEDED, ["work_minutes", "no_show", "work_minutes"])
    assert list(rows[0].figures) == ["work_minutes", "no_show"]
    assert list(weekly_stats(SEEDED)[0].figures) == list(DEFAULT_KEY_FIGURES)
    with pytest.raises(ValueError, match="unknown key figures: visits_per_hour"):
        weekly_stats(SEEDED, ["held", "visits_per_hour"])
    with pytest.raises(ValueError, match="at least one"):
        check_key_figures([])


def test_iso_week_53_and_the_year_boundary() -> None:
    rows = weekly_stats([
        rec("anna", K.PHONE, C.PHONE, sthlm(2027, 1, 1, 10), 30, OC.HELD),  # Friday: 2026-W53
        rec("anna", K.PHONE, C.PHONE, sthlm(2027, 1, 4, 10), 30, OC.HELD),  # Monday: 2027-W01
        rec("anna", K.PHONE, C.PHONE, sthlm(2025, 12, 29, 10), 30, OC.HELD),  # Monday: 2026-W01
    ], ["held"])
    assert [r.week for r in rows] == ["2026-W01", "2026-W53", "2027-W01"]


def test_from_booking() -> None:
    bk = booking(start=sthlm(2026, 3, 10, 10), minutes=45, outcome=Outcome.HELD)
    record = MeetingRecord.from_booking(bk)
    assert (record.minutes, record.held, record.caseworker_id, record.unit_id) == (45, True, "cw-anna", UNIT)
    assert MeetingRecord.from_booking(bk, minutes=70).minutes == 70  # actual length recorded by staff
    row = weekly_stats([record], ["work_minutes"])[0]
    assert row == WeeklyStatsRow(UNIT, "cw-anna", 2026, 11, {"work_minutes": 45})


def reference_stats(records: list[MeetingRecord]) -> dict[tuple[str, str, str], dict[str, int]]:
    """The figures computed the plain way, one if-chain per record."""
    out: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
    for r in records:
        year, week, _ = r.start.astimezone(STOCKHOLM).date().isocalendar()
        c = out[(r.unit_id, r.caseworker_id, f"{year}-W{week:02d}")]
        c["bookings"] += 1
        if r.status is S.CANCELLED:
            c["cancelled"] += 1
            continue
        if r.outcome is None:
            c["not_marked"] += 1
            continue
        c[r.outcome.value] += 1
        c[f"{r.kind.value}.{r.outcome.value}"] += 1
        if r.outcome is OC.HELD:
            c["contacts"] += 1
            c["work_minutes"] += r.minutes
            c["multi_party_meetings"] += r.kind is K.MULTI_PARTY
            c["home_visits"] += r.kind is K.HOME_VISIT
            c["drop_in_contacts"] += r.kind is K.DROP_IN
            c["phone_contacts"] += r.channel is C.PHONE
            c["video_meetings"] += r.channel is C.VIDEO
    return {key: {name: counter[name] for name in KEY_FIGURES} for key, counter in out.items()}


def random_records(seed: int, n: int) -> list[MeetingRecord]:
    rng = random.Random(seed)
    records = []
    for _ in range(n):
        kind = rng.choice(list(K))
        channel = C.IN_PERSON if kind in (K.HOME_VISIT, K.DROP_IN) else rng.choice(list(C))
        status = S.CANCELLED if rng.random() < 0.1 else S.BOOKED
        outcome = None if status is S.CANCELLED or rng.random() < 0.1 else rng.choice(list(OC))
        start = utc(2026, 3, 1) + dt.timedelta(minutes=15 * rng.randrange(4 * 24 * 60))  # two months, DST inside
        records.append(MeetingRecord(rng.choice([UNIT, OTHER_UNIT]), f"cw-{rng.randrange(6)}", kind, channel, start,
                                     rng.choice([15, 30, 45, 60, 90]), status, outcome))
    return records


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_seeded_random_records_match_the_plain_computation(seed: int) -> None:
    records = random_records(seed, 600)
    rows = weekly_stats(records, list(KEY_FIGURES), unit_totals=True)
    staff_rows = {(r.unit_id, r.caseworker_id, r.week): r.figures for r in rows if r.caseworker_id is not None}
    assert staff_rows == reference_stats(records)
    assert sum(f["bookings"] for f in staff_rows.values()) == len(records)
    # The unit's total is the sum of its caseworkers' rows, figure by figure.
    for total in (r for r in rows if r.caseworker_id is None):
        parts = [r.figures for r in rows if r.caseworker_id and (r.unit_id, r.week) == (total.unit_id, total.week)]
        assert total.figures == {k: sum(p[k] for p in parts) for k in total.figures}
