from __future__ import annotations

import datetime as dt
import uuid

import pytest
from pydantic import ValidationError

from services.meetings.domain.bookings import (
    REFERENCE_PATTERN,
    AccessibilityNeed,
    BookingRequest,
    BookingStatus,
    ExternalParticipant,
    ExternalRole,
    InterpreterNeed,
    Outcome,
    new_booking_reference,
)
from services.meetings.domain.meeting_types import Channel, MeetingKind
from tests.meetings.test_domain_factories import OFFICE, booking, sthlm, utc

TYPE_ID = uuid.uuid4()


def test_request_with_needs() -> None:
    req = BookingRequest(
        meeting_type_id=TYPE_ID,
        caseworker_id="cw-anna",
        start=sthlm(2026, 3, 10, 10),
        channel=Channel.VIDEO,
        interpreter={"language": "ti"},
        accessibility={"step_free_access", "plain_language"},
        external_participants=[{"role": "agency", "organisation": "Arbetsförmedlingen"}],
    )
    assert req.start == utc(2026, 3, 10, 9) and req.start.tzinfo is dt.UTC
    assert req.interpreter == InterpreterNeed(language="ti")
    assert req.accessibility == {AccessibilityNeed.STEP_FREE_ACCESS, AccessibilityNeed.PLAIN_LANGUAGE}
    assert req.external_participants == (ExternalParticipant(role=ExternalRole.AGENCY,
                                                             organisation="Arbetsförmedlingen"),)


@pytest.mark.parametrize(
    ("given", "normalised"),
    [("ar", "ar"), ("TI", "ti"), (" so ", "so"), ("fa-af", "fa-AF"), ("fa_AF", "fa-AF"), ("prs", "prs"),
     ("ckb", "ckb"), ("swl", "swl"), ("sr-latn", "sr-Latn"), ("sr-Cyrl-RS", "sr-Cyrl-RS"), ("es-419", "es-419")],
)
def test_interpreter_language_codes(given: str, normalised: str) -> None:
    assert InterpreterNeed(language=given).language == normalised


@pytest.mark.parametrize("bad", ["", "a", "arabic", "ar-", "12", "ar-XYZW1", "sv", "SV-se", "swe", "ar;drop"])
def test_interpreter_language_codes_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        InterpreterNeed(language=bad)


def test_other_accessibility_need_is_described() -> None:
    base = {"meeting_type_id": TYPE_ID, "caseworker_id": "cw", "start": sthlm(2026, 3, 10, 10)}
    with pytest.raises(ValidationError, match="accessibility_note"):
        BookingRequest(**base, accessibility={"other"})
    req = BookingRequest(**base, accessibility={"other"}, accessibility_note="  Servicehund följer med.  ")
    assert req.accessibility_note == "Servicehund följer med."
    with pytest.raises(ValidationError):
        BookingRequest(**base, accessibility_note="x" * 301)


def test_request_is_strict() -> None:
    base = {"meeting_type_id": TYPE_ID, "caseworker_id": "cw"}
    with pytest.raises(ValidationError):
        BookingRequest(**base, start=dt.datetime(2026, 3, 10, 10))  # naive: which 10:00?
    with pytest.raises(ValidationError):
        BookingRequest(**base, start=sthlm(2026, 3, 10, 10), personnummer="198903149808")  # unknown field
    with pytest.raises(ValidationError):
        BookingRequest(**base, start=sthlm(2026, 3, 10, 10), channel="carrier_pigeon")
    with pytest.raises(ValidationError):
        BookingRequest(**base, start=sthlm(2026, 3, 10, 10), external_participants=[{"role": "agency"}] * 7)


def test_booking_references() -> None:
    refs = {new_booking_reference() for _ in range(200)}
    assert len(refs) == 200
    assert all(REFERENCE_PATTERN.fullmatch(r) for r in refs)
    assert not any(ch in r for r in refs for ch in "ILOU")
    with pytest.raises(ValidationError):
        booking(reference="198903149808")  # a reference is never something else smuggled in
    with pytest.raises(ValidationError):
        booking(reference="ABCD-EFGI")


def test_booking_invariants() -> None:
    with pytest.raises(ValidationError, match="after start"):
        booking(end=sthlm(2026, 3, 10, 9))
    with pytest.raises(ValidationError, match="no outcome"):
        booking(status=BookingStatus.CANCELLED, outcome=Outcome.HELD)
    with pytest.raises(ValidationError, match="home visit"):
        booking(kind=MeetingKind.HOME_VISIT, location="Hemvägen 3")
    with pytest.raises(ValidationError):
        booking(start=dt.datetime(2026, 3, 10, 10), end=dt.datetime(2026, 3, 10, 11))


def test_booking_state_helpers() -> None:
    open_ = booking()
    assert open_.is_open and not open_.is_cancelled and open_.minutes == 60
    late = booking(outcome=Outcome.CANCELLED_LATE)
    assert not late.is_open and late.is_cancelled
    held = booking(outcome=Outcome.HELD)
    assert not held.is_open and not held.is_cancelled
    assert booking(status=BookingStatus.CANCELLED).is_cancelled


def test_shareable_location() -> None:
    assert booking().shareable_location == OFFICE
    assert booking(protected_identity=True).shareable_location is None
    assert booking(channel=Channel.PHONE).shareable_location is None  # the client chose to call in
    assert booking(kind=MeetingKind.HOME_VISIT, location=None).shareable_location is None
