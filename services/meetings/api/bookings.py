"""Bookings: make, read, move, cancel, change channel, add staff and external participants, mark the outcome.

Who sees what (deps.visible_booking, rules.can_view): a client their own bookings; staff their unit's (a
protected-identity booking only with the permission); anything else is 404 booking-not-found. The use cases are
service/bookings.py; a route parses, loads and authorises through one dependency, calls it, and answers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fastapi import APIRouter, Depends
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from kit.db import session as db_session
from kit.idempotency import Idempotency
from kit.representation import Scope, acts_for
from kit.responses import JSONResponse
from services.meetings.api import deps
from services.meetings.api.deps import BookingAccess, Caller, IfMatch, Rt
from services.meetings.api.schemas import (
    BookingCreate,
    BookingOut,
    CancelIn,
    ChannelIn,
    ContactIn,
    ExternalIn,
    ExternalOut,
    JoinLinkOut,
    OutcomeIn,
    RescheduleIn,
    StaffIn,
    StaffOut,
    Unit,
)
from services.meetings.domain import rules
from services.meetings.domain.meeting_types import MeetingKind
from services.meetings.domain.times import local
from services.meetings.service import bookings, rooms
from services.meetings.service.bookings import BookingDraft, JoinLink, Shown
from services.meetings.service.runtime import Runtime

router = APIRouter(tags=["bookings"])


def booking_out(rt: Runtime, shown: Shown) -> BookingOut:
    record, c, cutoff = shown.record, shown.caller, shown.cutoff
    b = record.booking
    out = BookingOut(
        id=b.id, reference=b.reference, unit=b.unit_id, caseworker_id=b.caseworker_id,
        meeting_type_id=b.meeting_type_id, kind=b.kind, channel=b.channel, start=b.start, end=b.end,
        start_local=local(b.start).isoformat(), status=b.status, outcome=b.outcome,
        location=b.location if b.kind is not MeetingKind.HOME_VISIT else None,
        video_url=rooms.room_url(rt.settings, record),
        client_change_deadline=rules.client_change_deadline(b, cutoff) if cutoff is not None else None,
        interpreter_language=record.interpreter_language, accessibility=sorted(record.accessibility),
        accessibility_note=record.accessibility_note, version=b.version,
        join_links=[_link_out(link) for link in shown.join_links] if shown.join_links else None)
    if c.is_staff:
        out.personal_number = b.client_id
        out.protected_identity = b.protected_identity
        out.staff = [StaffOut(caseworker_id=s.caseworker_id, role=s.role) for s in record.staff]
        out.external_participants = [ExternalOut(id=e.id, role=e.role, organisation=e.organisation, used=e.used)
                                     for e in record.externals]
        out.booked_by_staff = record.booked_by_staff
        out.change_reason = record.change_reason
    return out


def _link_out(link: JoinLink) -> JoinLinkOut:
    return JoinLinkOut(role=link.role, organisation=link.organisation, url=link.url)


def _etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def _json(rt: Runtime, shown: Shown, status: int = 200) -> JSONResponse:
    return _body(booking_out(rt, shown).model_dump(mode="json"), status)


def _body(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=_etag(body["version"]))


@router.post("/bookings", status_code=201, response_model=BookingOut,
             summary="Book: a client for themselves; staff for a client by personnummer in the body (phone or visit "
                     "bookings, no e-ID needed). Idempotency-Key")
@acts_for(Scope.MEETINGS)
async def create_booking(body: BookingCreate, rt: Rt, session: AsyncSession = Depends(db_session),
                         c: Caller = Depends(deps.participant),
                         idempotency: Idempotency = Depends(deps.idempotency)) -> Response:
    draft = BookingDraft(
        meeting_type_id=body.meeting_type_id, caseworker_id=body.caseworker_id, start=body.start,
        channel=body.channel, personal_number=body.personal_number.value if body.personal_number else None,
        interpreter=body.interpreter, accessibility=body.accessibility, accessibility_note=body.accessibility_note,
        external_participants=body.external_participants)
    answer = await bookings.book(session, rt, c, draft, idempotency, body.model_dump(mode="json"),
                                 present=lambda shown: booking_out(rt, shown).model_dump(mode="json"))
    if answer.replayed:
        return JSONResponse(answer.body, status_code=answer.status)
    return _body(answer.body, answer.status)


@router.post("/contacts", status_code=201, response_model=BookingOut,
             summary="Staff: record a contact that already happened (a drop-in visit, an unplanned call); counted as "
                     "held work in the statistics")
async def record_contact(body: ContactIn, rt: Rt, session: AsyncSession = Depends(db_session),
                         c: Caller = Depends(deps.staff)) -> Response:
    shown = await bookings.record_contact(
        session, rt, c, meeting_type_id=body.meeting_type_id, start=body.start, minutes=body.minutes,
        channel=body.channel, personal_number=body.personal_number.value if body.personal_number else None)
    return _json(rt, shown, 201)


@router.get("/me/bookings", response_model=list[BookingOut],
            summary="A client's own bookings; a caseworker's bookings (as lead or participant)")
@acts_for(Scope.MEETINGS)
async def my_bookings(rt: Rt, session: AsyncSession = Depends(db_session),
                      c: Caller = Depends(deps.participant)) -> list[BookingOut]:
    return [booking_out(rt, shown) for shown in await bookings.mine(session, rt, c)]


@router.get("/units/{unit}/calendar", response_model=list[BookingOut],
            summary="Staff of the unit: the unit's bookings in a window (protected identity: with the permission)")
async def unit_calendar(unit: Unit, rt: Rt, from_: dt.date | None = None, to: dt.date | None = None,
                        session: AsyncSession = Depends(db_session),
                        c: Caller = Depends(deps.staff)) -> list[BookingOut]:
    return [booking_out(rt, shown) for shown in await bookings.unit_calendar(session, rt, c, unit, from_, to)]


@router.get("/bookings/{booking_id}", response_model=BookingOut, summary="One booking (ETag = version)")
@acts_for(Scope.MEETINGS)
async def get_booking(rt: Rt, a: BookingAccess = Depends(deps.visible_booking),
                      session: AsyncSession = Depends(db_session)) -> Response:
    return _json(rt, await bookings.show(session, a))


@router.post("/bookings/{booking_id}/reschedule", response_model=BookingOut,
             summary="Move: the client up to the unit's cut-off; staff any time before the start, with a reason")
@acts_for(Scope.MEETINGS)
async def reschedule(body: RescheduleIn, rt: Rt, if_match: IfMatch = None,
                     a: BookingAccess = Depends(deps.changeable_booking),
                     session: AsyncSession = Depends(db_session)) -> Response:
    deps.check_if_match(if_match, a.booking.version)
    return _json(rt, await bookings.reschedule(session, rt, a, body.start, body.reason))


@router.post("/bookings/{booking_id}/cancel", response_model=BookingOut,
             summary="Cancel: the client up to the unit's cut-off; staff any time before the start, with a reason")
@acts_for(Scope.MEETINGS)
async def cancel(body: CancelIn, rt: Rt, if_match: IfMatch = None,
                 a: BookingAccess = Depends(deps.changeable_booking),
                 session: AsyncSession = Depends(db_session)) -> Response:
    deps.check_if_match(if_match, a.booking.version)
    return _json(rt, await bookings.cancel(session, rt, a, body.reason))


@router.put("/bookings/{booking_id}/channel", response_model=BookingOut,
            summary="Change the channel (in person, phone, video) up to the start, among those the type offers")
@acts_for(Scope.MEETINGS)
async def change_channel(body: ChannelIn, rt: Rt, if_match: IfMatch = None,
                         a: BookingAccess = Depends(deps.changeable_booking),
                         session: AsyncSession = Depends(db_session)) -> Response:
    deps.check_if_match(if_match, a.booking.version)
    return _json(rt, await bookings.change_channel(session, rt, a, body.channel))


@router.post("/bookings/{booking_id}/outcome", response_model=BookingOut,
             summary="Staff: mark held / no_show (from the start) or cancelled_late (from the cut-off); correctable")
async def mark_outcome(body: OutcomeIn, rt: Rt, a: BookingAccess = Depends(deps.changeable_booking),
                       session: AsyncSession = Depends(db_session)) -> Response:
    return _json(rt, await bookings.mark_outcome(session, rt, a, body.outcome))


@router.post("/bookings/{booking_id}/staff", response_model=BookingOut, status_code=201,
             summary="Staff: add a colleague of the unit (one leads, one documents); their time is guarded too")
async def add_staff(body: StaffIn, rt: Rt, a: BookingAccess = Depends(deps.changeable_booking),
                    session: AsyncSession = Depends(db_session)) -> Response:
    return _json(rt, await bookings.add_staff(session, rt, a, body.caseworker_id), 201)


@router.post("/bookings/{booking_id}/participants", response_model=JoinLinkOut, status_code=201,
             summary="Staff: invite someone outside the unit (agency, parent) with a one-time join link, shown once")
async def add_external(body: ExternalIn, rt: Rt, a: BookingAccess = Depends(deps.changeable_booking),
                       session: AsyncSession = Depends(db_session)) -> JoinLinkOut:
    return _link_out(await bookings.add_external(session, rt, a, body.role, body.organisation))


@router.delete("/bookings/{booking_id}/participants/{participant_id}", status_code=204,
               summary="Staff: remove an invited participant; their link stops working, and if they had joined, the "
                       "video room is replaced")
async def remove_external(participant_id: uuid.UUID, rt: Rt, a: BookingAccess = Depends(deps.changeable_booking),
                          session: AsyncSession = Depends(db_session)) -> Response:
    await bookings.remove_external(session, rt, a, participant_id)
    return Response(status_code=204)
