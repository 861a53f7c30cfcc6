from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest

from kit.auth import Principal
from services.meetings.domain.availability import Slot
from services.meetings.domain.bookings import BookingRequest, BookingStatus, Outcome
from services.meetings.domain.meeting_types import Channel, MeetingKind
from services.meetings.domain.rules import (
    ALLOW,
    Actor,
    ClientRelation,
    MeetingRuleError,
    Reason,
    RuleDecision,
    can_book,
    can_cancel,
    can_change_channel,
    can_mark_outcome,
    can_record_contact,
    can_reschedule,
    caseworkers_client_may_book,
    check_cleared,
    check_slot_offered,
    client_change_deadline,
    resolve_channel,
)
from tests.meetings.test_domain_factories import OFFICE, OTHER_UNIT, UNIT, booking, meeting_type, sthlm

R = Reason
CLIENT = Actor("client-1", frozenset({"client"}))
CO_APPLICANT = Actor("client-1", frozenset({"co_applicant"}))
OTHER_CLIENT = Actor("client-2", frozenset({"client"}))
ANNA = Actor("cw-anna", frozenset({"caseworker"}), frozenset({UNIT}))
BO = Actor("cw-bo", frozenset({"caseworker"}), frozenset({UNIT}))
OLLE = Actor("cw-olle", frozenset({"caseworker"}), frozenset({OTHER_UNIT}))
LEAD = Actor("lead-1", frozenset({"team_lead"}), frozenset({UNIT}))
PIA = Actor("cw-pia", frozenset({"caseworker"}), frozenset({UNIT}), protected_access=True)
ADMIN = Actor("admin-1", frozenset({"admin"}), frozenset({UNIT}))

START = sthlm(2026, 3, 10, 10)
CUTOFF = dt.timedelta(hours=24)
H = dt.timedelta(hours=1)


# --- booking ----------------------------------------------------------------------------------------------

TYPE = meeting_type()
HOME_VISIT = meeting_type(kind=MeetingKind.HOME_VISIT, channels=frozenset({Channel.IN_PERSON}), office_address=None,
                          client_self_bookable=False)
PHONE_ONLY = meeting_type(kind=MeetingKind.PHONE, channels=frozenset({Channel.PHONE}), office_address=None)
RETIRED = meeting_type(active=False)
FIRST = ClientRelation()
LATER = ClientRelation(own_caseworker_ids=frozenset({"cw-anna"}), has_met_unit=True)
LATER_UNASSIGNED = ClientRelation(has_met_unit=True)
PROTECTED = ClientRelation(protected_identity=True)


def request(type_: Any = TYPE, **overrides: Any) -> BookingRequest:
    values: dict[str, Any] = {"meeting_type_id": type_.id, "caseworker_id": "cw-bo", "start": START}
    values.update(overrides)
    return BookingRequest(**values)


BOOK_MATRIX: list[tuple[str, Actor, Any, dict[str, Any], frozenset[str], ClientRelation, Reason | None]] = [
    # client
    ("first meeting, any caseworker", CLIENT, TYPE, {}, frozenset({UNIT}), FIRST, None),
    ("co-applicant books too", CO_APPLICANT, TYPE, {}, frozenset({UNIT}), FIRST, None),
    ("client names themselves", CLIENT, TYPE, {"client_id": "client-1"}, frozenset({UNIT}), FIRST, None),
    ("client books for someone else", CLIENT, TYPE, {"client_id": "client-2"}, frozenset({UNIT}), FIRST,
     R.FOR_OTHER_CLIENT),
    ("later meeting with own caseworker", CLIENT, TYPE, {"caseworker_id": "cw-anna"}, frozenset({UNIT}), LATER, None),
    ("later meeting with another caseworker", CLIENT, TYPE, {}, frozenset({UNIT}), LATER, R.NOT_OWN_CASEWORKER),
    ("later, nobody assigned yet: the unit's pool", CLIENT, TYPE, {}, frozenset({UNIT}), LATER_UNASSIGNED, None),
    ("not self-bookable", CLIENT, HOME_VISIT, {}, frozenset({UNIT}), FIRST, R.NOT_SELF_BOOKABLE),
    ("retired type", CLIENT, RETIRED, {}, frozenset({UNIT}), FIRST, R.MEETING_TYPE_INACTIVE),
    ("caseworker of another unit", CLIENT, TYPE, {}, frozenset({OTHER_UNIT}), FIRST, R.CASEWORKER_NOT_IN_UNIT),
    ("caseworker in two units", CLIENT, TYPE, {}, frozenset({OTHER_UNIT, UNIT}), FIRST, None),
    ("channel the type allows", CLIENT, TYPE, {"channel": Channel.VIDEO}, frozenset({UNIT}), FIRST, None),
    ("channel the type lacks", CLIENT, PHONE_ONLY, {"channel": Channel.VIDEO}, frozenset({UNIT}), FIRST,
     R.CHANNEL_NOT_ALLOWED),
    # staff
    ("caseworker books a phone meeting for a client", ANNA, TYPE, {"client_id": "client-1"}, frozenset({UNIT}),
     LATER, None),
    ("staff may book types clients may not", ANNA, HOME_VISIT, {"client_id": "client-1"}, frozenset({UNIT}), FIRST,
     None),
    ("staff book with any caseworker of the unit", BO, TYPE, {"client_id": "c", "caseworker_id": "cw-x"},
     frozenset({UNIT}), LATER, None),
    ("team lead", LEAD, TYPE, {"client_id": "client-1"}, frozenset({UNIT}), FIRST, None),
    ("staff booking names the client", ANNA, TYPE, {}, frozenset({UNIT}), FIRST, R.CLIENT_REQUIRED),
    ("type of another unit", OLLE, TYPE, {"client_id": "client-1"}, frozenset({UNIT}), FIRST,
     R.MEETING_TYPE_OTHER_UNIT),
    # protection is not can_book's question (check_cleared, asked last): no refusal here depends on it
    ("protected client, no permission", ANNA, TYPE, {"client_id": "client-1"}, frozenset({UNIT}), PROTECTED, None),
    ("protected client, permission", PIA, TYPE, {"client_id": "client-1"}, frozenset({UNIT}), PROTECTED, None),
    ("staff, channel the type lacks", ANNA, PHONE_ONLY, {"client_id": "c", "channel": Channel.IN_PERSON},
     frozenset({UNIT}), FIRST, R.CHANNEL_NOT_ALLOWED),
    ("staff, retired type", ANNA, RETIRED, {"client_id": "c"}, frozenset({UNIT}), FIRST, R.MEETING_TYPE_INACTIVE),
    # others
    ("admin", ADMIN, TYPE, {"client_id": "client-1"}, frozenset({UNIT}), FIRST, R.ROLE_NOT_ALLOWED),
]


@pytest.mark.parametrize(("case", "actor", "type_", "req", "units", "relation", "expected"), BOOK_MATRIX,
                         ids=[row[0] for row in BOOK_MATRIX])
def test_book_matrix(
    case: str, actor: Actor, type_: Any, req: dict[str, Any], units: frozenset[str], relation: ClientRelation,
    expected: Reason | None,
) -> None:
    decision = can_book(actor, type_, request(type_, **req), caseworker_units=units, relation=relation)
    assert decision.reason is expected, case


def test_book_checks_the_type_matches() -> None:
    with pytest.raises(ValueError, match="another meeting type"):
        can_book(CLIENT, TYPE, request(PHONE_ONLY), caseworker_units={UNIT}, relation=FIRST)


def test_protection_needs_a_cleared_caller_and_lead() -> None:
    assert check_cleared(False, caller_cleared=False, lead_cleared=False)
    assert check_cleared(True, caller_cleared=True, lead_cleared=True)
    # one answer whoever lacks the clearance
    assert check_cleared(True, caller_cleared=False, lead_cleared=True).reason is R.CASEWORKER_NOT_CLEARED
    assert check_cleared(True, caller_cleared=True, lead_cleared=False).reason is R.CASEWORKER_NOT_CLEARED


def test_resolve_channel_defaults_to_the_type() -> None:
    assert resolve_channel(request(), TYPE) is Channel.IN_PERSON
    assert resolve_channel(request(channel=Channel.PHONE), TYPE) is Channel.PHONE


def test_whom_a_client_may_book_with() -> None:
    unit = ["cw-anna", "cw-bo", "cw-cia"]
    assert caseworkers_client_may_book(unit, FIRST) == frozenset(unit)
    assert caseworkers_client_may_book(unit, LATER) == {"cw-anna"}
    assert caseworkers_client_may_book(unit, LATER_UNASSIGNED) == frozenset(unit)
    # Own caseworker in another unit only (e.g. the arbetsmarknadssekreterare): this unit's pool.
    elsewhere = ClientRelation(own_caseworker_ids=frozenset({"cw-olle"}), has_met_unit=True)
    assert caseworkers_client_may_book(unit, elsewhere) == frozenset(unit)


def test_slot_must_be_offered() -> None:
    offered = [Slot(START.astimezone(dt.UTC), START.astimezone(dt.UTC) + H, "cw-bo")]
    assert check_slot_offered("cw-bo", START, offered)
    assert check_slot_offered("cw-anna", START, offered).reason is R.SLOT_UNAVAILABLE
    assert check_slot_offered("cw-bo", START + H, offered).reason is R.SLOT_UNAVAILABLE


# --- cancel and reschedule ---------------------------------------------------------------------------------

OPEN = booking(start=START)
MINE_OTHER_UNIT = booking(start=START, unit_id=OTHER_UNIT)  # Anna's own booking in a unit not in her token
PROTECTED_BOOKING = booking(start=START, protected_identity=True)
CANCELLED = booking(start=START, status=BookingStatus.CANCELLED)
MARKED = booking(start=START, outcome=Outcome.CANCELLED_LATE)

CHANGE_MATRIX: list[tuple[str, Actor, Any, dt.timedelta, str | None, Reason | None]] = [
    ("client two days ahead", CLIENT, OPEN, -48 * H, None, None),
    ("client at the cut-off", CLIENT, OPEN, -24 * H, None, None),
    ("client a minute after the cut-off", CLIENT, OPEN, -24 * H + dt.timedelta(minutes=1), None, R.CUTOFF_PASSED),
    ("client an hour before", CLIENT, OPEN, -H, None, R.CUTOFF_PASSED),
    ("client after the start", CLIENT, OPEN, H, None, R.ALREADY_STARTED),
    ("another client", OTHER_CLIENT, OPEN, -48 * H, None, R.BOOKING_NOT_FOUND),
    ("caseworker inside the cut-off with a reason", ANNA, OPEN, -H, "Sjuk", None),
    ("caseworker without a reason", ANNA, OPEN, -48 * H, None, R.REASON_REQUIRED),
    ("caseworker with a blank reason", ANNA, OPEN, -48 * H, "  ", R.REASON_REQUIRED),
    ("caseworker a minute before the start", BO, OPEN, -dt.timedelta(minutes=1), "Akut ärende", None),
    ("caseworker at the start", ANNA, OPEN, dt.timedelta(0), "x", R.ALREADY_STARTED),
    ("team lead", LEAD, OPEN, -H, "Omfördelning", None),
    ("caseworker of another unit", OLLE, OPEN, -48 * H, "x", R.BOOKING_NOT_FOUND),
    ("own booking, unit not in the token", ANNA, MINE_OTHER_UNIT, -48 * H, "x", None),
    ("admin", ADMIN, OPEN, -48 * H, "x", R.ROLE_NOT_ALLOWED),
    ("protected, no permission", ANNA, PROTECTED_BOOKING, -48 * H, "x", R.BOOKING_NOT_FOUND),
    ("protected, permission", PIA, PROTECTED_BOOKING, -48 * H, "x", None),
    ("protected, the client", CLIENT, PROTECTED_BOOKING, -48 * H, None, None),
    ("already cancelled", CLIENT, CANCELLED, -48 * H, None, R.BOOKING_CLOSED),
    ("outcome marked", ANNA, MARKED, -H, "x", R.BOOKING_CLOSED),
]


@pytest.mark.parametrize("rule", [can_cancel, can_reschedule], ids=["cancel", "reschedule"])
@pytest.mark.parametrize(("case", "actor", "bk", "when", "reason", "expected"), CHANGE_MATRIX,
                         ids=[row[0] for row in CHANGE_MATRIX])
def test_change_matrix(
    rule: Any, case: str, actor: Actor, bk: Any, when: dt.timedelta, reason: str | None, expected: Reason | None
) -> None:
    decision = rule(actor, bk, START + when, cutoff=CUTOFF, reason=reason)
    assert decision.reason is expected, case


def test_client_deadline_and_zero_cutoff() -> None:
    assert client_change_deadline(OPEN, CUTOFF) == sthlm(2026, 3, 9, 10)
    assert can_cancel(CLIENT, OPEN, START - dt.timedelta(seconds=1), cutoff=dt.timedelta(0))


def test_cut_off_across_the_spring_change_is_elapsed_time() -> None:
    # Sunday 29 March 10:00 CEST; 24 hours earlier it is Saturday 09:00 CET (the night between was short).
    sunday = booking(start=sthlm(2026, 3, 29, 10))
    assert can_cancel(CLIENT, sunday, sthlm(2026, 3, 28, 9), cutoff=CUTOFF)
    assert not can_cancel(CLIENT, sunday, sthlm(2026, 3, 28, 9, 1), cutoff=CUTOFF)


# --- channel ----------------------------------------------------------------------------------------------

def test_channel_change() -> None:
    bk = booking(start=START, meeting_type_id=TYPE.id)
    # Up to the start, also inside the cut-off: "I'd rather call in."
    assert can_change_channel(CLIENT, bk, TYPE, Channel.PHONE, START - dt.timedelta(minutes=1))
    assert can_change_channel(ANNA, bk, TYPE, Channel.VIDEO, START - H)
    assert can_change_channel(CLIENT, bk, TYPE, Channel.IN_PERSON, START - H)  # the same channel is fine
    assert can_change_channel(CLIENT, bk, TYPE, Channel.PHONE, START).reason is R.ALREADY_STARTED
    assert can_change_channel(OTHER_CLIENT, bk, TYPE, Channel.PHONE, START - H).reason is R.BOOKING_NOT_FOUND
    assert can_change_channel(ADMIN, bk, TYPE, Channel.PHONE, START - H).reason is R.ROLE_NOT_ALLOWED
    phone = booking(start=START, meeting_type_id=PHONE_ONLY.id, kind=MeetingKind.PHONE, channel=Channel.PHONE,
                    location=None)
    assert can_change_channel(CLIENT, phone, PHONE_ONLY, Channel.VIDEO, START - H).reason is R.CHANNEL_NOT_ALLOWED
    closed = booking(start=START, meeting_type_id=TYPE.id, status=BookingStatus.CANCELLED)
    assert can_change_channel(CLIENT, closed, TYPE, Channel.PHONE, START - H).reason is R.BOOKING_CLOSED
    with pytest.raises(ValueError, match="another meeting type"):
        can_change_channel(CLIENT, bk, PHONE_ONLY, Channel.PHONE, START - H)


# --- outcome ----------------------------------------------------------------------------------------------

OUTCOME_MATRIX: list[tuple[str, Actor, Any, Outcome, dt.timedelta, Reason | None]] = [
    ("held before the start", ANNA, OPEN, Outcome.HELD, -dt.timedelta(minutes=1), R.NOT_STARTED),
    ("held at the start", ANNA, OPEN, Outcome.HELD, dt.timedelta(0), None),
    ("held afterwards", ANNA, OPEN, Outcome.HELD, 3 * H, None),
    ("no-show before the start", ANNA, OPEN, Outcome.NO_SHOW, -H, R.NOT_STARTED),
    ("no-show after the start", BO, OPEN, Outcome.NO_SHOW, dt.timedelta(minutes=15), None),
    ("late cancellation before the cut-off", ANNA, OPEN, Outcome.CANCELLED_LATE, -25 * H, R.NOT_LATE),
    ("late cancellation at the cut-off", ANNA, OPEN, Outcome.CANCELLED_LATE, -24 * H, None),
    ("late cancellation in the morning", ANNA, OPEN, Outcome.CANCELLED_LATE, -2 * H, None),
    ("late cancellation afterwards", LEAD, OPEN, Outcome.CANCELLED_LATE, H, None),
    ("correction of a marked outcome", ANNA, MARKED, Outcome.HELD, H, None),
    ("client", CLIENT, OPEN, Outcome.HELD, H, R.ROLE_NOT_ALLOWED),
    ("admin", ADMIN, OPEN, Outcome.HELD, H, R.ROLE_NOT_ALLOWED),
    ("another unit", OLLE, OPEN, Outcome.HELD, H, R.BOOKING_NOT_FOUND),
    ("cancelled in time", ANNA, CANCELLED, Outcome.NO_SHOW, H, R.BOOKING_CANCELLED),
    ("protected without permission", ANNA, PROTECTED_BOOKING, Outcome.HELD, H, R.BOOKING_NOT_FOUND),
]


@pytest.mark.parametrize(("case", "actor", "bk", "outcome", "when", "expected"), OUTCOME_MATRIX,
                         ids=[row[0] for row in OUTCOME_MATRIX])
def test_outcome_matrix(
    case: str, actor: Actor, bk: Any, outcome: Outcome, when: dt.timedelta, expected: Reason | None
) -> None:
    assert can_mark_outcome(actor, bk, outcome, START + when, cutoff=CUTOFF).reason is expected, case


def test_record_contact() -> None:
    drop_in = meeting_type(kind=MeetingKind.DROP_IN, channels=frozenset({Channel.IN_PERSON}), office_address=OFFICE,
                           client_self_bookable=False)
    now = sthlm(2026, 3, 10, 14)
    assert can_record_contact(ANNA, drop_in, Channel.IN_PERSON, now - H, now)
    assert can_record_contact(ANNA, drop_in, Channel.IN_PERSON, now + H, now).reason is R.CONTACT_IN_FUTURE
    assert can_record_contact(ANNA, drop_in, Channel.PHONE, now - H, now).reason is R.CHANNEL_NOT_ALLOWED
    assert can_record_contact(OLLE, drop_in, Channel.IN_PERSON, now - H, now).reason is R.MEETING_TYPE_OTHER_UNIT
    assert can_record_contact(CLIENT, drop_in, Channel.IN_PERSON, now - H, now).reason is R.ROLE_NOT_ALLOWED


# --- decisions and actors ---------------------------------------------------------------------------------

def test_decision_carries_a_problem_type() -> None:
    assert ALLOW and ALLOW.allowed and ALLOW.problem_type is None and ALLOW.status == 200
    ALLOW.raise_if_denied()
    denied = RuleDecision(R.CUTOFF_PASSED)
    assert not denied
    assert denied.problem_type == "urn:bistand:problem:client-change-cutoff-passed"
    assert denied.status == 409 and denied.title
    with pytest.raises(MeetingRuleError) as caught:
        denied.raise_if_denied("Avbokning online är stängd.")
    assert (caught.value.slug, caught.value.status, caught.value.detail) == (
        "client-change-cutoff-passed", 409, "Avbokning online är stängd.")


@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_has_a_status_and_a_stable_slug(reason: Reason) -> None:
    decision = RuleDecision(reason)
    assert 400 <= decision.status < 500 and decision.title
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", reason.value)


def test_reason_slugs_are_unique() -> None:
    assert len({r.value for r in Reason}) == len(Reason)


def test_actor_from_principal() -> None:
    principal = Principal(sub="cw-pia", roles=frozenset({"caseworker"}), unit=UNIT, units=frozenset({OTHER_UNIT}),
                          permissions=frozenset({"protected_identity"}))
    actor = Actor.from_principal(principal)
    assert actor == Actor("cw-pia", frozenset({"caseworker"}), frozenset({UNIT, OTHER_UNIT}), protected_access=True)
    assert actor.is_staff and not actor.is_client
    client = Actor.from_principal(Principal(sub="client-1", roles=frozenset({"client"})))
    assert client.is_client and not client.is_staff and not client.protected_access


def test_unknown_booking_ids_are_not_distinguished() -> None:
    # "Not yours" and "protected" answer the same as a missing booking would: 404, one problem type.
    assert can_cancel(OTHER_CLIENT, OPEN, START - 48 * H, cutoff=CUTOFF).status == 404
    assert can_cancel(ANNA, PROTECTED_BOOKING, START - 48 * H, cutoff=CUTOFF, reason="x").status == 404
    assert uuid.UUID(str(OPEN.id))
