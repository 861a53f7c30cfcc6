"""Caseworkers' weekly hours and exceptions, and the free slots computed from them.

Who may see what: a caseworker manages their own calendar (``me``); the unit's team lead manages its
caseworkers'; staff of the unit may read it; anyone else gets 404. Clients see free slots only: times and
which caseworker is free, never who booked the rest.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.db import session as db_session
from kit.problems import Problem
from services.meetings import protection, search, store
from services.meetings.api import deps
from services.meetings.api.deps import Caller
from services.meetings.api.schemas import ExceptionIn, ExceptionOut, SlotOut, SlotsOut, WeeklyHoursIn, WeeklyHoursOut
from services.meetings.domain.availability import MAX_WINDOW_DAYS
from services.meetings.domain.rules import Reason, caseworkers_client_may_book
from services.meetings.domain.times import local, local_date

router = APIRouter(tags=["availability"])


def _not_found() -> Problem:
    return Problem(404, "caseworker-not-found", "No such caseworker")


async def _readable(session: AsyncSession, c: Caller, caseworker_id: str) -> store.CaseworkerRow:
    """The caseworker's calendar, if the caller is staff of their unit (or them)."""
    if not c.is_staff:
        raise _not_found()
    who = c.actor.sub if caseworker_id == "me" else caseworker_id
    row = await store.get_caseworker(session, who)
    if row is None or (row.id != c.actor.sub and row.unit_id not in c.actor.units):
        raise _not_found()
    return row


async def _writable(session: AsyncSession, c: Caller, caseworker_id: str, now: dt.datetime) -> store.CaseworkerRow:
    """Their own calendar (registering them with their unit on first use), or, for a team lead, their unit's."""
    if not c.is_staff:
        raise _not_found()
    if caseworker_id in ("me", c.actor.sub):
        unit = c.principal.unit or next(iter(sorted(c.actor.units)), None)
        if unit is None:
            raise Problem(422, "caseworker-without-unit", "Your token names no unit")
        await store.upsert_caseworker(session, c.actor.sub, unit, c.principal.name or c.actor.sub, now,
                                      c.actor.protected_access)
        return store.CaseworkerRow(c.actor.sub, unit, c.principal.name or c.actor.sub, c.actor.protected_access)
    row = await store.get_caseworker(session, caseworker_id)
    if row is None or row.unit_id not in c.actor.units:
        raise _not_found()
    if not deps.manages_unit(c.principal, row.unit_id):
        raise Problem(403, "calendar-not-yours", "Only the caseworker or the unit's team lead may change this")
    return row


@router.put("/caseworkers/{caseworker_id}/hours", response_model=WeeklyHoursOut,
            summary="Publish weekly hours (replaces them); 'me' for your own")
async def put_hours(caseworker_id: str, body: WeeklyHoursIn, request: Request,
                    session: AsyncSession = Depends(db_session), c: Caller = Depends(deps.staff)) -> WeeklyHoursOut:
    row = await _writable(session, c, caseworker_id, deps.clock(request))
    await store.replace_weekly_hours(session, row.id, body.hours)
    audit.record(session, c.principal, "update", "weekly_hours", row.id)
    await session.commit()
    return WeeklyHoursOut(caseworker_id=row.id, unit=row.unit_id, hours=body.hours)


@router.get("/caseworkers/{caseworker_id}/hours", response_model=WeeklyHoursOut, summary="Weekly hours")
async def get_hours(caseworker_id: str, session: AsyncSession = Depends(db_session),
                    c: Caller = Depends(deps.staff)) -> WeeklyHoursOut:
    row = await _readable(session, c, caseworker_id)
    return WeeklyHoursOut(caseworker_id=row.id, unit=row.unit_id, hours=await store.get_weekly_hours(session, row.id))


@router.post("/caseworkers/{caseworker_id}/exceptions", response_model=ExceptionOut, status_code=201,
             summary="An absence (no reason kept) or one-off extra hours")
async def add_exception(caseworker_id: str, body: ExceptionIn, request: Request,
                        session: AsyncSession = Depends(db_session), c: Caller = Depends(deps.staff)) -> ExceptionOut:
    if body.end <= body.start:
        raise Problem(422, "validation-error", "Invalid request", "end must be after start.",
                      errors=[{"field": "body.end", "message": "must be after start", "code": "value_error"}])
    row = await _writable(session, c, caseworker_id, deps.clock(request))
    added = await store.add_exception(session, row.id, body.kind, body.start, body.end)
    audit.record(session, c.principal, "create", "availability_exception", str(added.id), details={"kind": body.kind})
    await session.commit()
    return ExceptionOut(id=added.id, kind=added.kind, start=added.start, end=added.end)


@router.get("/caseworkers/{caseworker_id}/exceptions", response_model=list[ExceptionOut],
            summary="Absences and extra hours that have not ended")
async def list_exceptions(caseworker_id: str, request: Request, session: AsyncSession = Depends(db_session),
                          c: Caller = Depends(deps.staff)) -> list[ExceptionOut]:
    row = await _readable(session, c, caseworker_id)
    rows = await store.list_exceptions(session, row.id, deps.clock(request))
    return [ExceptionOut(id=r.id, kind=r.kind, start=r.start, end=r.end) for r in rows]


@router.delete("/caseworkers/{caseworker_id}/exceptions/{exception_id}", status_code=204,
               summary="Remove an absence or extra hours")
async def delete_exception(caseworker_id: str, exception_id: uuid.UUID, request: Request,
                           session: AsyncSession = Depends(db_session), c: Caller = Depends(deps.staff)) -> None:
    row = await _writable(session, c, caseworker_id, deps.clock(request))
    if not await store.delete_exception(session, row.id, exception_id):
        raise Problem(404, "exception-not-found", "No such absence or extra hours")
    audit.record(session, c.principal, "delete", "availability_exception", str(exception_id))
    await session.commit()


@router.get("/slots", response_model=SlotsOut,
            summary="Free times for a meeting type: clients for themselves (their own caseworker, or any of the "
                    "unit for the first meeting), staff of the unit for anyone")
async def slots(request: Request, meeting_type_id: uuid.UUID,
                from_: Annotated[dt.date | None, Query(alias="from")] = None,
                to: dt.date | None = None, caseworker_id: str | None = None,
                session: AsyncSession = Depends(db_session), c: Caller = Depends(deps.participant)) -> SlotsOut:
    now = deps.clock(request)
    first = from_ or local_date(now)
    last = to or first + dt.timedelta(days=27)
    if last < first or (last - first).days + 1 > MAX_WINDOW_DAYS:
        raise Problem(422, "slot-window-invalid", "Invalid search window",
                      f"'to' must not be before 'from' and the window covers at most {MAX_WINDOW_DAYS} days.")
    meeting_type = await store.get_meeting_type(session, meeting_type_id)
    if meeting_type is None:
        raise Problem(404, "meeting-type-not-found", "No such meeting type")
    unit = meeting_type.unit_id
    if not meeting_type.active:
        raise Problem(409, Reason.MEETING_TYPE_INACTIVE.value, "The meeting type is no longer offered")
    unit_ids = await store.unit_caseworker_ids(session, unit)
    settings = await store.get_unit_settings(session, unit)
    if c.is_client:
        if not meeting_type.client_self_bookable:
            raise Problem(403, Reason.NOT_SELF_BOOKABLE.value, "This meeting type is booked by the unit, not online")
        relation = await store.client_relation(session, c.actor.sub, unit)
        allowed = caseworkers_client_may_book(unit_ids, relation)
        # The owner decides (no answer: as if protected, so only cleared caseworkers are offered).
        if relation.protected_identity or c.protected_claim or \
                await protection.protected_now(session, deps.owner(request), [c.actor.sub]):
            # Only caseworkers cleared for protected identity may meet them (and so see the booking).
            allowed = allowed & await store.cleared_caseworker_ids(session, unit, now - deps.clearance_max_age(request))
        min_notice = settings.min_notice
    else:
        if unit not in c.actor.units:
            raise Problem(403, Reason.MEETING_TYPE_OTHER_UNIT.value, "The meeting type belongs to another unit")
        allowed, min_notice = frozenset(unit_ids), dt.timedelta(0)
    wanted = sorted(allowed if caseworker_id is None else allowed & {caseworker_id})
    found = await search.find_slots(session, meeting_type, wanted, first, last, now, min_notice)
    return SlotsOut(meeting_type_id=meeting_type.id, slots=[
        SlotOut(start=s.start, end=s.end, start_local=local(s.start).isoformat(), caseworker_id=s.caseworker_id)
        for s in found])
