"""Caseworkers' weekly hours and exceptions, and the free slots computed from them.

Who may see what: a caseworker manages their own calendar (``me``); the unit's team lead manages its
caseworkers'; staff of the unit may read it; anyone else gets 404. Clients see free slots only: times and
which caseworker is free, never who booked the rest.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.i18n import N_
from kit.problems import Problem
from services.meetings.domain.availability import (
    MAX_WINDOW_DAYS,
    CaseworkerCalendar,
    Slot,
    WeeklyHours,
    search_unit_slots,
)
from services.meetings.domain.meeting_types import MeetingType
from services.meetings.domain.rules import Reason, caseworkers_client_may_book
from services.meetings.domain.times import local_date, start_of_local_day
from services.meetings.service import protection
from services.meetings.service.access import Caller, manages_unit
from services.meetings.service.runtime import Runtime
from services.meetings.store import availability as availability_store
from services.meetings.store import caseworkers as caseworkers_store
from services.meetings.store import clients as clients_store
from services.meetings.store import units as units_store
from services.meetings.store.availability import ExceptionRow
from services.meetings.store.caseworkers import CaseworkerRow


async def find_slots(session: AsyncSession, meeting_type: MeetingType, caseworker_ids: Sequence[str],
                     first: dt.date, last: dt.date, now: dt.datetime, min_notice: dt.timedelta,
                     *, exclude_booking: uuid.UUID | None = None) -> list[Slot]:
    """Slots of the caseworkers from `first` to `last` (local dates, inclusive), ordered by start.

    Busy ranges are read with a margin of the type's buffers around the window, so a booking just outside
    the window still blocks a slot whose buffer reaches into it. `exclude_booking`: a booking being moved
    does not block its own new time.
    """
    if not caseworker_ids:
        return []
    start = start_of_local_day(first)
    end = start_of_local_day(last + dt.timedelta(days=1))
    margin = meeting_type.buffer_before + meeting_type.buffer_after + dt.timedelta(days=1)
    availability = await availability_store.availabilities(session, caseworker_ids, start - margin, end + margin)
    busy = await availability_store.busy_intervals(session, caseworker_ids, start - margin, end + margin,
                                                   exclude_booking=exclude_booking)
    calendars = [CaseworkerCalendar(availability[cid], busy.get(cid, ())) for cid in caseworker_ids]
    return search_unit_slots(calendars, meeting_type, first, last, now, min_notice)


def _not_found() -> Problem:
    return Problem(404, "caseworker-not-found", "No such caseworker")


async def _readable(session: AsyncSession, c: Caller, caseworker_id: str) -> CaseworkerRow:
    """The caseworker's calendar, if the caller is staff of their unit (or them)."""
    if not c.is_staff:
        raise _not_found()
    who = c.actor.sub if caseworker_id == "me" else caseworker_id
    row = await caseworkers_store.get_caseworker(session, who)
    if row is None or (row.id != c.actor.sub and row.unit_id not in c.actor.units):
        raise _not_found()
    return row


async def _writable(session: AsyncSession, c: Caller, caseworker_id: str, now: dt.datetime) -> CaseworkerRow:
    """Their own calendar (registering them with their unit on first use), or, for a team lead, their unit's."""
    if not c.is_staff:
        raise _not_found()
    if caseworker_id in ("me", c.actor.sub):
        unit = c.principal.unit or next(iter(sorted(c.actor.units)), None)
        if unit is None:
            raise Problem(422, "caseworker-without-unit", "Your token names no unit")
        await caseworkers_store.upsert_caseworker(session, c.actor.sub, unit, c.principal.name or c.actor.sub, now,
                                                  c.actor.protected_access)
        return CaseworkerRow(c.actor.sub, unit, c.principal.name or c.actor.sub, c.actor.protected_access)
    row = await caseworkers_store.get_caseworker(session, caseworker_id)
    if row is None or row.unit_id not in c.actor.units:
        raise _not_found()
    if not manages_unit(c.principal, row.unit_id):
        raise Problem(403, "calendar-not-yours", "Only the caseworker or the unit's team lead may change this")
    return row


async def put_hours(session: AsyncSession, rt: Runtime, c: Caller, caseworker_id: str,
                    hours: list[WeeklyHours]) -> CaseworkerRow:
    """Publish weekly hours (replaces them). Returns whose they are."""
    row = await _writable(session, c, caseworker_id, rt.now())
    await availability_store.replace_weekly_hours(session, row.id, hours)
    audit.record(session, c.principal, "update", "weekly_hours", row.id)
    await session.commit()
    return row


async def get_hours(session: AsyncSession, c: Caller, caseworker_id: str) -> tuple[CaseworkerRow, list[WeeklyHours]]:
    row = await _readable(session, c, caseworker_id)
    return row, await availability_store.get_weekly_hours(session, row.id)


async def add_exception(session: AsyncSession, rt: Runtime, c: Caller, caseworker_id: str, kind: str,
                        start: dt.datetime, end: dt.datetime) -> ExceptionRow:
    """An absence (no reason kept) or one-off extra hours."""
    if end <= start:
        raise Problem(422, "validation-error", "Invalid request", "end must be after start.",
                      errors=[{"field": "body.end", "message": "must be after start", "code": "value_error"}])
    row = await _writable(session, c, caseworker_id, rt.now())
    added = await availability_store.add_exception(session, row.id, kind, start, end)
    audit.record(session, c.principal, "create", "availability_exception", str(added.id), details={"kind": kind})
    await session.commit()
    return added


async def list_exceptions(session: AsyncSession, rt: Runtime, c: Caller, caseworker_id: str) -> list[ExceptionRow]:
    """Absences and extra hours that have not ended."""
    row = await _readable(session, c, caseworker_id)
    return await availability_store.list_exceptions(session, row.id, rt.now())


async def delete_exception(session: AsyncSession, rt: Runtime, c: Caller, caseworker_id: str,
                           exception_id: uuid.UUID) -> None:
    row = await _writable(session, c, caseworker_id, rt.now())
    if not await availability_store.delete_exception(session, row.id, exception_id):
        raise Problem(404, "exception-not-found", "No such absence or extra hours")
    audit.record(session, c.principal, "delete", "availability_exception", str(exception_id))
    await session.commit()


async def slots(session: AsyncSession, rt: Runtime, c: Caller, meeting_type_id: uuid.UUID, first: dt.date | None,
                last: dt.date | None, caseworker_id: str | None) -> tuple[MeetingType, list[Slot]]:
    """Free times for a meeting type: clients for themselves (their own caseworker, or any of the unit for the
    first meeting), staff of the unit for anyone."""
    now = rt.now()
    first = first or local_date(now)
    last = last or first + dt.timedelta(days=27)
    if last < first or (last - first).days + 1 > MAX_WINDOW_DAYS:
        raise Problem(422, "slot-window-invalid", N_("Invalid search window"),
                      f"'to' must not be before 'from' and the window covers at most {MAX_WINDOW_DAYS} days.")
    meeting_type = await units_store.get_meeting_type(session, meeting_type_id)
    if meeting_type is None:
        raise Problem(404, "meeting-type-not-found", N_("No such meeting type"))
    unit = meeting_type.unit_id
    if not meeting_type.active:
        raise Problem(409, Reason.MEETING_TYPE_INACTIVE.value, N_("The meeting type is no longer offered"))
    unit_ids = await caseworkers_store.unit_caseworker_ids(session, unit)
    settings = await units_store.get_unit_settings(session, unit)
    if c.is_client:
        if not meeting_type.client_self_bookable:
            raise Problem(403, Reason.NOT_SELF_BOOKABLE.value,
                          N_("This meeting type is booked by the unit, not online"))
        relation = await clients_store.client_relation(session, c.actor.sub, unit)
        allowed = caseworkers_client_may_book(unit_ids, relation)
        # The owner decides (no answer: as if protected, so only cleared caseworkers are offered).
        if relation.protected_identity or c.protected_claim or \
                await protection.protected_now(session, rt.owner, [c.actor.sub]):
            # Only caseworkers cleared for protected identity may meet them (and so see the booking).
            allowed = allowed & await caseworkers_store.cleared_caseworker_ids(session, unit,
                                                                               now - rt.clearance_max_age)
        min_notice = settings.min_notice
    else:
        if unit not in c.actor.units:
            raise Problem(403, Reason.MEETING_TYPE_OTHER_UNIT.value, N_("The meeting type belongs to another unit"))
        allowed, min_notice = frozenset(unit_ids), dt.timedelta(0)
    wanted = sorted(allowed if caseworker_id is None else allowed & {caseworker_id})
    return meeting_type, await find_slots(session, meeting_type, wanted, first, last, now, min_notice)
