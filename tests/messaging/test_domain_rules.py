"""Message rules, the retract window, the rate limit, the inbox rules and who sees which thread."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kit.auth import Principal
from services.messaging.domain import access, inbox, rules
from services.messaging.domain.access import Party, Side, ThreadFacts
from tests.messaging.conftest import ANNA, BERTIL, CECILIA

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
WINDOW = dt.timedelta(minutes=5)


# --- message text ---------------------------------------------------------------------------------------------

def test_body_is_cleaned_not_sanitised():
    assert rules.check_body("  <b>Hej</b>\r\n&amp;\x00\x1b ", 100) == "<b>Hej</b>\n&amp;"


@pytest.mark.parametrize(("raw", "code"), [("", "message-empty"), (" \n\t ", "message-empty"),
                                           ("\x00\x07", "message-empty"), ("x" * 11, "message-too-long")])
def test_body_rejections(raw, code):
    with pytest.raises(rules.MessagingError) as rejected:
        rules.check_body(raw, 10)
    assert rejected.value.code == code and rejected.value.status == 422


def test_length_counts_characters_after_normalisation():
    decomposed = "a\u030a" * 10  # å as a + combining ring: NFC makes it one character
    assert rules.check_body(decomposed, 10) == "å" * 10


@given(st.text(max_size=300))
def test_cleaned_text_has_no_control_characters(raw):
    try:
        body = rules.check_body(raw, 1000)
    except rules.MessagingError:
        return
    assert body == body.strip() and all(c in "\n\t" or ord(c) >= 0x20 for c in body)
    assert not any(0x7F <= ord(c) <= 0x9F for c in body)


def test_subject_is_one_line():
    assert rules.check_subject("  Hyra\n  och   el ") == "Hyra och el"
    with pytest.raises(rules.SubjectInvalid):
        rules.check_subject("x" * 201)


def test_attachment_count():
    rules.check_attachment_count(5, 5)
    with pytest.raises(rules.TooManyAttachments):
        rules.check_attachment_count(6, 5)


def test_rate_limit_per_minute_then_per_hour():
    limit = rules.RateLimit(per_minute=3, per_hour=10)
    rules.check_rate(2, 9, limit)
    with pytest.raises(rules.RateLimited) as minute:
        rules.check_rate(3, 3, limit)
    assert minute.value.extra["retry_after"] == 60 and minute.value.status == 429
    with pytest.raises(rules.RateLimited) as hour:
        rules.check_rate(0, 10, limit)
    assert hour.value.extra["retry_after"] == 3600


# --- retract window -------------------------------------------------------------------------------------------

def retract(caller="a", sender="a", at=T0, now=T0 + WINDOW, retracted=False):
    rules.check_retract(sender_sub=sender, caller_sub=caller, sent_at=at, retracted=retracted, now=now, window=WINDOW)


def test_retract_up_to_and_including_the_end_of_the_window():
    retract(now=T0)
    retract(now=T0 + WINDOW)


@pytest.mark.parametrize(("kwargs", "code", "status"), [
    ({"now": T0 + WINDOW + dt.timedelta(seconds=1)}, "retract-window-passed", 409),
    ({"caller": "b"}, "retract-not-sender", 403),
    ({"retracted": True}, "retract-already-done", 409),
])
def test_retract_refusals(kwargs, code, status):
    with pytest.raises(rules.RetractNotAllowed) as refused:
        retract(**kwargs)
    assert (refused.value.code, refused.value.status) == (code, status)


# --- inbox ------------------------------------------------------------------------------------------------------

def test_effective_assignee():
    away = inbox.Absence(T0, T0 + dt.timedelta(days=1), "maja")
    alone = inbox.Absence(T0, T0 + dt.timedelta(days=1), None)
    assert inbox.effective_assignee(None, {"karin": away}, T0) is None
    assert inbox.effective_assignee("karin", {}, T0) == "karin"
    assert inbox.effective_assignee("karin", {"karin": away}, T0) == "maja"
    assert inbox.effective_assignee("karin", {"karin": alone}, T0) is None
    assert inbox.effective_assignee("karin", {"karin": away}, T0 + dt.timedelta(days=1)) == "karin"  # back
    assert inbox.effective_assignee("karin", {"karin": away}, T0 - dt.timedelta(seconds=1)) == "karin"
    # One hop: the substitute being away too does not pass it further.
    assert inbox.effective_assignee("karin", {"karin": away, "maja": alone}, T0) == "maja"


def test_take():
    assert inbox.take(None, "karin") == "karin"
    assert inbox.take("karin", "karin") == "karin"
    with pytest.raises(inbox.AlreadyTaken):
        inbox.take("maja", "karin")


def test_new_thread_assignment():
    assert inbox.assignee_for_new_thread(case_caseworker="maja", created_by_staff="karin") == "maja"
    assert inbox.assignee_for_new_thread(case_caseworker=None, created_by_staff="karin") == "karin"
    assert inbox.assignee_for_new_thread(case_caseworker=None, created_by_staff=None) is None


def test_absence_rules():
    with pytest.raises(inbox.AbsenceInvalid):
        inbox.check_absence(inbox.Absence(T0, T0), "karin")
    with pytest.raises(inbox.AbsenceInvalid):
        inbox.check_absence(inbox.Absence(T0, T0 + WINDOW, "karin"), "karin")


# --- access -----------------------------------------------------------------------------------------------------

def party(roles, *, unit=None, pnr=None, permissions=(), protected=False, sub="x") -> Party:
    claims = {"protected_identity": True} if protected else {}
    return Party.from_principal(Principal(sub=sub, roles=frozenset(roles), unit=unit, personal_number=pnr,
                                          permissions=frozenset(permissions), claims=claims))


HOUSEHOLD = ThreadFacts(unit="nord", members=frozenset({ANNA, BERTIL}))
PROTECTED = ThreadFacts(unit="nord", members=frozenset({ANNA}), protected_identity=True)
ASSIGNED_ACROSS = ThreadFacts(unit="syd", members=frozenset({CECILIA}), assigned_to="karin")


@pytest.mark.parametrize(("who", "thread", "side", "write"), [
    (party({"client"}, pnr=ANNA), HOUSEHOLD, Side.CLIENT, True),
    (party({"client"}, pnr="19890314-9808"), HOUSEHOLD, Side.CLIENT, True),  # any written form
    (party({"client"}, pnr=BERTIL), HOUSEHOLD, Side.CLIENT, True),
    (party({"client"}, pnr=CECILIA), HOUSEHOLD, None, False),
    (party({"client"}), HOUSEHOLD, None, False),  # a client token without a personal number
    (party({"client"}, pnr=ANNA, protected=True), PROTECTED, Side.CLIENT, True),  # their own, always
    (party({"caseworker"}, unit="nord"), HOUSEHOLD, Side.STAFF, True),
    (party({"caseworker"}, unit="nord"), PROTECTED, None, False),
    (party({"caseworker"}, unit="nord", permissions={"protected_identity"}), PROTECTED, Side.STAFF, True),
    (party({"caseworker"}, unit="syd"), HOUSEHOLD, None, False),
    # Assigned to someone outside the thread's unit: the assignment alone shows them nothing.
    (party({"caseworker"}, unit="nord", sub="karin"), ASSIGNED_ACROSS, None, False),
    (party({"team_lead"}, unit="nord"), HOUSEHOLD, Side.STAFF, False),
    # An employment officer: only threads they are a party to (started, or handed to them), not the unit's.
    (party({"employment_officer"}, unit="nord"), HOUSEHOLD, None, False),
    (party({"employment_officer"}, unit="nord", sub="nora"), ThreadFacts(
        unit="nord", members=frozenset({ANNA}), created_by="nora"), Side.STAFF, True),
    (party({"employment_officer"}, unit="nord", sub="nora"), ThreadFacts(
        unit="nord", members=frozenset({ANNA}), assigned_to="nora"), Side.STAFF, True),
    (party({"employment_officer"}, unit="syd", sub="nora"), ThreadFacts(
        unit="nord", members=frozenset({ANNA}), created_by="nora"), None, False),
    (party({"employment_officer", "caseworker"}, unit="nord"), HOUSEHOLD, Side.STAFF, True),
    (party({"admin"}), HOUSEHOLD, None, False),
    (party({"service"}), HOUSEHOLD, None, False),
    # A caseworker who is also a member of the household acts as the client (nobody handles their own case).
    (party({"client", "caseworker"}, unit="nord", pnr=ANNA), HOUSEHOLD, Side.CLIENT, True),
])
def test_access_matrix(who, thread, side, write):
    assert access.side(who, thread) is side
    assert access.can_read(who, thread) is (side is not None)
    assert access.can_write(who, thread) is write


def test_reader_keys_are_per_person_for_clients_and_per_login_for_staff():
    anna = party({"client"}, pnr=ANNA, sub="persona:anna")
    assert access.reader_key(anna, Side.CLIENT) == f"pnr:{ANNA}"
    assert access.reader_key(party({"caseworker"}, unit="nord", sub="k"), Side.STAFF) == "sub:k"
    assert ANNA not in repr(anna)
