from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.applications.domain.lifecycle import (
    INITIAL,
    PENDING,
    RULES,
    TERMINAL,
    ActorRole,
    CaseState,
    CaseStatus,
    DueDateInvalid,
    Event,
    NotPayable,
    Outcome,
    RoleNotAllowed,
    TransitionNotAllowed,
    allowed_events,
    can_be_decided,
    check_due_date,
    is_overdue,
    is_possible,
    roles_for,
    transition,
)
from values.errors import DomainError

S, E, R, OC = CaseStatus, Event, ActorRole, Outcome
CLIENT, CO, CW, LEAD, SYS = R.CLIENT, R.CO_APPLICANT, R.CASEWORKER, R.TEAM_LEAD, R.SYSTEM


def st_(status: CaseStatus, outcome: Outcome | None = None) -> CaseState:
    return CaseState(status, outcome)


# Written out by hand from the design, not derived from lifecycle.RULES: the table is what is tested.
LEGAL: dict[tuple[CaseState, Event, ActorRole], CaseState] = {}


def legal(source: CaseState, event: Event, roles: tuple[ActorRole, ...], target: CaseState) -> None:
    for role in roles:
        LEGAL[(source, event, role)] = target


legal(st_(S.DRAFT), E.SUBMIT, (CLIENT, CO, CW), st_(S.SUBMITTED))
legal(st_(S.SUBMITTED), E.ASSIGN, (CW, LEAD, SYS), st_(S.IN_REVIEW))
legal(st_(S.IN_REVIEW), E.REASSIGN, (CW, LEAD), st_(S.IN_REVIEW))
legal(st_(S.INFO_REQUESTED), E.REASSIGN, (CW, LEAD), st_(S.INFO_REQUESTED))
legal(st_(S.IN_REVIEW), E.REQUEST_INFO, (CW,), st_(S.INFO_REQUESTED))
legal(st_(S.INFO_REQUESTED), E.REQUEST_INFO, (CW,), st_(S.INFO_REQUESTED))
legal(st_(S.INFO_REQUESTED), E.ANSWER_INFO, (CLIENT, CO, CW), st_(S.IN_REVIEW))
legal(st_(S.INFO_REQUESTED), E.INFO_DEADLINE_PASSED, (SYS, CW), st_(S.IN_REVIEW))
legal(st_(S.IN_REVIEW), E.CALCULATE, (CW, LEAD), st_(S.IN_REVIEW))  # a step that does not move the case
legal(st_(S.IN_REVIEW), E.APPROVE, (CW, LEAD, SYS), st_(S.DECIDED, OC.APPROVED))
legal(st_(S.IN_REVIEW), E.PARTLY_APPROVE, (CW, LEAD), st_(S.DECIDED, OC.PARTLY_APPROVED))
legal(st_(S.IN_REVIEW), E.REFUSE, (CW, LEAD), st_(S.DECIDED, OC.REFUSED))
legal(st_(S.DECIDED, OC.APPROVED), E.PAY, (SYS, CW), st_(S.PAID, OC.APPROVED))
legal(st_(S.DECIDED, OC.PARTLY_APPROVED), E.PAY, (SYS, CW), st_(S.PAID, OC.PARTLY_APPROVED))
for outcome in OC:  # the service allows it for an automated approval only (domain/automation.check_undo)
    legal(st_(S.DECIDED, outcome), E.UNDO_AUTOMATED, (CW, LEAD), st_(S.IN_REVIEW))
for pending in (S.DRAFT, S.SUBMITTED, S.IN_REVIEW, S.INFO_REQUESTED):
    legal(st_(pending), E.WITHDRAW, (CLIENT, CO), st_(S.WITHDRAWN))

ALL_STATES = [
    st_(S.DRAFT), st_(S.SUBMITTED), st_(S.IN_REVIEW), st_(S.INFO_REQUESTED),
    *(st_(S.DECIDED, o) for o in OC), st_(S.PAID, OC.APPROVED), st_(S.PAID, OC.PARTLY_APPROVED), st_(S.WITHDRAWN),
]


@pytest.mark.parametrize(("source", "event", "role"), list(LEGAL), ids=lambda v: getattr(v, "value", str(v)))
def test_every_legal_transition(source, event, role):
    assert transition(source, event, role) == LEGAL[(source, event, role)]


def _expected_error(source: CaseState, event: Event, role: ActorRole) -> type[DomainError]:
    step_exists = any((s.status, e) == (source.status, event) for (s, e, _r) in LEGAL)
    if not step_exists:
        return TransitionNotAllowed
    role_may = any((s.status, e, r) == (source.status, event, role) for (s, e, r) in LEGAL)
    if not role_may:
        return RoleNotAllowed
    return NotPayable  # the only remaining refusal: paying out a refused application


ILLEGAL = [
    (source, event, role)
    for source, event, role in itertools.product(ALL_STATES, E, R)
    if (source, event, role) not in LEGAL
]


@pytest.mark.parametrize(("source", "event", "role"), ILLEGAL)
def test_every_other_combination_is_refused_with_a_stable_code(source, event, role):
    expected = _expected_error(source, event, role)
    with pytest.raises(expected) as err:
        transition(source, event, role)
    assert err.value.code in {"case-transition-not-allowed", "case-role-not-allowed", "case-not-payable"}
    assert err.value.status in (403, 409)


@pytest.mark.parametrize(("source", "event", "role", "code"), [
    (st_(S.DECIDED, OC.REFUSED), E.PAY, SYS, "case-not-payable"),
    (st_(S.IN_REVIEW), E.REFUSE, SYS, "case-role-not-allowed"),  # never an automated refusal
    (st_(S.IN_REVIEW), E.PARTLY_APPROVE, SYS, "case-role-not-allowed"),
    (st_(S.IN_REVIEW), E.APPROVE, CLIENT, "case-role-not-allowed"),
    (st_(S.SUBMITTED), E.SUBMIT, CLIENT, "case-transition-not-allowed"),
    (st_(S.DECIDED, OC.APPROVED), E.WITHDRAW, CLIENT, "case-transition-not-allowed"),
    (st_(S.PAID, OC.APPROVED), E.PAY, SYS, "case-transition-not-allowed"),
    (st_(S.WITHDRAWN), E.SUBMIT, CLIENT, "case-transition-not-allowed"),
    (st_(S.SUBMITTED), E.APPROVE, CW, "case-transition-not-allowed"),  # must be assigned first
    (st_(S.INFO_REQUESTED), E.APPROVE, CW, "case-transition-not-allowed"),  # answer or deadline first
    (st_(S.SUBMITTED), E.WITHDRAW, CW, "case-role-not-allowed"),  # the client withdraws
    (st_(S.IN_REVIEW), E.REQUEST_INFO, CLIENT, "case-role-not-allowed"),
])
def test_representative_illegal_steps(source, event, role, code):
    with pytest.raises(DomainError) as err:
        transition(source, event, role)
    assert err.value.code == code


def test_table_and_rules_agree():
    rule_keys = {(r.source, r.event, role) for r in RULES for role in r.roles}
    legal_keys = {(s.status, e, r) for (s, e, r) in LEGAL}
    assert rule_keys == legal_keys


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("role", list(R))
def test_allowed_events_matches_transition(state, role):
    allowed = set(allowed_events(state, role))
    for event in E:
        ok = (state, event, role) in LEGAL
        assert (event in allowed) == ok


def test_roles_for_events():
    assert roles_for(E.WITHDRAW) == {CLIENT, CO}
    assert SYS not in roles_for(E.REFUSE) and SYS in roles_for(E.APPROVE)


@pytest.mark.parametrize(("status", "outcome"), [
    (S.DECIDED, None), (S.PAID, None), (S.PAID, OC.REFUSED), (S.DRAFT, OC.APPROVED), (S.WITHDRAWN, OC.REFUSED),
])
def test_undefined_states_cannot_be_constructed(status, outcome):
    with pytest.raises(ValueError):
        CaseState(status, outcome)


steps = st.lists(st.tuples(st.sampled_from(list(E)), st.sampled_from(list(R))), max_size=40)


@settings(max_examples=400)
@given(steps)
def test_random_event_sequences_never_reach_an_undefined_state(sequence):
    state = INITIAL
    decided_outcome = None
    history = [state]
    for event, role in sequence:
        try:
            new = transition(state, event, role)
        except DomainError as err:
            assert err.code in {"case-transition-not-allowed", "case-role-not-allowed", "case-not-payable"}
            continue
        assert (state, event, role) in LEGAL  # only steps from the written table happen
        assert isinstance(new, CaseState) and new.status in set(S)
        assert (new.outcome is not None) == (new.status in (S.DECIDED, S.PAID))
        assert not (new.status is S.PAID and new.outcome is OC.REFUSED)
        if state.status in TERMINAL:
            pytest.fail("left a terminal state")
        if new.status is S.WITHDRAWN:
            assert state.status in PENDING
        if event is E.UNDO_AUTOMATED:  # the one step back: an undone (automated) decision is decided anew
            assert (state.status, new.status, new.outcome) == (S.DECIDED, S.IN_REVIEW, None)
            decided_outcome = None
            history = [new]
        if decided_outcome is not None:
            assert new.outcome == decided_outcome  # a decision's outcome never changes afterwards
        if new.status is S.DECIDED:
            decided_outcome = new.outcome
        state = new
        history.append(state)
    # status only moves forward through the phases (re-entry to in_review only from info_requested, or by the undo of
    # an automated decision, after which the phases start again from in review)
    order = [S.DRAFT, S.SUBMITTED, S.IN_REVIEW, S.DECIDED, S.PAID]
    rank = {s: i for i, s in enumerate(order)} | {S.INFO_REQUESTED: 2, S.WITHDRAWN: 9}
    assert all(rank[a.status] <= rank[b.status] for a, b in itertools.pairwise(history))


def test_due_date_rules():
    today = dt.date(2026, 3, 2)
    assert check_due_date(dt.date(2026, 3, 16), today) == dt.date(2026, 3, 16)
    for bad in (today, dt.date(2026, 3, 1), today + dt.timedelta(days=91)):
        with pytest.raises(DueDateInvalid) as err:
            check_due_date(bad, today)
        assert err.value.code == "info-due-date-invalid" and err.value.status == 422
    assert not is_overdue(dt.date(2026, 3, 2), today)
    assert is_overdue(dt.date(2026, 3, 1), today)


@pytest.mark.parametrize("state", ALL_STATES)
def test_the_table_says_when_a_case_can_be_calculated_or_decided(state):
    in_review = state.status is S.IN_REVIEW
    assert is_possible(state, E.CALCULATE) is in_review  # the step that leaves the case where it is
    assert can_be_decided(state) is in_review
    if in_review:
        assert transition(state, E.CALCULATE, CW) == state
