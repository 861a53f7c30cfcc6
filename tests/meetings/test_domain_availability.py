from __future__ import annotations

import datetime as dt
import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.meetings.domain.availability import (
    Absence,
    Availability,
    CaseworkerCalendar,
    ExtraHours,
    IntervalSet,
    Slot,
    WeeklyHours,
    generate_slots,
    group_by_time,
    search_unit_slots,
    working_blocks,
)
from services.meetings.domain.closed_days import DeFactoHoliday, HolidayPolicy
from services.meetings.domain.meeting_types import MeetingType, blocked_range
from services.meetings.domain.times import STOCKHOLM, local
from tests.meetings.test_domain_factories import ALL_DAYS, availability, meeting_type, phone_type, sthlm, utc

LONG_AGO = utc(2025, 1, 1)
H = dt.timedelta(hours=1)


def local_starts(slots: list[Slot]) -> list[str]:
    return [f"{s.start_local:%Y-%m-%d %H:%M%z}" for s in slots]


def by_day(slots: list[Slot]) -> dict[dt.date, list[dt.time]]:
    days: dict[dt.date, list[dt.time]] = {}
    for slot in slots:
        days.setdefault(slot.start_local.date(), []).append(slot.start_local.time())
    return days


# --- daylight saving time ---------------------------------------------------------------------------------

def test_spring_forward_keeps_local_hours_and_moves_the_utc_offset() -> None:
    # Last Sunday of March 2026 is the 29th: 02:00 CET -> 03:00 CEST.
    slots = generate_slots(availability(days=ALL_DAYS), phone_type(), dt.date(2026, 3, 28), dt.date(2026, 3, 30),
                           [], LONG_AGO)
    assert local_starts(slots) == [
        "2026-03-28 09:00+0100", "2026-03-28 10:00+0100", "2026-03-28 11:00+0100",
        "2026-03-29 09:00+0200", "2026-03-29 10:00+0200", "2026-03-29 11:00+0200",
        "2026-03-30 09:00+0200", "2026-03-30 10:00+0200", "2026-03-30 11:00+0200",
    ]
    assert [s.start.hour for s in slots] == [8, 9, 10, 7, 8, 9, 7, 8, 9]  # UTC
    assert all(s.start.utcoffset() == dt.timedelta(0) for s in slots)  # instants are kept in UTC
    assert all(s.end - s.start == H for s in slots)


def test_fall_back_keeps_local_hours_and_moves_the_utc_offset() -> None:
    # Last Sunday of October 2026 is the 25th: 03:00 CEST -> 02:00 CET.
    slots = generate_slots(availability(days=ALL_DAYS), phone_type(), dt.date(2026, 10, 24), dt.date(2026, 10, 26),
                           [], LONG_AGO)
    assert local_starts(slots) == [
        "2026-10-24 09:00+0200", "2026-10-24 10:00+0200", "2026-10-24 11:00+0200",
        "2026-10-25 09:00+0100", "2026-10-25 10:00+0100", "2026-10-25 11:00+0100",
        "2026-10-26 09:00+0100", "2026-10-26 10:00+0100", "2026-10-26 11:00+0100",
    ]
    assert [s.start.hour for s in slots] == [7, 8, 9, 8, 9, 10, 8, 9, 10]


def test_monday_after_each_change_is_a_normal_weekday() -> None:
    type_ = phone_type()
    for monday, offset in ((dt.date(2026, 3, 30), 2), (dt.date(2026, 10, 26), 1)):
        slots = generate_slots(availability(), type_, monday, monday, [], LONG_AGO)
        assert [s.start_local.time() for s in slots] == [dt.time(9), dt.time(10), dt.time(11)]
        assert {s.start_local.utcoffset() for s in slots} == {dt.timedelta(hours=offset)}


def test_night_hours_across_the_changes_count_elapsed_time() -> None:
    # 00:00–06:00 local is 5 real hours on 29 March and 7 on 25 October.
    night = availability(days=(6,), start=dt.time(0), end=dt.time(6))
    spring = generate_slots(night, phone_type(), dt.date(2026, 3, 29), dt.date(2026, 3, 29), [], LONG_AGO)
    assert [f"{s.start_local:%H:%M%z}" for s in spring] == [
        "00:00+0100", "01:00+0100", "03:00+0200", "04:00+0200", "05:00+0200"]
    autumn = generate_slots(night, phone_type(), dt.date(2026, 10, 25), dt.date(2026, 10, 25), [], LONG_AGO)
    assert [f"{s.start_local:%H:%M%z}" for s in autumn] == [
        "00:00+0200", "01:00+0200", "02:00+0200", "02:00+0100", "03:00+0100", "04:00+0100", "05:00+0100"]
    assert len({s.start for s in autumn}) == 7  # the two 02:00s are different instants


def test_a_wall_time_in_the_spring_gap_moves_forward() -> None:
    hours = Availability(caseworker_id="x", extra=(ExtraHours(start=dt.datetime(2026, 3, 29, 2, 30),
                                                             end=dt.datetime(2026, 3, 29, 5, 30)),))
    slots = generate_slots(hours, phone_type(), dt.date(2026, 3, 29), dt.date(2026, 3, 29), [], LONG_AGO)
    assert slots[0].start_local == sthlm(2026, 3, 29, 3, 30)


# --- closed days ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("closed", "name"),
    [
        (dt.date(2026, 1, 6), "trettondedag jul (Tuesday)"),
        (dt.date(2026, 4, 3), "långfredagen"),
        (dt.date(2026, 4, 6), "annandag påsk"),
        (dt.date(2026, 5, 1), "första maj (Friday)"),
        (dt.date(2026, 5, 14), "Kristi himmelsfärdsdag"),
        (dt.date(2026, 6, 19), "midsommarafton (de facto)"),
        (dt.date(2026, 12, 24), "julafton (de facto)"),
        (dt.date(2026, 12, 25), "juldagen"),
        (dt.date(2026, 12, 31), "nyårsafton (de facto)"),
        (dt.date(2027, 1, 1), "nyårsdagen"),
    ],
)
def test_no_weekly_slots_on_closed_weekdays(closed: dt.date, name: str) -> None:
    week_start = closed - dt.timedelta(days=closed.weekday())
    slots = generate_slots(availability(), phone_type(), week_start, week_start + dt.timedelta(days=6), [], LONG_AGO)
    days = by_day(slots)
    assert closed not in days, name
    assert days  # the rest of the week is open (none of these weeks closes on every weekday)


def test_the_week_of_midsummer() -> None:
    slots = generate_slots(availability(), phone_type(), dt.date(2026, 6, 15), dt.date(2026, 6, 21), [], LONG_AGO)
    assert sorted(by_day(slots)) == [dt.date(2026, 6, d) for d in (15, 16, 17, 18)]


def test_de_facto_days_are_a_parameter() -> None:
    window = (dt.date(2026, 6, 19), dt.date(2026, 6, 19))
    none = HolidayPolicy(de_facto=frozenset())
    assert len(generate_slots(availability(), phone_type(), *window, [], LONG_AGO, holidays=none)) == 3
    only_christmas = HolidayPolicy(de_facto=frozenset({DeFactoHoliday.JULAFTON}))
    assert len(generate_slots(availability(), phone_type(), *window, [], LONG_AGO, holidays=only_christmas)) == 3
    assert generate_slots(availability(), phone_type(), *window, [], LONG_AGO) == []


def test_a_unit_may_close_a_klamdag() -> None:
    klamdag = dt.date(2026, 5, 15)  # the Friday after Kristi himmelsfärd: a working day by default
    assert generate_slots(availability(), phone_type(), klamdag, klamdag, [], LONG_AGO)
    policy = HolidayPolicy(extra_dates=frozenset({klamdag}))
    assert generate_slots(availability(), phone_type(), klamdag, klamdag, [], LONG_AGO, holidays=policy) == []


def test_weekly_hours_decide_weekends_and_only_real_holidays_close_them() -> None:
    weekend = availability(days=(5, 6))
    # An ordinary Sunday with Sunday hours has slots (the holidays library is asked without Sundays).
    assert len(generate_slots(weekend, phone_type(), dt.date(2026, 3, 22), dt.date(2026, 3, 22), [], LONG_AGO)) == 3
    # Påskdagen (Sunday) and Nationaldagen (Saturday) are holidays also for a unit with weekend hours.
    assert generate_slots(weekend, phone_type(), dt.date(2026, 4, 5), dt.date(2026, 4, 5), [], LONG_AGO) == []
    assert generate_slots(weekend, phone_type(), dt.date(2026, 6, 6), dt.date(2026, 6, 6), [], LONG_AGO) == []
    # Without weekend hours, no weekend slots.
    assert generate_slots(availability(), phone_type(), dt.date(2026, 3, 21), dt.date(2026, 3, 22), [], LONG_AGO) == []


def test_extra_hours_are_honoured_on_a_holiday() -> None:
    extra = ExtraHours(start=dt.datetime(2026, 1, 6, 10), end=dt.datetime(2026, 1, 6, 11))
    slots = generate_slots(availability(extra=(extra,)), phone_type(), dt.date(2026, 1, 5), dt.date(2026, 1, 7),
                           [], LONG_AGO)
    assert by_day(slots)[dt.date(2026, 1, 6)] == [dt.time(10)]
    assert len(by_day(slots)[dt.date(2026, 1, 5)]) == 3


# --- hours, absences, extra hours, validity ---------------------------------------------------------------

def test_slots_fit_fully_inside_the_hours() -> None:
    slots = generate_slots(availability(end=dt.time(11, 30)), phone_type(duration_minutes=45),
                           dt.date(2026, 3, 3), dt.date(2026, 3, 3), [], LONG_AGO)
    assert [s.start_local.time() for s in slots] == [dt.time(9), dt.time(9, 45), dt.time(10, 30)]
    assert slots[-1].end_local.time() == dt.time(11, 15)


def test_configurable_step() -> None:
    slots = generate_slots(availability(), phone_type(), dt.date(2026, 3, 3), dt.date(2026, 3, 3), [], LONG_AGO,
                           step_minutes=30)
    assert [f"{s.start_local:%H:%M}" for s in slots] == ["09:00", "09:30", "10:00", "10:30", "11:00"]


def test_split_hours_and_overlapping_entries() -> None:
    weekly = (
        WeeklyHours(weekday=1, start=dt.time(9), end=dt.time(11)),
        WeeklyHours(weekday=1, start=dt.time(10), end=dt.time(12)),  # overlaps: merged, no duplicate slots
        WeeklyHours(weekday=1, start=dt.time(13), end=dt.time(15)),
    )
    slots = generate_slots(Availability(caseworker_id="x", weekly=weekly), phone_type(), dt.date(2026, 3, 3),
                           dt.date(2026, 3, 3), [], LONG_AGO)
    assert [f"{s.start_local:%H}" for s in slots] == ["09", "10", "11", "13", "14"]


def test_absence_in_local_time_and_whole_days() -> None:
    away = Absence(start=dt.datetime(2026, 3, 3, 10, 30), end=dt.datetime(2026, 3, 3, 11, 30))  # naive = local
    sick = Absence.whole_days(dt.date(2026, 3, 4), dt.date(2026, 3, 5))
    slots = generate_slots(availability(absences=(away, sick)), phone_type(), dt.date(2026, 3, 2),
                           dt.date(2026, 3, 6), [], LONG_AGO)
    days = by_day(slots)
    assert days[dt.date(2026, 3, 3)] == [dt.time(9)]
    assert dt.date(2026, 3, 4) not in days and dt.date(2026, 3, 5) not in days
    assert len(days[dt.date(2026, 3, 2)]) == len(days[dt.date(2026, 3, 6)]) == 3


def test_whole_day_absence_on_the_short_dst_day_covers_the_local_day() -> None:
    absence = Absence.whole_days(dt.date(2026, 3, 29))
    assert absence.end - absence.start == dt.timedelta(hours=23)
    assert local(absence.start) == sthlm(2026, 3, 29) and local(absence.end) == sthlm(2026, 3, 30)


def test_aware_absence_is_taken_as_the_instant_it_is() -> None:
    away = Absence(start=utc(2026, 3, 3, 8), end=utc(2026, 3, 3, 9))  # 09:00–10:00 local
    slots = generate_slots(availability(absences=(away,)), phone_type(), dt.date(2026, 3, 3), dt.date(2026, 3, 3),
                           [], LONG_AGO)
    assert [s.start_local.hour for s in slots] == [10, 11]


def test_weekly_hours_valid_from_to() -> None:
    weekly = (
        WeeklyHours(weekday=0, start=dt.time(9), end=dt.time(10), valid_to=dt.date(2026, 3, 9)),
        WeeklyHours(weekday=0, start=dt.time(13), end=dt.time(14), valid_from=dt.date(2026, 3, 16)),
    )
    slots = generate_slots(Availability(caseworker_id="x", weekly=weekly), phone_type(), dt.date(2026, 3, 2),
                           dt.date(2026, 3, 22), [], LONG_AGO)
    assert [f"{s.start_local:%m-%d %H}" for s in slots] == ["03-02 09", "03-09 09", "03-16 13"]


def test_invalid_configuration() -> None:
    with pytest.raises(ValidationError):
        WeeklyHours(weekday=0, start=dt.time(12), end=dt.time(9))
    with pytest.raises(ValidationError):
        WeeklyHours(weekday=7, start=dt.time(9), end=dt.time(12))
    with pytest.raises(ValidationError):
        WeeklyHours(weekday=0, start=dt.time(9), end=dt.time(12), valid_from=dt.date(2026, 2, 1),
                    valid_to=dt.date(2026, 1, 1))
    with pytest.raises(ValidationError):
        Absence(start=dt.datetime(2026, 3, 3, 11), end=dt.datetime(2026, 3, 3, 10))


# --- busy, buffers, notice ----------------------------------------------------------------------------------

def test_busy_time_with_buffers_blocks_slots() -> None:
    type_ = phone_type(buffer_before_minutes=15, buffer_after_minutes=15)
    other = blocked_range(sthlm(2026, 3, 3, 10), phone_type(buffer_before_minutes=15, buffer_after_minutes=15))
    assert other == (utc(2026, 3, 3, 8, 45), utc(2026, 3, 3, 10, 15))
    slots = generate_slots(availability(), type_, dt.date(2026, 3, 3), dt.date(2026, 3, 3), [other], LONG_AGO)
    # 09:00 would block until 10:15 and 11:00 from 10:45: both overlap the other booking's 09:45–11:15 range.
    assert slots == []
    # Without buffers on either side, only the booked hour itself is taken.
    plain = generate_slots(availability(), phone_type(), dt.date(2026, 3, 3), dt.date(2026, 3, 3),
                           [blocked_range(sthlm(2026, 3, 3, 10), phone_type())], LONG_AGO)
    assert [s.start_local.hour for s in plain] == [9, 11]


def test_touching_blocked_ranges_do_not_conflict() -> None:
    # Half-open ranges, as tstzrange '[)': a range ending at 10:00 and one starting at 10:00 may coexist.
    type_ = phone_type(buffer_before_minutes=10)
    busy = [(sthlm(2026, 3, 3, 9), sthlm(2026, 3, 3, 9, 50))]
    slots = generate_slots(availability(), type_, dt.date(2026, 3, 3), dt.date(2026, 3, 3), busy, LONG_AGO)
    assert [s.start_local.hour for s in slots] == [10, 11]
    busy = [(sthlm(2026, 3, 3, 9), sthlm(2026, 3, 3, 9, 51))]
    slots = generate_slots(availability(), type_, dt.date(2026, 3, 3), dt.date(2026, 3, 3), busy, LONG_AGO)
    assert [s.start_local.hour for s in slots] == [11]


def test_buffers_need_not_fit_inside_the_hours() -> None:
    type_ = phone_type(buffer_before_minutes=30, buffer_after_minutes=30)
    slots = generate_slots(availability(), type_, dt.date(2026, 3, 3), dt.date(2026, 3, 3), [], LONG_AGO)
    assert [s.start_local.hour for s in slots] == [9, 10, 11]


def test_past_and_min_notice_keep_the_grid() -> None:
    hours = availability(end=dt.time(17))
    now = sthlm(2026, 3, 3, 10, 30)
    slots = generate_slots(hours, phone_type(), dt.date(2026, 3, 3), dt.date(2026, 3, 4), [], now)
    assert by_day(slots)[dt.date(2026, 3, 3)][0] == dt.time(11)
    slots = generate_slots(hours, phone_type(), dt.date(2026, 3, 3), dt.date(2026, 3, 4), [], now, 2 * H)
    assert by_day(slots)[dt.date(2026, 3, 3)][0] == dt.time(13)  # 12:30 is not on the grid
    slots = generate_slots(hours, phone_type(), dt.date(2026, 3, 3), dt.date(2026, 3, 4), [], now,
                           dt.timedelta(hours=2, minutes=30))
    assert by_day(slots)[dt.date(2026, 3, 3)][0] == dt.time(13)  # exactly now + notice is allowed
    slots = generate_slots(hours, phone_type(), dt.date(2026, 3, 3), dt.date(2026, 3, 4), [], now, 24 * H)
    assert dt.date(2026, 3, 3) not in by_day(slots) and by_day(slots)[dt.date(2026, 3, 4)][0] == dt.time(11)


def test_arguments_are_checked() -> None:
    args = (availability(), phone_type())
    with pytest.raises(ValueError, match="before"):
        generate_slots(*args, dt.date(2026, 3, 3), dt.date(2026, 3, 2), [], LONG_AGO)
    with pytest.raises(ValueError, match="92"):
        generate_slots(*args, dt.date(2026, 1, 1), dt.date(2026, 6, 1), [], LONG_AGO)
    with pytest.raises(ValueError, match="aware"):
        generate_slots(*args, dt.date(2026, 3, 3), dt.date(2026, 3, 3), [], dt.datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="aware"):
        generate_slots(*args, dt.date(2026, 3, 3), dt.date(2026, 3, 3),
                       [(dt.datetime(2026, 3, 3, 9), dt.datetime(2026, 3, 3, 10))], LONG_AGO)
    with pytest.raises(ValueError, match="negative"):
        generate_slots(*args, dt.date(2026, 3, 3), dt.date(2026, 3, 3), [], LONG_AGO, -H)
    with pytest.raises(ValueError, match="positive"):
        generate_slots(*args, dt.date(2026, 3, 3), dt.date(2026, 3, 3), [], LONG_AGO, step_minutes=0)


# --- the whole unit ---------------------------------------------------------------------------------------

def test_unit_search_merges_caseworkers_in_time_order() -> None:
    anna = CaseworkerCalendar(availability("cw-anna"), busy=[(sthlm(2026, 3, 3, 10), sthlm(2026, 3, 3, 11))])
    bo = CaseworkerCalendar(availability("cw-bo", start=dt.time(10), end=dt.time(13)))
    slots = search_unit_slots([bo, anna], phone_type(), dt.date(2026, 3, 3), dt.date(2026, 3, 3), LONG_AGO)
    assert [(s.start_local.hour, s.caseworker_id) for s in slots] == [
        (9, "cw-anna"), (10, "cw-bo"), (11, "cw-anna"), (11, "cw-bo"), (12, "cw-bo")]
    options = group_by_time(slots)
    assert [(o.start.astimezone(STOCKHOLM).hour, o.caseworker_ids) for o in options] == [
        (9, ("cw-anna",)), (10, ("cw-bo",)), (11, ("cw-anna", "cw-bo")), (12, ("cw-bo",))]


def test_unit_search_refuses_a_caseworker_twice() -> None:
    cal = CaseworkerCalendar(availability("cw-anna"))
    with pytest.raises(ValueError, match="once"):
        search_unit_slots([cal, cal], phone_type(), dt.date(2026, 3, 3), dt.date(2026, 3, 3), LONG_AGO)


def brute_force_slots(
    avail: Availability, type_: MeetingType, first: dt.date, last: dt.date, busy: list[tuple[dt.datetime, dt.datetime]],
    now: dt.datetime, notice: dt.timedelta, step: dt.timedelta,
) -> list[Slot]:
    """The definition, written the slow way: every grid point of every block, checked against every interval."""
    from services.meetings.domain.closed_days import closed_days

    closed = closed_days(first, last)
    duration, before, after = type_.duration, type_.buffer_before, type_.buffer_after
    found = []
    for block_start, block_end in working_blocks(avail, first, last, closed):
        start = block_start
        while start + duration <= block_end:
            end = start + duration
            ok = start >= now + notice
            ok = ok and all(not (a.start < end and start < a.end) for a in avail.absences)
            ok = ok and all(not (b0 < end + after and start - before < b1) for b0, b1 in busy)
            if ok:
                found.append(Slot(start, end, avail.caseworker_id))
            start += step
    return found


def random_busy(rng: random.Random, first: dt.date, days: int, count: int) -> list[tuple[dt.datetime, dt.datetime]]:
    busy = []
    for _ in range(count):
        day = first + dt.timedelta(days=rng.randrange(days))
        start = sthlm(day.year, day.month, day.day, rng.randrange(7, 17), rng.choice((0, 15, 30, 45)))
        busy.append((start, start + dt.timedelta(minutes=rng.choice((30, 45, 60, 90)))))
    return busy


def test_unit_search_is_fast_for_twenty_caseworkers_over_four_weeks() -> None:
    rng = random.Random(20260303)
    first, last = dt.date(2026, 3, 2), dt.date(2026, 3, 29)  # four weeks, DST change included
    type_ = meeting_type(duration_minutes=45, buffer_before_minutes=10, buffer_after_minutes=5)
    cals = [
        CaseworkerCalendar(
            availability(f"cw-{i:02d}", start=dt.time(8), end=dt.time(16, 30),
                         absences=(Absence.whole_days(first + dt.timedelta(days=rng.randrange(28))),)),
            busy=random_busy(rng, first, 28, 60),
        )
        for i in range(20)
    ]
    now = sthlm(2026, 3, 2, 7)
    started = time.perf_counter()
    slots = search_unit_slots(cals, type_, first, last, now, 2 * H, step_minutes=15)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, elapsed  # ~0.1 s here; the brute force below is several times slower
    assert slots == sorted(slots)
    expected = sorted(
        s for c in cals
        for s in brute_force_slots(c.availability, type_, first, last, list(c.busy), now, 2 * H,
                                   dt.timedelta(minutes=15))
    )
    assert slots == expected
    assert len({s.caseworker_id for s in slots}) == 20


# --- properties -------------------------------------------------------------------------------------------

busy_st = st.lists(
    st.tuples(st.integers(0, 4 * 24 * 4), st.integers(1, 12)).map(
        lambda t: (utc(2026, 3, 26, 23) + dt.timedelta(minutes=15 * t[0]),  # from local midnight, UTC steps
                   utc(2026, 3, 26, 23) + dt.timedelta(minutes=15 * (t[0] + t[1])))),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(
    busy=busy_st,
    duration=st.sampled_from([15, 30, 45, 60, 90]),
    before=st.sampled_from([0, 5, 15]),
    after=st.sampled_from([0, 10, 30]),
    step=st.sampled_from([None, 15, 20, 30]),
    now_offset=st.integers(0, 4 * 24),
    notice=st.integers(0, 48),
)
def test_generated_slots_match_the_definition(
    busy: list[tuple[dt.datetime, dt.datetime]], duration: int, before: int, after: int, step: int | None,
    now_offset: int, notice: int,
) -> None:
    # 27–30 March 2026: the spring change is inside the window.
    type_ = phone_type(duration_minutes=duration, buffer_before_minutes=before, buffer_after_minutes=after)
    avail = availability(days=ALL_DAYS, start=dt.time(8), end=dt.time(16))
    now = utc(2026, 3, 27) + dt.timedelta(hours=now_offset)
    min_notice = dt.timedelta(hours=notice)
    slots = generate_slots(avail, type_, dt.date(2026, 3, 27), dt.date(2026, 3, 30), busy, now, min_notice,
                           step_minutes=step)
    step_td = dt.timedelta(minutes=step or duration)
    assert slots == brute_force_slots(avail, type_, dt.date(2026, 3, 27), dt.date(2026, 3, 30), busy, now,
                                      min_notice, step_td)
    for slot in slots:
        assert dt.time(8) <= slot.start_local.time() and slot.end_local.time() <= dt.time(16)
        assert slot.start_local.date() == slot.end_local.date()
        lo, hi = blocked_range(slot.start, type_)
        assert all(not (b0 < hi and lo < b1) for b0, b1 in busy)
        assert slot.start >= now + min_notice


@settings(max_examples=100, deadline=None)
@given(
    intervals=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 40)), max_size=20),
    query=st.tuples(st.integers(-10, 250), st.integers(1, 40)),
)
def test_interval_set_overlap_agrees_with_a_scan(
    intervals: list[tuple[int, int]], query: tuple[int, int]
) -> None:
    base = utc(2026, 1, 1)
    def at(m: int) -> dt.datetime:
        return base + dt.timedelta(minutes=m)
    pairs = [(at(a), at(a + n)) for a, n in intervals]
    lo, hi = at(query[0]), at(query[0] + query[1])
    expected = any(a < hi and lo < b for a, b in pairs if a < b)
    assert IntervalSet(pairs).overlaps(lo, hi) is expected
