"""kit.retention (periods, rules, ops' overrides) and kit.retention_job (batches, counts-only logs): domain-free."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kit.housekeeping import Housekeeping
from kit.retention import Action, Period, configured, rule
from kit.retention_job import RetentionJob

UTC = dt.UTC


@pytest.mark.parametrize(("text", "period"), [
    ("P5Y", Period(years=5)), ("p6m", Period(months=6)), ("P2W", Period(days=14)), ("P1Y2M3D", Period(1, 2, 3)),
    ("PT24H", Period(hours=24)), ("P1DT2H30M", Period(days=1, hours=2, minutes=30)), ("P0D", Period()),
])
def test_iso_periods_parse(text, period):
    assert Period.parse(text) == period


@pytest.mark.parametrize("text", ["", "P", "PT", "P1DT", "5Y", "P5", "P-1Y", "P1.5Y", "five years", "P5Y delete"])
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError):
        Period.parse(text)


def test_years_and_months_are_calendar_ones():
    assert Period.parse("P5Y").before(dt.datetime(2031, 3, 2, 9, tzinfo=UTC)) == dt.datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert Period.parse("P1Y").before(dt.datetime(2028, 2, 29, tzinfo=UTC)) == dt.datetime(2027, 2, 28, tzinfo=UTC)
    assert Period.parse("P1M").before(dt.datetime(2026, 3, 31, tzinfo=UTC)) == dt.datetime(2026, 2, 28, tzinfo=UTC)
    assert Period.parse("P1Y1D").before(dt.datetime(2026, 1, 1, tzinfo=UTC)) == dt.datetime(2024, 12, 31, tzinfo=UTC)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 30), st.integers(0, 24), st.integers(0, 400),
       st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)))
def test_a_cutoff_is_never_after_now_and_prints_back(years, months, days, moment):
    now = moment.replace(tzinfo=UTC)
    period = Period(years=years, months=months, days=days)
    assert period.before(now) <= now
    assert Period.parse(str(period)) == Period(years=years, months=months, days=days)


def test_overrides_by_setting():
    defaults = (rule("cases", "P5Y", Action.ANONYMISE, Action.DELETE), rule("contacts", "P1Y", Action.DELETE))
    rules = {r.record: r for r in configured(defaults, {"CASES": "P6Y delete", "contacts": "P2Y"})}
    assert (str(rules["cases"].period), rules["cases"].action) == ("P6Y", Action.DELETE)
    assert (str(rules["contacts"].period), rules["contacts"].action) == ("P2Y", Action.DELETE)
    for bad in ({"case": "P5Y"}, {"contacts": "P5Y anonymise"}, {"cases": "P5Y shred"}, {"cases": "soon"}):
        with pytest.raises(ValueError):
            configured(defaults, bad)


class _Session:
    """Just what RetentionJob uses of a session: an async context manager and begin()."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    async def __aenter__(self) -> _Session:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def begin(self) -> contextlib.AbstractAsyncContextManager[None]:
        self.log.append("begin")
        return contextlib.nullcontext()  # type: ignore[return-value]


async def test_the_job_runs_batches_until_one_finds_nothing_and_logs_counts(caplog):
    log: list[str] = []
    left = {"cases": 5, "contacts": 0}
    seen = []

    async def purge(session, r, cutoff, now, limit):
        seen.append((r.record, cutoff, now, limit))
        n = min(limit, left[r.record])
        left[r.record] -= n
        return n

    now = dt.datetime(2031, 3, 3, tzinfo=UTC)
    rules = (rule("cases", "P5Y", Action.ANONYMISE), rule("contacts", "P1Y", Action.DELETE))
    job = RetentionJob("svc", lambda: _Session(log), rules, {"cases": purge, "contacts": purge},
                       clock=lambda: now, batch_size=2)
    caplog.set_level(logging.INFO)
    assert await job.run_once() == {"cases": 5, "contacts": 0}
    # 2 + 2 + 1, then an empty batch (a short one may only mean another replica holds the rest); then none
    assert [s[0] for s in seen] == ["cases"] * 4 + ["contacts"]
    assert seen[0][1] == dt.datetime(2026, 3, 3, tzinfo=UTC) and seen[-1][1] == dt.datetime(2030, 3, 3, tzinfo=UTC)
    assert log == ["begin"] * 5  # one transaction per batch
    [record] = [r for r in caplog.records if r.name == "kit.retention"]
    assert record.counts == {"cases": 5, "contacts": 0} and record.service == "svc"


def test_a_rule_without_a_store_function_stops_the_start():
    with pytest.raises(ValueError, match="no store function"):
        RetentionJob("svc", lambda: None, (rule("cases", "P5Y", Action.DELETE),), {})  # type: ignore[arg-type]


def test_a_service_adds_its_own_short_lived_rows_to_housekeeping_once():
    housekeeping = Housekeeping(None, idempotency_window=dt.timedelta(hours=24),  # type: ignore[arg-type]
                                outbox_retention=dt.timedelta(hours=24))

    async def purge(session, now):
        return 0

    housekeeping.add("notifications", purge)
    assert list(housekeeping.purges) == ["idempotency_keys", "outbox", "notifications"]
    for name in ("notifications", "outbox"):
        with pytest.raises(ValueError):
            housekeeping.add(name, purge)
