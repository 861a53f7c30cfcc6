"""Bookings: make, read, move, cancel, change channel, add staff and external participants, mark the outcome.

Who sees what (deps.visible_booking, rules.can_view): a client their own bookings; staff their unit's (a
protected-identity booking only with the permission); anything else is 404 booking-not-found. No double
booking: the database's exclusion constraint has the last word (SQLSTATE 23P01 -> 409 slot-taken).
"""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from kit import audit, idempotency
from kit.db import session as db_session
from kit.problems import Problem, validation_errors
from services.meetings import flows, protection, search, store
from services.meetings.api import deps
from services.meetings.api.deps import BookingAccess, Caller, IdempotencyKey, IfMatch
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
from services.meetings.domain.bookings import Booking, BookingRequest, ExternalRole, Outcome, new_booking_reference
from services.meetings.domain.links import issue_join_link
from services.meetings.domain.meeting_types import (
    Channel,
    MeetingKind,
    MeetingType,
    UnitMeetingSettings,
    blocked_range,
    client_change_cutoff,
    meeting_end,
)
from services.meetings.domain.rules import ClientRelation, MeetingRuleError, Reason
from services.meetings.domain.times import local, local_date, start_of_local_day

router = APIRouter(tags=["bookings"])


def slot_taken() -> Problem:
    return Problem(409, "slot-taken", "The time was just taken",
                   "Someone booked this time a moment ago. Choose another time.")


def _location(meeting_type: MeetingType, channel: Channel) -> str | None:
    """The office address for an in-person meeting at the office; a home visit never carries an address."""
    if channel is Channel.IN_PERSON and meeting_type.kind is not MeetingKind.HOME_VISIT:
        return meeting_type.office_address
    return None


async def _meeting_type(session: AsyncSession, type_id: uuid.UUID) -> MeetingType:
    meeting_type = await store.get_meeting_type(session, type_id)
    if meeting_type is None:
        raise Problem(404, "meeting-type-not-found", "No such meeting type")
    return meeting_type


def booking_out(request: Request, record: store.BookingRecord, c: Caller, cutoff: dt.timedelta | None,
                join_links: list[JoinLinkOut] | None = None) -> BookingOut:
    b = record.booking
    settings = deps.settings_of(request)
    video = flows.room_url(settings.link_secret, settings.video_base_url, record)
    out = BookingOut(
        id=b.id, reference=b.reference, unit=b.unit_id, caseworker_id=b.caseworker_id,
        meeting_type_id=b.meeting_type_id, kind=b.kind, channel=b.channel, start=b.start, end=b.end,
        start_local=local(b.start).isoformat(), status=b.status, outcome=b.outcome,
        location=b.location if b.kind is not MeetingKind.HOME_VISIT else None, video_url=video,
        client_change_deadline=rules.client_change_deadline(b, cutoff) if cutoff is not None else None,
        interpreter_language=record.interpreter_language, accessibility=sorted(record.accessibility),
        accessibility_note=record.accessibility_note, version=b.version, join_links=join_links)
    if c.is_staff:
        out.personal_number = b.client_id
        out.protected_identity = b.protected_identity
        out.staff = [StaffOut(caseworker_id=s.caseworker_id, role=s.role) for s in record.staff]
        out.external_participants = [ExternalOut(id=e.id, role=e.role, organisation=e.organisation, used=e.used)
                                     for e in record.externals]
        out.booked_by_staff = record.booked_by_staff
        out.change_reason = record.change_reason
    return out


async def _cutoff(session: AsyncSession, booking: Booking) -> tuple[dt.timedelta, MeetingType, UnitMeetingSettings]:
    meeting_type = await _meeting_type(session, booking.meeting_type_id)
    unit = await store.get_unit_settings(session, booking.unit_id)
    return client_change_cutoff(meeting_type, unit), meeting_type, unit


def _etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def _json(out: BookingOut, status: int = 200) -> JSONResponse:
    return JSONResponse(out.model_dump(mode="json"), status_code=status, headers=_etag(out.version))


async def _issue_links(request: Request, session: AsyncSession, booking: Booking,
                       wanted: list[tuple[ExternalRole, str | None]]) -> list[JoinLinkOut]:
    base = deps.settings_of(request).join_base_url
    links = []
    for role, organisation in wanted:
        url, grant = issue_join_link(base, booking, role)
        await store.insert_grant(session, grant, organisation)
        links.append(JoinLinkOut(role=role, organisation=organisation, url=url))
    return links


def _new_room(request: Request, booking_id: uuid.UUID) -> tuple[str, str]:
    settings = deps.settings_of(request)
    return flows.new_room(settings.link_secret, settings.video_base_url, booking_id)


def _wake(request: Request) -> None:
    deps.service_extra(request, "relay").wake()


@router.post("/bookings", status_code=201, response_model=BookingOut,
             summary="Book: a client for themselves; staff for a client by personnummer in the body (phone or visit "
                     "bookings, no e-ID needed). Idempotency-Key")
async def create_booking(body: BookingCreate, request: Request, idempotency_key: IdempotencyKey = None,
                         session: AsyncSession = Depends(db_session),
                         c: Caller = Depends(deps.participant)) -> Response:
    scope = f"{c.actor.sub}:bookings"
    key = idempotency.check_key(idempotency_key)
    if key is not None:
        stored = await idempotency.claim(session, scope, key, idempotency.request_hash(body.model_dump(mode="json")))
        if stored is not None:
            return JSONResponse(stored.body, status_code=stored.status)
    now = deps.clock(request)
    meeting_type = await _meeting_type(session, body.meeting_type_id)
    if c.is_client:
        named = body.personal_number.value if body.personal_number else None
        if named not in (None, c.actor.sub):
            raise MeetingRuleError(Reason.FOR_OTHER_CLIENT)
        client = c.actor.sub
    else:
        client = body.personal_number.value if body.personal_number else None
    try:
        booking_request = BookingRequest(
            meeting_type_id=body.meeting_type_id, caseworker_id=body.caseworker_id, start=body.start,
            channel=body.channel, client_id=client, interpreter=body.interpreter,
            accessibility=frozenset(body.accessibility), accessibility_note=body.accessibility_note,
            external_participants=tuple(body.external_participants))
    except ValidationError as exc:
        raise Problem(422, "validation-error", "Invalid request", "One or more fields are invalid.",
                      errors=validation_errors(exc.errors())) from None
    caseworker = await store.get_caseworker(session, body.caseworker_id)
    relation = await store.client_relation(session, client, meeting_type.unit_id) if client else ClientRelation()
    rules.can_book(c.actor, meeting_type, booking_request,
                   caseworker_units={caseworker.unit_id} if caseworker else set(),
                   relation=relation).raise_if_denied()
    unit = await store.get_unit_settings(session, meeting_type.unit_id)
    # Staff book phone appointments without the clients' minimum notice.
    min_notice = unit.min_notice if c.is_client else dt.timedelta(0)
    day = local_date(booking_request.start)
    offered = await search.find_slots(session, meeting_type, [body.caseworker_id], day, day, now, min_notice)
    rules.check_slot_offered(body.caseworker_id, booking_request.start, offered).raise_if_denied()
    # Protection is decided last, so every refusal above reads the same for any client (no oracle). The owner
    # decides (503 when it cannot answer); a client's own token claim may only tighten it.
    protected = client is not None and await protection.for_write(session, deps.owner(request), client,
                                                                  claim=c.is_client and c.protected_claim)
    rules.check_cleared(protected, caller_cleared=c.is_client or c.actor.protected_access,
                        lead_cleared=await deps.cleared(request, caseworker)).raise_if_denied()

    channel = rules.resolve_channel(booking_request, meeting_type)
    booking_id = uuid.uuid4()
    room = _new_room(request, booking_id) if channel is Channel.VIDEO else None
    booking = Booking(
        id=booking_id, reference=new_booking_reference(), unit_id=meeting_type.unit_id,
        caseworker_id=body.caseworker_id, client_id=client, meeting_type_id=meeting_type.id, kind=meeting_type.kind,
        channel=channel, start=booking_request.start, end=meeting_end(booking_request.start, meeting_type),
        protected_identity=protected, location=_location(meeting_type, channel), updated_at=now)
    record = store.BookingRecord(
        booking=booking, interpreter_language=body.interpreter.language if body.interpreter else None,
        accessibility=booking_request.accessibility, accessibility_note=booking_request.accessibility_note,
        booked_by=c.principal.sub, booked_by_staff=c.is_staff, change_reason=None, created_at=now,
        video_room=room[0] if room else None)
    try:
        await store.insert_booking(session, record, blocked_range(booking.start, meeting_type),
                                   room[1] if room else None)
    except DBAPIError as exc:
        if store.is_booking_conflict(exc):
            raise slot_taken() from None
        raise
    links = await _issue_links(request, session, booking,
                               [(p.role, p.organisation) for p in booking_request.external_participants])
    await flows.schedule_reminders(session, booking, unit, now)
    flows.enqueue_event(session, flows.TOPIC_BOOKED, booking, now)
    audit.record(session, c.principal, "create", "booking", str(booking.id), subject=client, purpose="meetings",
                 details={"unit": booking.unit_id, "by_staff": c.is_staff})
    record = await store.get_booking(session, booking.id) or record
    out = booking_out(request, record, c, client_change_cutoff(meeting_type, unit), join_links=links or None)
    if key is not None:
        await idempotency.complete(session, scope, key, 201, out.model_dump(mode="json"))
    await session.commit()
    _wake(request)
    return _json(out, 201)


@router.post("/contacts", status_code=201, response_model=BookingOut,
             summary="Staff: record a contact that already happened (a drop-in visit, an unplanned call); counted as "
                     "held work in the statistics")
async def record_contact(body: ContactIn, request: Request, session: AsyncSession = Depends(db_session),
                         c: Caller = Depends(deps.staff)) -> Response:
    now = deps.clock(request)
    meeting_type = await _meeting_type(session, body.meeting_type_id)
    channel = body.channel or meeting_type.default_channel
    rules.can_record_contact(c.actor, meeting_type, channel, body.start, now).raise_if_denied()
    client = body.personal_number.value if body.personal_number else None
    protected = client is not None and await protection.for_write(session, deps.owner(request), client)
    # The same answer as a booking's (asked last): a status code must not tell who is protected.
    rules.check_cleared(protected, caller_cleared=c.actor.protected_access,
                        lead_cleared=c.actor.protected_access).raise_if_denied()
    minutes = body.minutes or meeting_type.duration_minutes
    booking = Booking(
        id=uuid.uuid4(), reference=new_booking_reference(), unit_id=meeting_type.unit_id, caseworker_id=c.actor.sub,
        client_id=client, meeting_type_id=meeting_type.id, kind=meeting_type.kind, channel=channel, start=body.start,
        end=body.start + dt.timedelta(minutes=minutes), outcome=Outcome.HELD, protected_identity=protected,
        location=_location(meeting_type, channel), updated_at=now)
    record = store.BookingRecord(booking=booking, interpreter_language=None, accessibility=frozenset(),
                                 accessibility_note=None, booked_by=c.principal.sub, booked_by_staff=True,
                                 change_reason=None, created_at=now)
    try:
        await store.insert_contact(session, record)
    except DBAPIError as exc:  # a contact blocks no time, so this is a belt to those braces
        if store.is_booking_conflict(exc):
            raise slot_taken() from None
        raise
    audit.record(session, c.principal, "record_contact", "booking", str(booking.id), subject=client,
                 purpose="meetings", details={"unit": booking.unit_id, "kind": booking.kind.value})
    saved = await store.get_booking(session, booking.id)
    assert saved is not None
    out = booking_out(request, saved, c, None)
    await session.commit()
    return _json(out, 201)


@router.get("/me/bookings", response_model=list[BookingOut],
            summary="A client's own bookings; a caseworker's bookings (as lead or participant)")
async def my_bookings(request: Request, session: AsyncSession = Depends(db_session),
                      c: Caller = Depends(deps.participant)) -> list[BookingOut]:
    now = deps.clock(request)
    if c.is_client:
        records = await store.client_bookings(session, c.actor.sub, now - dt.timedelta(days=90))
    else:
        records = await store.staff_bookings(session, c.actor.sub, now - dt.timedelta(days=30),
                                             now + dt.timedelta(days=365))
        records = await protection.for_display(session, deps.owner(request), records)
        records = [r for r in records if rules.can_view(c.actor, r.booking)]
    out = []
    for record in records:
        cutoff, _, _ = await _cutoff(session, record.booking)
        out.append(booking_out(request, record, c, cutoff))
    return out


@router.get("/units/{unit}/calendar", response_model=list[BookingOut],
            summary="Staff of the unit: the unit's bookings in a window (protected identity: with the permission)")
async def unit_calendar(unit: Unit, request: Request, from_: dt.date | None = None, to: dt.date | None = None,
                        session: AsyncSession = Depends(db_session),
                        c: Caller = Depends(deps.staff)) -> list[BookingOut]:
    if unit not in c.actor.units:
        raise Problem(404, "unit-not-found", "No such unit")
    first = from_ or local_date(deps.clock(request))
    last = to or first + dt.timedelta(days=6)
    if last < first or (last - first).days > 92:
        raise Problem(422, "calendar-window-invalid", "Invalid window", "At most 93 days, 'to' not before 'from'.")
    records = await store.unit_bookings(session, unit, start_of_local_day(first),
                                        start_of_local_day(last + dt.timedelta(days=1)))
    records = await protection.for_display(session, deps.owner(request), records)
    visible = [r for r in records if rules.can_view(c.actor, r.booking)]
    if visible:
        audit.record(session, c.principal, "read", "unit_calendar", unit, purpose="meetings",
                     details={"from": first.isoformat(), "to": last.isoformat(), "bookings": len(visible)})
        await session.commit()
    out = []
    for record in visible:
        cutoff, _, _ = await _cutoff(session, record.booking)
        out.append(booking_out(request, record, c, cutoff))
    return out


@router.get("/bookings/{booking_id}", response_model=BookingOut, summary="One booking (ETag = version)")
async def get_booking(request: Request, a: BookingAccess = Depends(deps.visible_booking),
                      session: AsyncSession = Depends(db_session)) -> Response:
    if a.caller.is_staff:
        audit.record(session, a.caller.principal, "read", "booking", str(a.booking.id), subject=a.booking.client_id,
                     purpose="meetings")
        await session.commit()
    cutoff, _, _ = await _cutoff(session, a.booking)
    return _json(booking_out(request, a.record, a.caller, cutoff))


async def _reload(session: AsyncSession, request: Request, a: BookingAccess, cutoff: dt.timedelta) -> Response:
    record = await store.get_booking(session, a.booking.id)
    assert record is not None
    return _json(booking_out(request, record, a.caller, cutoff))


@router.post("/bookings/{booking_id}/reschedule", response_model=BookingOut,
             summary="Move: the client up to the unit's cut-off; staff any time before the start, with a reason")
async def reschedule(body: RescheduleIn, request: Request, if_match: IfMatch = None,
                     a: BookingAccess = Depends(deps.changeable_booking),
                     session: AsyncSession = Depends(db_session)) -> Response:
    now = deps.clock(request)
    booking = a.booking
    deps.check_if_match(if_match, booking.version)
    cutoff, meeting_type, unit = await _cutoff(session, booking)
    rules.can_reschedule(a.caller.actor, booking, now, cutoff=cutoff, reason=body.reason).raise_if_denied()
    min_notice = unit.min_notice if a.caller.is_client else dt.timedelta(0)
    day = local_date(body.start)
    offered = await search.find_slots(session, meeting_type, [booking.caseworker_id], day, day, now, min_notice,
                                      exclude_booking=booking.id)
    rules.check_slot_offered(booking.caseworker_id, body.start, offered).raise_if_denied()
    # The buffers are the type's as they are now; the other staff follow (each guarded by the constraint).
    try:
        await store.move_booking(session, booking.id, body.start, meeting_end(body.start, meeting_type),
                                 blocked_range(body.start, meeting_type), body.reason if a.caller.is_staff else None,
                                 now)
    except DBAPIError as exc:
        if store.is_booking_conflict(exc):
            raise slot_taken() from None
        raise
    if booking.channel is Channel.VIDEO:  # a new time is a new room: links handed out for the old one end
        await store.set_video_room(session, booking.id, _new_room(request, booking.id))
    moved = booking.model_copy(update={"start": body.start, "end": meeting_end(body.start, meeting_type)})
    await flows.schedule_reminders(session, moved, unit, now)
    flows.enqueue_event(session, flows.TOPIC_CHANGED, moved, now)
    audit.record(session, a.caller.principal, "reschedule", "booking", str(booking.id), subject=booking.client_id,
                 purpose="meetings", details={"reason": body.reason} if a.caller.is_staff else None)
    response = await _reload(session, request, a, cutoff)
    await session.commit()
    _wake(request)
    return response


@router.post("/bookings/{booking_id}/cancel", response_model=BookingOut,
             summary="Cancel: the client up to the unit's cut-off; staff any time before the start, with a reason")
async def cancel(body: CancelIn, request: Request, if_match: IfMatch = None,
                 a: BookingAccess = Depends(deps.changeable_booking),
                 session: AsyncSession = Depends(db_session)) -> Response:
    now = deps.clock(request)
    booking = a.booking
    deps.check_if_match(if_match, booking.version)
    cutoff, _, _ = await _cutoff(session, booking)
    rules.can_cancel(a.caller.actor, booking, now, cutoff=cutoff, reason=body.reason).raise_if_denied()
    await store.cancel_booking(session, booking.id, body.reason if a.caller.is_staff else None, now)
    flows.enqueue_event(session, flows.TOPIC_CANCELLED, booking, now)
    audit.record(session, a.caller.principal, "cancel", "booking", str(booking.id), subject=booking.client_id,
                 purpose="meetings", details={"reason": body.reason} if a.caller.is_staff else None)
    response = await _reload(session, request, a, cutoff)
    await session.commit()
    _wake(request)
    return response


@router.put("/bookings/{booking_id}/channel", response_model=BookingOut,
            summary="Change the channel (in person, phone, video) up to the start, among those the type offers")
async def change_channel(body: ChannelIn, request: Request, if_match: IfMatch = None,
                         a: BookingAccess = Depends(deps.changeable_booking),
                         session: AsyncSession = Depends(db_session)) -> Response:
    now = deps.clock(request)
    booking = a.booking
    deps.check_if_match(if_match, booking.version)
    cutoff, meeting_type, _ = await _cutoff(session, booking)
    rules.can_change_channel(a.caller.actor, booking, meeting_type, body.channel, now).raise_if_denied()
    if body.channel is booking.channel:
        return _json(booking_out(request, a.record, a.caller, cutoff))
    # A new channel is a new room (or none): whoever had the old URL is out.
    room = _new_room(request, booking.id) if body.channel is Channel.VIDEO else None
    await store.set_channel(session, booking.id, body.channel, _location(meeting_type, body.channel), room, now)
    flows.enqueue_event(session, flows.TOPIC_CHANGED, booking.model_copy(update={"channel": body.channel}), now)
    audit.record(session, a.caller.principal, "change_channel", "booking", str(booking.id),
                 subject=booking.client_id, purpose="meetings", details={"channel": body.channel.value})
    response = await _reload(session, request, a, cutoff)
    await session.commit()
    _wake(request)
    return response


@router.post("/bookings/{booking_id}/outcome", response_model=BookingOut,
             summary="Staff: mark held / no_show (from the start) or cancelled_late (from the cut-off); correctable")
async def mark_outcome(body: OutcomeIn, request: Request, a: BookingAccess = Depends(deps.changeable_booking),
                       session: AsyncSession = Depends(db_session)) -> Response:
    now = deps.clock(request)
    booking = a.booking
    cutoff, _, _ = await _cutoff(session, booking)
    rules.can_mark_outcome(a.caller.actor, booking, body.outcome, now, cutoff=cutoff).raise_if_denied()
    try:
        await store.set_outcome(session, booking.id, body.outcome, now)
    except DBAPIError as exc:
        if store.is_booking_conflict(exc):
            raise slot_taken() from None
        raise
    audit.record(session, a.caller.principal, "mark_outcome", "booking", str(booking.id), subject=booking.client_id,
                 purpose="meetings", details={"outcome": body.outcome.value})
    response = await _reload(session, request, a, cutoff)
    await session.commit()
    return response


def _open_for_staff_change(a: BookingAccess, now: dt.datetime) -> None:
    if not a.caller.is_staff:
        raise MeetingRuleError(Reason.ROLE_NOT_ALLOWED)
    if not a.booking.is_open:
        raise MeetingRuleError(Reason.BOOKING_CLOSED)
    if now >= a.booking.end:
        raise MeetingRuleError(Reason.ALREADY_STARTED)


@router.post("/bookings/{booking_id}/staff", response_model=BookingOut, status_code=201,
             summary="Staff: add a colleague of the unit (one leads, one documents); their time is guarded too")
async def add_staff(body: StaffIn, request: Request, a: BookingAccess = Depends(deps.changeable_booking),
                    session: AsyncSession = Depends(db_session)) -> Response:
    now = deps.clock(request)
    _open_for_staff_change(a, now)
    colleague = await store.get_caseworker(session, body.caseworker_id)
    if colleague is None or colleague.unit_id != a.booking.unit_id:
        raise MeetingRuleError(Reason.CASEWORKER_NOT_IN_UNIT)
    if body.caseworker_id in a.record.staff_ids:
        raise Problem(409, "staff-already-added", "Already taking part")
    rules.check_cleared(a.booking.protected_identity, caller_cleared=True,
                        lead_cleared=await deps.cleared(request, colleague)).raise_if_denied()
    try:
        await store.add_staff(session, a.booking.id, body.caseworker_id, "participant",
                              await store.blocked_range_of(session, a.booking.id))
    except DBAPIError as exc:
        if store.is_booking_conflict(exc):
            raise slot_taken() from None
        raise
    await store.touch_booking(session, a.booking.id, now)
    audit.record(session, a.caller.principal, "add_staff", "booking", str(a.booking.id), subject=a.booking.client_id,
                 purpose="meetings", details={"caseworker_id": body.caseworker_id})
    cutoff, _, _ = await _cutoff(session, a.booking)
    response = await _reload(session, request, a, cutoff)
    response.status_code = 201
    await session.commit()
    return response


@router.post("/bookings/{booking_id}/participants", response_model=JoinLinkOut, status_code=201,
             summary="Staff: invite someone outside the unit (agency, parent) with a one-time join link, shown once")
async def add_external(body: ExternalIn, request: Request, a: BookingAccess = Depends(deps.changeable_booking),
                       session: AsyncSession = Depends(db_session)) -> JoinLinkOut:
    now = deps.clock(request)
    _open_for_staff_change(a, now)
    [link] = await _issue_links(request, session, a.booking, [(body.role, body.organisation)])
    await store.touch_booking(session, a.booking.id, now)
    audit.record(session, a.caller.principal, "add_external", "booking", str(a.booking.id),
                 subject=a.booking.client_id, purpose="meetings", details={"role": body.role.value})
    await session.commit()
    return link


@router.delete("/bookings/{booking_id}/participants/{participant_id}", status_code=204,
               summary="Staff: remove an invited participant; their link stops working, and if they had joined, the "
                       "video room is replaced")
async def remove_external(participant_id: uuid.UUID, request: Request,
                          a: BookingAccess = Depends(deps.changeable_booking),
                          session: AsyncSession = Depends(db_session)) -> Response:
    now = deps.clock(request)
    if not a.caller.is_staff:
        raise MeetingRuleError(Reason.ROLE_NOT_ALLOWED)
    joined = await store.revoke_grant(session, a.booking.id, participant_id, now)
    if joined is None:
        raise Problem(404, "participant-not-found", "No such participant")
    if joined and a.record.video_room:  # they hold the room's URL: the others get a new room
        await store.set_video_room(session, a.booking.id, _new_room(request, a.booking.id))
    await store.touch_booking(session, a.booking.id, now)
    audit.record(session, a.caller.principal, "remove_external", "booking", str(a.booking.id),
                 subject=a.booking.client_id, purpose="meetings", details={"participant_id": str(participant_id)})
    await session.commit()
    return Response(status_code=204)
