"""Weekly statistics for team leads: per unit, caseworker and ISO week, all kinds of client work counted."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.db import session as db_session
from kit.problems import Problem
from services.meetings import store
from services.meetings.api import deps
from services.meetings.api.deps import Caller
from services.meetings.api.schemas import StatsOut, StatsRowOut, Unit
from services.meetings.domain.stats import DEFAULT_KEY_FIGURES, check_key_figures, weekly_stats
from services.meetings.domain.times import start_of_local_day

router = APIRouter(tags=["statistics"])

MAX_STATS_DAYS = 366


@router.get("/stats", response_model=StatsOut,
            summary="Team lead of the unit (or admin): weekly figures per caseworker and the unit's total")
async def stats(unit: Unit, from_: Annotated[dt.date, Query(alias="from")], to: dt.date,
                figures: Annotated[str | None, Query(description="Comma-separated key figures; "
                                                              "default: the unit's choice")] = None,
                session: AsyncSession = Depends(db_session), c: Caller = Depends(deps.caller)) -> StatsOut:
    if not deps.manages_unit(c.principal, unit):
        raise Problem(404, "unit-not-found", "No such unit")  # other units' figures are not even confirmed to exist
    if to < from_ or (to - from_).days + 1 > MAX_STATS_DAYS:
        raise Problem(422, "stats-window-invalid", "Invalid window",
                      f"'to' must not be before 'from'; at most {MAX_STATS_DAYS} days.")
    settings = await store.get_unit_settings(session, unit)
    try:
        names = check_key_figures([f.strip() for f in figures.split(",") if f.strip()]) if figures \
            else settings.key_figures or DEFAULT_KEY_FIGURES
    except (ValueError, ValidationError) as exc:
        raise Problem(422, "unknown-key-figure", "Unknown key figure", str(exc)) from None
    records = await store.meeting_records(session, unit, start_of_local_day(from_),
                                          start_of_local_day(to + dt.timedelta(days=1)))
    rows = weekly_stats(records, names, unit_totals=True)
    audit.record(session, c.principal, "read", "meeting_stats", unit, purpose="statistics",
                 details={"from": from_.isoformat(), "to": to.isoformat()})
    await session.commit()
    return StatsOut(unit=unit, from_=from_, to=to, key_figures=list(names), rows=[
        StatsRowOut(unit=r.unit_id, caseworker_id=r.caseworker_id, week=r.week, figures=r.figures) for r in rows])
