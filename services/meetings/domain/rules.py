"""Who may book, move, cancel, change the channel of and mark a meeting: pure functions, one answer each.

Every rule returns a RuleDecision: allowed, or denied with a stable Reason. The reason's value is the
problem+json slug (``type`` = urn:bistand:problem:<reason>), its status and title are the HTTP hints.

    book            client: self-bookable types only; a caseworker of the type's unit; the first meeting
                    with the unit with any of its caseworkers, later ones with the client's own
                    caseworker(s) in that unit (while none is assigned, any caseworker of the unit)
                    staff (caseworker, team lead): any type of their unit, for a named client
    cancel / move   client: their own booking, up to and including the cut-off (start - cutoff)
                    staff: any time before the start, with a reason (after the start: mark the outcome)
    change channel  client or staff, up to the start, to a channel the type allows
    mark outcome    staff: held / no_show from the start on; cancelled_late from the cut-off on (earlier
                    it is an ordinary cancellation); a marked outcome may be corrected
    record contact  staff: a drop-in visit or an unplanned call that already happened
    join            an external participant's one-time link (links.check_join)

Object access follows the applications service: a client sees only their own bookings, staff those of
their unit(s) or their own, and a protected-identity booking only with the protected_access permission.
Anything else is "not found" (404), so a caller cannot learn that a booking exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kit.i18n import N_
from services.meetings.domain.availability import Slot
from services.meetings.domain.bookings import Booking, BookingRequest, BookingStatus, Outcome
from services.meetings.domain.meeting_types import Channel, MeetingType
from services.meetings.domain.times import to_utc
from values.errors import DomainError

PROBLEM_TYPE_PREFIX = "urn:bistand:problem:"
PROTECTED_PERMISSION = "protected_identity"  # the token permission that sets protected_access
STAFF_ROLES = frozenset({"caseworker", "team_lead"})
CLIENT_ROLES = frozenset({"client", "co_applicant"})


class Reason(StrEnum):
    ROLE_NOT_ALLOWED = "meeting-role-not-allowed"
    BOOKING_NOT_FOUND = "booking-not-found"
    CASEWORKER_NOT_CLEARED = "caseworker-not-cleared"
    MEETING_TYPE_INACTIVE = "meeting-type-inactive"
    MEETING_TYPE_OTHER_UNIT = "meeting-type-other-unit"
    CASEWORKER_NOT_IN_UNIT = "caseworker-not-in-unit"
    NOT_SELF_BOOKABLE = "meeting-type-not-self-bookable"
    NOT_OWN_CASEWORKER = "caseworker-not-assigned"
    CLIENT_REQUIRED = "booking-client-required"
    FOR_OTHER_CLIENT = "booking-for-other-client"
    CHANNEL_NOT_ALLOWED = "channel-not-allowed"
    SLOT_UNAVAILABLE = "slot-unavailable"
    CUTOFF_PASSED = "client-change-cutoff-passed"
    ALREADY_STARTED = "meeting-already-started"
    NOT_STARTED = "meeting-not-started"
    NOT_LATE = "cancellation-not-late"
    BOOKING_CLOSED = "booking-closed"
    BOOKING_CANCELLED = "booking-cancelled"
    REASON_REQUIRED = "change-reason-required"
    CONTACT_IN_FUTURE = "contact-in-future"
    JOIN_LINK_INVALID = "join-link-invalid"
    JOIN_TOO_EARLY = "join-too-early"


# reason -> (HTTP status hint, title)
_HINTS: dict[Reason, tuple[int, str]] = {
    Reason.ROLE_NOT_ALLOWED: (403, N_("Your role may not do this with meetings")),
    Reason.BOOKING_NOT_FOUND: (404, N_("No such booking")),
    Reason.CASEWORKER_NOT_CLEARED: (409, N_("The caseworker is not cleared for this meeting")),
    Reason.MEETING_TYPE_INACTIVE: (409, N_("The meeting type is no longer offered")),
    Reason.MEETING_TYPE_OTHER_UNIT: (403, N_("The meeting type belongs to another unit")),
    Reason.CASEWORKER_NOT_IN_UNIT: (422, N_("The caseworker does not work in the meeting type's unit")),
    Reason.NOT_SELF_BOOKABLE: (403, N_("This meeting type is booked by the unit, not online")),
    Reason.NOT_OWN_CASEWORKER: (422, N_("Book this meeting with your own caseworker")),
    Reason.CLIENT_REQUIRED: (422, N_("A booking by staff names the client")),
    Reason.FOR_OTHER_CLIENT: (403, N_("A client books only for themselves")),
    Reason.CHANNEL_NOT_ALLOWED: (422, N_("The meeting type does not offer this channel")),
    Reason.SLOT_UNAVAILABLE: (409, N_("The time is not available")),
    Reason.CUTOFF_PASSED: (409, N_("It is too late to change the booking online; contact the unit")),
    Reason.ALREADY_STARTED: (409, N_("The meeting has already started")),
    Reason.NOT_STARTED: (409, N_("The meeting has not started yet")),
    Reason.NOT_LATE: (409, N_("Before the cut-off this is an ordinary cancellation")),
    Reason.BOOKING_CLOSED: (409, N_("The booking is cancelled or its outcome is marked")),
    Reason.BOOKING_CANCELLED: (409, N_("The booking is cancelled")),
    Reason.REASON_REQUIRED: (422, N_("Staff give a reason when they change a booking")),
    Reason.CONTACT_IN_FUTURE: (422, N_("A contact is recorded after it took place; book future meetings")),
    Reason.JOIN_LINK_INVALID: (404, N_("The link is not valid (used, expired or cancelled)")),
    Reason.JOIN_TOO_EARLY: (409, N_("The meeting is not open yet; join shortly before it starts")),
}


class MeetingRuleError(DomainError):
    """A denied rule, raised. The kit answers it as problem+json (status, slug = code, title, detail)."""

    def __init__(self, reason: Reason, detail: str | None = None) -> None:
        status, title = _HINTS[reason]
        super().__init__(detail or title, code=reason.value, status=status)
        self.reason = reason
        self.slug = reason.value
        self.title = title
        self.detail = detail  # type: ignore[assignment] # None: the problem has no detail, as before


@dataclass(frozen=True)
class RuleDecision:
    reason: Reason | None = None

    @property
    def allowed(self) -> bool:
        return self.reason is None

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def problem_type(self) -> str | None:
        return None if self.reason is None else PROBLEM_TYPE_PREFIX + self.reason.value

    @property
    def status(self) -> int:
        return 200 if self.reason is None else _HINTS[self.reason][0]

    @property
    def title(self) -> str | None:
        return None if self.reason is None else _HINTS[self.reason][1]

    def raise_if_denied(self, detail: str | None = None) -> None:
        if self.reason is not None:
            raise MeetingRuleError(self.reason, detail)


ALLOW = RuleDecision()


def deny(reason: Reason) -> RuleDecision:
    return RuleDecision(reason)


@dataclass(frozen=True)
class Actor:
    """Who acts. A principal with a staff role acts as staff."""

    sub: str
    roles: frozenset[str]
    units: frozenset[str] = frozenset()
    protected_access: bool = False

    @property
    def is_staff(self) -> bool:
        return not self.roles.isdisjoint(STAFF_ROLES)

    @property
    def is_client(self) -> bool:
        return not self.is_staff and not self.roles.isdisjoint(CLIENT_ROLES)

    @classmethod
    def from_principal(cls, principal: Any) -> Actor:
        """From kit.auth.Principal (duck-typed: the domain does not import the web kit)."""
        units = set(getattr(principal, "units", ()) or ())
        if getattr(principal, "unit", None):
            units.add(principal.unit)
        permissions = getattr(principal, "permissions", frozenset()) or frozenset()
        return cls(
            sub=principal.sub,
            roles=frozenset(principal.roles),
            units=frozenset(units),
            protected_access=PROTECTED_PERMISSION in permissions,
        )


@dataclass(frozen=True)
class ClientRelation:
    """The client's standing with the meeting type's unit, as the API finds it.

    own_caseworker_ids: the client's responsible caseworkers *in this unit* (a client may have one in
    another unit too, e.g. an arbetsmarknadssekreterare). has_met_unit: an earlier booking with the unit
    that was held or is still booked.
    """

    own_caseworker_ids: frozenset[str] = frozenset()
    has_met_unit: bool = False
    protected_identity: bool = False


def resolve_channel(request: BookingRequest, meeting_type: MeetingType) -> Channel:
    return request.channel or meeting_type.default_channel


def caseworkers_client_may_book(unit_caseworker_ids: Iterable[str], relation: ClientRelation) -> frozenset[str]:
    """Whom a client may book with in a unit: anyone for the first meeting, later their own (if assigned)."""
    unit = frozenset(unit_caseworker_ids)
    own = relation.own_caseworker_ids & unit
    if relation.has_met_unit and own:
        return own
    return unit


def _booking_access(actor: Actor, booking: Booking) -> Reason | None:
    if actor.is_staff:
        mine = booking.unit_id in actor.units or booking.caseworker_id == actor.sub
        if mine and (actor.protected_access or not booking.protected_identity):
            return None
        return Reason.BOOKING_NOT_FOUND
    if actor.is_client:
        return None if booking.client_id == actor.sub else Reason.BOOKING_NOT_FOUND
    return Reason.ROLE_NOT_ALLOWED


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def can_book(
    actor: Actor,
    meeting_type: MeetingType,
    request: BookingRequest,
    *,
    caseworker_units: Collection[str],
    relation: ClientRelation,
) -> RuleDecision:
    """May `actor` make this booking? `caseworker_units`: the units the requested caseworker works in.

    Whether the time itself is free is a separate question (check_slot_offered, then the database).
    """
    if request.meeting_type_id != meeting_type.id:
        raise ValueError("the request is for another meeting type")
    if not actor.is_staff and not actor.is_client:
        return deny(Reason.ROLE_NOT_ALLOWED)
    if not meeting_type.active:
        return deny(Reason.MEETING_TYPE_INACTIVE)
    if actor.is_staff:
        if meeting_type.unit_id not in actor.units:
            return deny(Reason.MEETING_TYPE_OTHER_UNIT)
        if request.client_id is None:
            return deny(Reason.CLIENT_REQUIRED)
    else:
        if request.client_id not in (None, actor.sub):
            return deny(Reason.FOR_OTHER_CLIENT)
        if not meeting_type.client_self_bookable:
            return deny(Reason.NOT_SELF_BOOKABLE)
    if meeting_type.unit_id not in caseworker_units:
        return deny(Reason.CASEWORKER_NOT_IN_UNIT)
    if resolve_channel(request, meeting_type) not in meeting_type.channels:
        return deny(Reason.CHANNEL_NOT_ALLOWED)
    # own_caseworker_ids are this unit's (see ClientRelation); the first meeting is with anyone.
    own = relation.own_caseworker_ids
    if actor.is_client and relation.has_met_unit and own and request.caseworker_id not in own:
        return deny(Reason.NOT_OWN_CASEWORKER)
    return ALLOW


def check_cleared(protected: bool, *, caller_cleared: bool, lead_cleared: bool) -> RuleDecision:
    """A client with protected identity is booked by, and meets, only caseworkers cleared for it.

    Asked LAST, after every other check has passed: every other refusal then reads the same whoever the client
    is, and this one is the only answer that depends on protection (one status, one body, whether it is the
    caller or the lead who lacks clearance). A client booking for themselves counts as cleared for themselves.
    """
    if protected and not (caller_cleared and lead_cleared):
        return deny(Reason.CASEWORKER_NOT_CLEARED)
    return ALLOW


def check_slot_offered(caseworker_id: str, start: dt.datetime, offered: Iterable[Slot]) -> RuleDecision:
    """Is (caseworker, start) among the slots generated for the request? The database still has the last word."""
    start = to_utc(start)
    if any(slot.caseworker_id == caseworker_id and slot.start == start for slot in offered):
        return ALLOW
    return deny(Reason.SLOT_UNAVAILABLE)


def client_change_deadline(booking: Booking, cutoff: dt.timedelta) -> dt.datetime:
    """The last instant a client may move or cancel online (shown to them: "Du kan avboka till …")."""
    return booking.start - cutoff


def _can_change(
    actor: Actor, booking: Booking, now: dt.datetime, cutoff: dt.timedelta, reason: str | None
) -> RuleDecision:
    denied = _booking_access(actor, booking)
    if denied:
        return deny(denied)
    if not booking.is_open:
        return deny(Reason.BOOKING_CLOSED)
    now = to_utc(now)
    if now >= booking.start:
        return deny(Reason.ALREADY_STARTED)
    if actor.is_staff:
        return deny(Reason.REASON_REQUIRED) if _blank(reason) else ALLOW
    if now > client_change_deadline(booking, cutoff):
        return deny(Reason.CUTOFF_PASSED)
    return ALLOW


def can_cancel(
    actor: Actor, booking: Booking, now: dt.datetime, *, cutoff: dt.timedelta, reason: str | None = None
) -> RuleDecision:
    """`cutoff`: unit_settings.client_change_cutoff(type, unit settings). `reason`: required from staff."""
    return _can_change(actor, booking, now, cutoff, reason)


def can_reschedule(
    actor: Actor, booking: Booking, now: dt.datetime, *, cutoff: dt.timedelta, reason: str | None = None
) -> RuleDecision:
    """Moving the booking; the new time is checked like a new booking's (check_slot_offered, the database)."""
    return _can_change(actor, booking, now, cutoff, reason)


def can_change_channel(
    actor: Actor, booking: Booking, meeting_type: MeetingType, channel: Channel, now: dt.datetime
) -> RuleDecision:
    if booking.meeting_type_id != meeting_type.id:
        raise ValueError("the booking is of another meeting type")
    denied = _booking_access(actor, booking)
    if denied:
        return deny(denied)
    if not booking.is_open:
        return deny(Reason.BOOKING_CLOSED)
    if to_utc(now) >= booking.start:
        return deny(Reason.ALREADY_STARTED)
    if channel not in meeting_type.channels:
        return deny(Reason.CHANNEL_NOT_ALLOWED)
    return ALLOW


def can_mark_outcome(
    actor: Actor, booking: Booking, outcome: Outcome, now: dt.datetime, *, cutoff: dt.timedelta
) -> RuleDecision:
    if not actor.is_staff:
        return deny(Reason.ROLE_NOT_ALLOWED)
    denied = _booking_access(actor, booking)
    if denied:
        return deny(denied)
    if booking.status is BookingStatus.CANCELLED:
        return deny(Reason.BOOKING_CANCELLED)
    now = to_utc(now)
    if outcome is Outcome.CANCELLED_LATE:
        if now < client_change_deadline(booking, cutoff):
            return deny(Reason.NOT_LATE)
    elif now < booking.start:
        return deny(Reason.NOT_STARTED)
    return ALLOW


def can_record_contact(
    actor: Actor, meeting_type: MeetingType, channel: Channel, start: dt.datetime, now: dt.datetime
) -> RuleDecision:
    """A contact that already happened (drop-in visit, an unplanned call): stored as a booking marked held."""
    if not actor.is_staff:
        return deny(Reason.ROLE_NOT_ALLOWED)
    if meeting_type.unit_id not in actor.units:
        return deny(Reason.MEETING_TYPE_OTHER_UNIT)
    if channel not in meeting_type.channels:
        return deny(Reason.CHANNEL_NOT_ALLOWED)
    if to_utc(start) > to_utc(now):
        return deny(Reason.CONTACT_IN_FUTURE)
    return ALLOW


def can_view(actor: Actor, booking: Booking) -> RuleDecision:
    """May `actor` see the booking at all? The client: their own; staff: their unit's (protected: with the
    permission). Anything else reads as not found."""
    denied = _booking_access(actor, booking)
    return deny(denied) if denied else ALLOW
