"""Caseworkers' weekly hours and exceptions, and the free slots computed from them.

Who may see what: a caseworker manages their own calendar (``me``); the unit's team lead manages its
caseworkers'; staff of the unit may read it; anyone else gets 404. Clients see free slots only: times and
which caseworker is free, never who booked the rest. The use cases: service/availability.py.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.db import session as db_session
from kit.representation import Scope, acts_for
from services.meetings.api import deps
from services.meetings.api.deps import Caller, Rt
from services.meetings.api.schemas import ExceptionIn, ExceptionOut, SlotOut, SlotsOut, WeeklyHoursIn, WeeklyHoursOut
from services.meetings.domain.times import local
from services.meetings.service import availability

router = APIRouter(tags=["availability"])


@router.put("/caseworkers/{caseworker_id}/hours", response_model=WeeklyHoursOut,
            summary="Publish weekly hours (replaces them); 'me' for your own")
async def put_hours(caseworker_id: str, body: WeeklyHoursIn, rt: Rt,
                    session: AsyncSession = Depends(db_session), c: Caller = Depends(deps.staff)) -> WeeklyHoursOut:
    row = await availability.put_hours(session, rt, c, caseworker_id, body.hours)
    return WeeklyHoursOut(caseworker_id=row.id, unit=row.unit_id, hours=body.hours)


@router.get("/caseworkers/{caseworker_id}/hours", response_model=WeeklyHoursOut, summary="Weekly hours")
async def get_hours(caseworker_id: str, session: AsyncSession = Depends(db_session),
                    c: Caller = Depends(deps.staff)) -> WeeklyHoursOut:
    row, hours = await availability.get_hours(session, c, caseworker_id)
    return WeeklyHoursOut(caseworker_id=row.id, unit=row.unit_id, hours=hours)


@router.post("/caseworkers/{caseworker_id}/exceptions", response_model=ExceptionOut, status_code=201,
             summary="An absence (no reason kept) or one-off extra hours")
async def add_exception(caseworker_id: str, body: ExceptionIn, rt: Rt,
                        session: AsyncSession = Depends(db_session), c: Caller = Depends(deps.staff)) -> ExceptionOut:
    added = await availability.add_exception(session, rt, c, caseworker_id, body.kind, body.start, body.end)
    return ExceptionOut(id=added.id, kind=added.kind, start=added.start, end=added.end)


@router.get("/caseworkers/{caseworker_id}/exceptions", response_model=list[ExceptionOut],
            summary="Absences and extra hours that have not ended")
async def list_exceptions(caseworker_id: str, rt: Rt, session: AsyncSession = Depends(db_session),
                          c: Caller = Depends(deps.staff)) -> list[ExceptionOut]:
    rows = await availability.list_exceptions(session, rt, c, caseworker_id)
    return [ExceptionOut(id=r.id, kind=r.kind, start=r.start, end=r.end) for r in rows]


@router.delete("/caseworkers/{caseworker_id}/exceptions/{exception_id}", status_code=204,
               summary="Remove an absence or extra hours")
async def delete_exception(caseworker_id: str, exception_id: uuid.UUID, rt: Rt,
                           session: AsyncSession = Depends(db_session), c: Caller = Depends(deps.staff)) -> None:
    await availability.delete_exception(session, rt, c, caseworker_id, exception_id)


@router.get("/slots", response_model=SlotsOut,
            summary="Free times for a meeting type: clients for themselves (their own caseworker, or any of the "
                    "unit for the first meeting), staff of the unit for anyone")
@acts_for(Scope.MEETINGS)
async def slots(rt: Rt, meeting_type_id: uuid.UUID,
                from_: Annotated[dt.date | None, Query(alias="from")] = None,
                to: dt.date | None = None, caseworker_id: str | None = None,
                session: AsyncSession = Depends(db_session), c: Caller = Depends(deps.participant)) -> SlotsOut:
    meeting_type, found = await availability.slots(session, rt, c, meeting_type_id, from_, to, caseworker_id)
    return SlotsOut(meeting_type_id=meeting_type.id, slots=[
        SlotOut(start=s.start, end=s.end, start_local=local(s.start).isoformat(), caseworker_id=s.caseworker_id)
        for s in found])
