"""Weekly statistics for team leads: per unit, caseworker and ISO week, all kinds of client work counted
(service/stats.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.db import session as db_session
from services.meetings.api import deps
from services.meetings.api.deps import Caller
from services.meetings.api.schemas import StatsOut, StatsRowOut, Unit
from services.meetings.service import stats as stats_service

router = APIRouter(tags=["statistics"])


@router.get("/stats", response_model=StatsOut,
            summary="Team lead of the unit (or admin): weekly figures per caseworker and the unit's total")
async def stats(unit: Unit, from_: Annotated[dt.date, Query(alias="from")], to: dt.date,
                figures: Annotated[str | None, Query(description="Comma-separated key figures; "
                                                              "default: the unit's choice")] = None,
                session: AsyncSession = Depends(db_session), c: Caller = Depends(deps.caller)) -> StatsOut:
    names, rows = await stats_service.weekly(session, c, unit, from_, to, figures)
    return StatsOut(unit=unit, from_=from_, to=to, key_figures=list(names), rows=[
        StatsRowOut(unit=r.unit_id, caseworker_id=r.caseworker_id, week=r.week, figures=r.figures) for r in rows])
