"""Bookings: make, show, move, cancel, change channel, add staff and external participants, mark the outcome.

Each use case takes the session first, checks the domain's rules on what it loaded (a change: on the booking row
locked by access.booking_for), writes through the store, and commits once: the booking, its staff rows (the
double-booking guard), reminders, outbox event and audit entry together. No double booking: the database's
exclusion constraint has the last word (SQLSTATE 23P01 -> 409 slot-taken). After a commit that wrote an event
the relay is woken.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import MEETING_BOOKED, MEETING_CANCELLED, MEETING_CHANGED
from kit import audit
from kit.i18n import N_
from kit.idempotency import Idempotency
from kit.problems import Problem, validation_errors
from services.meetings.domain import rules
from services.meetings.domain.bookings import (
    AccessibilityNeed,
    Booking,
    BookingRequest,
    ExternalParticipant,
    ExternalRole,
    InterpreterNeed,
    Outcome,
    new_booking_reference,
)
from services.meetings.domain.links import issue_join_link
from services.meetings.domain.meeting_types import Channel, MeetingKind, MeetingType, blocked_range, meeting_end
from services.meetings.domain.rules import ClientRelation, MeetingRuleError, Reason
from services.meetings.domain.times import local_date, start_of_local_day
from services.meetings.domain.unit_settings import UnitMeetingSettings, client_change_cutoff
from services.meetings.service import events, protection, reminders, rooms
from services.meetings.service.access import BookingAccess, Caller, cleared
from services.meetings.service.availability import find_slots
from services.meetings.service.runtime import Runtime
from services.meetings.service.units import meeting_type_or_404
from services.meetings.store import bookings as bookings_store
from services.meetings.store import caseworkers as caseworkers_store
from services.meetings.store import clients as clients_store
from services.meetings.store import links as links_store
from services.meetings.store import units as units_store
from services.meetings.store.bookings import BookingRecord
from services.meetings.store.conflicts import is_booking_conflict

CALENDAR_MAX_DAYS = 92


@dataclass(frozen=True)
class JoinLink:
    """An external participant's one-time link, shown once (only its hash is kept)."""

    role: ExternalRole
    organisation: str | None
    url: str


@dataclass(frozen=True)
class Shown:
    """A booking as its answer shows it to the caller: the record, the client's change deadline's cut-off (None:
    none shown), and join links made just now (shown once)."""

    record: BookingRecord
    caller: Caller
    cutoff: dt.timedelta | None
    join_links: list[JoinLink] | None = None


@dataclass(frozen=True)
class BookingDraft:
    """A booking as asked for (the request body), before any rule has looked at it."""

    meeting_type_id: uuid.UUID
    caseworker_id: str
    start: dt.datetime
    channel: Channel | None
    personal_number: str | None
    interpreter: InterpreterNeed | None
    accessibility: Sequence[AccessibilityNeed]
    accessibility_note: str | None
    external_participants: Sequence[ExternalParticipant]


@dataclass(frozen=True)
class Answer:
    """What a booking request answers: this request's booking, or (``replayed``) the first answer to its key."""

    status: int
    body: Any
    replayed: bool = False


def slot_taken() -> Problem:
    return Problem(409, "slot-taken", N_("The time was just taken"),
                   N_("Someone booked this time a moment ago. Choose another time."))


def _location(meeting_type: MeetingType, channel: Channel) -> str | None:
    """The office address for an in-person meeting at the office; a home visit never carries an address."""
    if channel is Channel.IN_PERSON and meeting_type.kind is not MeetingKind.HOME_VISIT:
        return meeting_type.office_address
    return None


async def _cutoff(session: AsyncSession, booking: Booking) -> tuple[dt.timedelta, MeetingType, UnitMeetingSettings]:
    meeting_type = await meeting_type_or_404(session, booking.meeting_type_id)
    unit = await units_store.get_unit_settings(session, booking.unit_id)
    return client_change_cutoff(meeting_type, unit), meeting_type, unit


async def _shown(session: AsyncSession, records: list[BookingRecord], c: Caller) -> list[Shown]:
    out = []
    for record in records:
        cutoff, _, _ = await _cutoff(session, record.booking)
        out.append(Shown(record, c, cutoff))
    return out


async def _reload(session: AsyncSession, a: BookingAccess, cutoff: dt.timedelta) -> Shown:
    record = await bookings_store.get_booking(session, a.booking.id)
    assert record is not None
    return Shown(record, a.caller, cutoff)


@contextlib.contextmanager
def _no_double_booking() -> Iterator[None]:
    """The database's exclusion constraint said the time is taken: the caller's 409, not a 500."""
    try:
        yield
    except DBAPIError as exc:
        if is_booking_conflict(exc):
            raise slot_taken() from None
        raise


async def _keep(session: AsyncSession, rt: Runtime, a: BookingAccess, cutoff: dt.timedelta, action: str,
                details: dict[str, Any] | None, *, told: bool) -> Shown:
    """The end of every change of a booking: audited, read back as kept, committed; ``told``: an outbox event
    was written, so the relay is woken."""
    audit.record(session, a.caller.principal, action, "booking", str(a.booking.id), subject=a.booking.client_id,
                 purpose="meetings", details=details)
    shown = await _reload(session, a, cutoff)
    await session.commit()
    if told:
        rt.relay.wake()
    return shown


async def _issue_links(rt: Runtime, session: AsyncSession, booking: Booking,
                       wanted: list[tuple[ExternalRole, str | None]]) -> list[JoinLink]:
    base = rt.settings.join_base_url
    links = []
    for role, organisation in wanted:
        url, grant = issue_join_link(base, booking, role)
        await links_store.insert_grant(session, grant, organisation)
        links.append(JoinLink(role=role, organisation=organisation, url=url))
    return links


async def book(session: AsyncSession, rt: Runtime, c: Caller, draft: BookingDraft, idempotency: Idempotency,
               request: Any, present: Callable[[Shown], dict[str, Any]]) -> Answer:
    """A client books for themselves; staff for a client named by personnummer. ``request``: the body as sent (a
    retry with the same Idempotency-Key must send the same); ``present``: the answer's body, kept for retries."""
    # Keyed by who asked (the token's subject), not by the client the booking is for: a representative acting for
    # the client (kit.auth: their own subject and the representation's) never gets the client's stored answers.
    stored = await idempotency.claim(session, f"{c.principal.sub}:bookings", request)
    if stored is not None:
        return Answer(stored.status, stored.body, replayed=True)
    now = rt.now()
    meeting_type = await meeting_type_or_404(session, draft.meeting_type_id)
    if c.is_client:
        if draft.personal_number not in (None, c.actor.sub):
            raise MeetingRuleError(Reason.FOR_OTHER_CLIENT)
        client = c.actor.sub
    else:
        client = draft.personal_number
    try:
        booking_request = BookingRequest(
            meeting_type_id=draft.meeting_type_id, caseworker_id=draft.caseworker_id, start=draft.start,
            channel=draft.channel, client_id=client, interpreter=draft.interpreter,
            accessibility=frozenset(draft.accessibility), accessibility_note=draft.accessibility_note,
            external_participants=tuple(draft.external_participants))
    except ValidationError as exc:
        raise Problem(422, "validation-error", "Invalid request", "One or more fields are invalid.",
                      errors=validation_errors(exc.errors())) from None
    caseworker = await caseworkers_store.get_caseworker(session, draft.caseworker_id)
    relation = await clients_store.client_relation(session, client, meeting_type.unit_id) if client \
        else ClientRelation()
    rules.can_book(c.actor, meeting_type, booking_request,
                   caseworker_units={caseworker.unit_id} if caseworker else set(),
                   relation=relation).raise_if_denied()
    unit = await units_store.get_unit_settings(session, meeting_type.unit_id)
    # Staff book phone appointments without the clients' minimum notice.
    min_notice = unit.min_notice if c.is_client else dt.timedelta(0)
    day = local_date(booking_request.start)
    offered = await find_slots(session, meeting_type, [draft.caseworker_id], day, day, now, min_notice)
    rules.check_slot_offered(draft.caseworker_id, booking_request.start, offered).raise_if_denied()
    # Protection is decided last, so every refusal above reads the same for any client (no oracle). The owner
    # decides (503 when it cannot answer); a client's own token claim may only tighten it.
    protected = client is not None and await protection.for_write(session, rt.owner, client,
                                                                  claim=c.is_client and c.protected_claim)
    rules.check_cleared(protected, caller_cleared=c.is_client or c.actor.protected_access,
                        lead_cleared=cleared(rt, caseworker)).raise_if_denied()

    channel = rules.resolve_channel(booking_request, meeting_type)
    booking_id = uuid.uuid4()
    room = rooms.new_room(rt.settings, booking_id) if channel is Channel.VIDEO else None
    booking = Booking(
        id=booking_id, reference=new_booking_reference(), unit_id=meeting_type.unit_id,
        caseworker_id=draft.caseworker_id, client_id=client, meeting_type_id=meeting_type.id, kind=meeting_type.kind,
        channel=channel, start=booking_request.start, end=meeting_end(booking_request.start, meeting_type),
        protected_identity=protected, location=_location(meeting_type, channel), updated_at=now)
    record = BookingRecord(
        booking=booking, interpreter_language=draft.interpreter.language if draft.interpreter else None,
        accessibility=booking_request.accessibility, accessibility_note=booking_request.accessibility_note,
        booked_by=c.principal.sub, booked_by_staff=c.is_staff, change_reason=None, created_at=now,
        video_room=room[0] if room else None)
    with _no_double_booking():
        await bookings_store.insert_booking(session, record, blocked_range(booking.start, meeting_type),
                                            room[1] if room else None)
    links = await _issue_links(rt, session, booking,
                               [(p.role, p.organisation) for p in booking_request.external_participants])
    await reminders.schedule(session, booking, unit, now)
    events.enqueue_event(session, MEETING_BOOKED, booking, now)
    audit.record(session, c.principal, "create", "booking", str(booking.id), subject=client, purpose="meetings",
                 details={"unit": booking.unit_id, "by_staff": c.is_staff})
    record = await bookings_store.get_booking(session, booking.id) or record
    body = present(Shown(record, c, client_change_cutoff(meeting_type, unit), join_links=links or None))
    await idempotency.complete(session, 201, body)
    await session.commit()
    rt.relay.wake()
    return Answer(201, body)


async def record_contact(session: AsyncSession, rt: Runtime, c: Caller, *, meeting_type_id: uuid.UUID,
                         start: dt.datetime, minutes: int | None, channel: Channel | None,
                         personal_number: str | None) -> Shown:
    """Staff record a contact that already happened (a drop-in visit, an unplanned call), kept as held."""
    now = rt.now()
    meeting_type = await meeting_type_or_404(session, meeting_type_id)
    channel = channel or meeting_type.default_channel
    rules.can_record_contact(c.actor, meeting_type, channel, start, now).raise_if_denied()
    client = personal_number
    protected = client is not None and await protection.for_write(session, rt.owner, client)
    # The same answer as a booking's (asked last): a status code must not tell who is protected.
    rules.check_cleared(protected, caller_cleared=c.actor.protected_access,
                        lead_cleared=c.actor.protected_access).raise_if_denied()
    minutes = minutes or meeting_type.duration_minutes
    booking = Booking(
        id=uuid.uuid4(), reference=new_booking_reference(), unit_id=meeting_type.unit_id, caseworker_id=c.actor.sub,
        client_id=client, meeting_type_id=meeting_type.id, kind=meeting_type.kind, channel=channel, start=start,
        end=start + dt.timedelta(minutes=minutes), outcome=Outcome.HELD, protected_identity=protected,
        location=_location(meeting_type, channel), updated_at=now)
    record = BookingRecord(booking=booking, interpreter_language=None, accessibility=frozenset(),
                           accessibility_note=None, booked_by=c.principal.sub, booked_by_staff=True,
                           change_reason=None, created_at=now)
    with _no_double_booking():  # a contact blocks no time, so this is a belt to those braces
        await bookings_store.insert_contact(session, record)
    audit.record(session, c.principal, "record_contact", "booking", str(booking.id), subject=client,
                 purpose="meetings", details={"unit": booking.unit_id, "kind": booking.kind.value})
    saved = await bookings_store.get_booking(session, booking.id)
    assert saved is not None
    await session.commit()
    return Shown(saved, c, None)


async def mine(session: AsyncSession, rt: Runtime, c: Caller) -> list[Shown]:
    """A client's own bookings; a caseworker's (as lead or participant)."""
    now = rt.now()
    if c.is_client:
        records = await bookings_store.client_bookings(session, c.actor.sub, now - dt.timedelta(days=90))
    else:
        records = await bookings_store.staff_bookings(session, c.actor.sub, now - dt.timedelta(days=30),
                                                      now + dt.timedelta(days=365))
        records = await protection.for_display(session, rt.owner, records)
        records = [r for r in records if rules.can_view(c.actor, r.booking)]
    return await _shown(session, records, c)


async def unit_calendar(session: AsyncSession, rt: Runtime, c: Caller, unit: str, first: dt.date | None,
                        last: dt.date | None) -> list[Shown]:
    """The unit's bookings in a window, for its staff (protected identity: with the permission); audited."""
    if unit not in c.actor.units:
        raise Problem(404, "unit-not-found", "No such unit")
    first = first or local_date(rt.now())
    last = last or first + dt.timedelta(days=6)
    if last < first or (last - first).days > CALENDAR_MAX_DAYS:
        raise Problem(422, "calendar-window-invalid", "Invalid window", "At most 93 days, 'to' not before 'from'.")
    records = await bookings_store.unit_bookings(session, unit, start_of_local_day(first),
                                                 start_of_local_day(last + dt.timedelta(days=1)))
    records = await protection.for_display(session, rt.owner, records)
    visible = [r for r in records if rules.can_view(c.actor, r.booking)]
    if visible:
        audit.record(session, c.principal, "read", "unit_calendar", unit, purpose="meetings",
                     details={"from": first.isoformat(), "to": last.isoformat(), "bookings": len(visible)})
        await session.commit()
    return await _shown(session, visible, c)


async def show(session: AsyncSession, a: BookingAccess) -> Shown:
    """One booking (staff reading it is audited)."""
    if a.caller.is_staff:
        audit.record(session, a.caller.principal, "read", "booking", str(a.booking.id), subject=a.booking.client_id,
                     purpose="meetings")
        await session.commit()
    cutoff, _, _ = await _cutoff(session, a.booking)
    return Shown(a.record, a.caller, cutoff)


async def reschedule(session: AsyncSession, rt: Runtime, a: BookingAccess, start: dt.datetime,
                     reason: str | None) -> Shown:
    """Move: the client up to the unit's cut-off; staff any time before the start, with a reason."""
    now = rt.now()
    booking = a.booking
    cutoff, meeting_type, unit = await _cutoff(session, booking)
    rules.can_reschedule(a.caller.actor, booking, now, cutoff=cutoff, reason=reason).raise_if_denied()
    min_notice = unit.min_notice if a.caller.is_client else dt.timedelta(0)
    day = local_date(start)
    offered = await find_slots(session, meeting_type, [booking.caseworker_id], day, day, now, min_notice,
                               exclude_booking=booking.id)
    rules.check_slot_offered(booking.caseworker_id, start, offered).raise_if_denied()
    # The buffers are the type's as they are now; the other staff follow (each guarded by the constraint).
    with _no_double_booking():
        await bookings_store.move_booking(session, booking.id, start, meeting_end(start, meeting_type),
                                          blocked_range(start, meeting_type), reason if a.caller.is_staff else None,
                                          now)
    if booking.channel is Channel.VIDEO:  # a new time is a new room: links handed out for the old one end
        await bookings_store.set_video_room(session, booking.id, rooms.new_room(rt.settings, booking.id))
    moved = booking.model_copy(update={"start": start, "end": meeting_end(start, meeting_type)})
    await reminders.schedule(session, moved, unit, now)
    events.enqueue_event(session, MEETING_CHANGED, moved, now)
    return await _keep(session, rt, a, cutoff, "reschedule", {"reason": reason} if a.caller.is_staff else None,
                       told=True)


async def cancel(session: AsyncSession, rt: Runtime, a: BookingAccess, reason: str | None) -> Shown:
    """Cancel: the client up to the unit's cut-off; staff any time before the start, with a reason."""
    now = rt.now()
    booking = a.booking
    cutoff, _, _ = await _cutoff(session, booking)
    rules.can_cancel(a.caller.actor, booking, now, cutoff=cutoff, reason=reason).raise_if_denied()
    await bookings_store.cancel_booking(session, booking.id, reason if a.caller.is_staff else None, now)
    events.enqueue_event(session, MEETING_CANCELLED, booking, now)
    return await _keep(session, rt, a, cutoff, "cancel", {"reason": reason} if a.caller.is_staff else None,
                       told=True)


async def change_channel(session: AsyncSession, rt: Runtime, a: BookingAccess, channel: Channel) -> Shown:
    """Another channel (in person, phone, video) up to the start, among those the type offers."""
    now = rt.now()
    booking = a.booking
    cutoff, meeting_type, _ = await _cutoff(session, booking)
    rules.can_change_channel(a.caller.actor, booking, meeting_type, channel, now).raise_if_denied()
    if channel is booking.channel:
        return Shown(a.record, a.caller, cutoff)
    # A new channel is a new room (or none): whoever had the old URL is out.
    room = rooms.new_room(rt.settings, booking.id) if channel is Channel.VIDEO else None
    await bookings_store.set_channel(session, booking.id, channel, _location(meeting_type, channel), room, now)
    events.enqueue_event(session, MEETING_CHANGED, booking.model_copy(update={"channel": channel}), now)
    return await _keep(session, rt, a, cutoff, "change_channel", {"channel": channel.value}, told=True)


async def mark_outcome(session: AsyncSession, rt: Runtime, a: BookingAccess, outcome: Outcome) -> Shown:
    """Staff mark held / no_show (from the start) or cancelled_late (from the cut-off); correctable."""
    now = rt.now()
    booking = a.booking
    cutoff, _, _ = await _cutoff(session, booking)
    rules.can_mark_outcome(a.caller.actor, booking, outcome, now, cutoff=cutoff).raise_if_denied()
    with _no_double_booking():
        await bookings_store.set_outcome(session, booking.id, outcome, now)
    return await _keep(session, rt, a, cutoff, "mark_outcome", {"outcome": outcome.value}, told=False)


def _open_for_staff_change(a: BookingAccess, now: dt.datetime) -> None:
    if not a.caller.is_staff:
        raise MeetingRuleError(Reason.ROLE_NOT_ALLOWED)
    if not a.booking.is_open:
        raise MeetingRuleError(Reason.BOOKING_CLOSED)
    if now >= a.booking.end:
        raise MeetingRuleError(Reason.ALREADY_STARTED)


async def add_staff(session: AsyncSession, rt: Runtime, a: BookingAccess, caseworker_id: str) -> Shown:
    """Staff add a colleague of the unit (one leads, one documents); their time is guarded too."""
    now = rt.now()
    _open_for_staff_change(a, now)
    colleague = await caseworkers_store.get_caseworker(session, caseworker_id)
    if colleague is None or colleague.unit_id != a.booking.unit_id:
        raise MeetingRuleError(Reason.CASEWORKER_NOT_IN_UNIT)
    if caseworker_id in a.record.staff_ids:
        raise Problem(409, "staff-already-added", "Already taking part")
    rules.check_cleared(a.booking.protected_identity, caller_cleared=True,
                        lead_cleared=cleared(rt, colleague)).raise_if_denied()
    with _no_double_booking():
        await bookings_store.add_staff(session, a.booking.id, caseworker_id, "participant",
                                       await bookings_store.blocked_range_of(session, a.booking.id))
    await bookings_store.touch_booking(session, a.booking.id, now)
    cutoff, _, _ = await _cutoff(session, a.booking)
    return await _keep(session, rt, a, cutoff, "add_staff", {"caseworker_id": caseworker_id}, told=False)


async def add_external(session: AsyncSession, rt: Runtime, a: BookingAccess, role: ExternalRole,
                       organisation: str | None) -> JoinLink:
    """Staff invite someone outside the unit (agency, parent) with a one-time join link, shown once."""
    now = rt.now()
    _open_for_staff_change(a, now)
    [link] = await _issue_links(rt, session, a.booking, [(role, organisation)])
    await bookings_store.touch_booking(session, a.booking.id, now)
    audit.record(session, a.caller.principal, "add_external", "booking", str(a.booking.id),
                 subject=a.booking.client_id, purpose="meetings", details={"role": role.value})
    await session.commit()
    return link


async def remove_external(session: AsyncSession, rt: Runtime, a: BookingAccess, participant_id: uuid.UUID) -> None:
    """Staff remove an invited participant: their link stops working; if they had joined, a new video room."""
    now = rt.now()
    if not a.caller.is_staff:
        raise MeetingRuleError(Reason.ROLE_NOT_ALLOWED)
    joined = await links_store.revoke_grant(session, a.booking.id, participant_id, now)
    if joined is None:
        raise Problem(404, "participant-not-found", "No such participant")
    if joined and a.record.video_room:  # they hold the room's URL: the others get a new room
        await bookings_store.set_video_room(session, a.booking.id, rooms.new_room(rt.settings, a.booking.id))
    await bookings_store.touch_booking(session, a.booking.id, now)
    audit.record(session, a.caller.principal, "remove_external", "booking", str(a.booking.id),
                 subject=a.booking.client_id, purpose="meetings", details={"participant_id": str(participant_id)})
    await session.commit()
