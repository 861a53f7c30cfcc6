"""Weekly statistics for team leads: per unit, caseworker and ISO week, all kinds of client work counted."""

from __future__ import annotations

import datetime as dt

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.problems import Problem
from services.meetings.domain.stats import DEFAULT_KEY_FIGURES, WeeklyStatsRow, check_key_figures, weekly_stats
from services.meetings.domain.times import start_of_local_day
from services.meetings.service.access import Caller, manages_unit
from services.meetings.store import stats as stats_store
from services.meetings.store import units as units_store

MAX_STATS_DAYS = 366


async def weekly(session: AsyncSession, c: Caller, unit: str, first: dt.date, last: dt.date,
                 figures: str | None) -> tuple[tuple[str, ...], list[WeeklyStatsRow]]:
    """The unit's figures per caseworker and week and its total; ``figures``: comma-separated key figures
    (default: the unit's choice). Only for the unit's team lead or an admin; audited."""
    if not manages_unit(c.principal, unit):
        raise Problem(404, "unit-not-found", "No such unit")  # other units' figures are not even confirmed to exist
    if last < first or (last - first).days + 1 > MAX_STATS_DAYS:
        raise Problem(422, "stats-window-invalid", "Invalid window",
                      f"'to' must not be before 'from'; at most {MAX_STATS_DAYS} days.")
    settings = await units_store.get_unit_settings(session, unit)
    try:
        names = check_key_figures([f.strip() for f in figures.split(",") if f.strip()]) if figures \
            else settings.key_figures or DEFAULT_KEY_FIGURES
    except (ValueError, ValidationError) as exc:
        raise Problem(422, "unknown-key-figure", "Unknown key figure", str(exc)) from None
    records = await stats_store.meeting_records(session, unit, start_of_local_day(first),
                                                start_of_local_day(last + dt.timedelta(days=1)))
    rows = weekly_stats(records, names, unit_totals=True)
    audit.record(session, c.principal, "read", "meeting_stats", unit, purpose="statistics",
                 details={"from": first.isoformat(), "to": last.isoformat()})
    await session.commit()
    return tuple(names), rows
