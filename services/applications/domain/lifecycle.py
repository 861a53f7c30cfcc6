"""The case from draft to payment as one explicit table: (state, event) -> next state, and who may do it.

    draft --submit--> submitted --assign--> in_review --approve|partly_approve|refuse--> decided --pay--> paid
                                             |   ^
                                request_info v   | answer_info / info_deadline_passed
                                        info_requested
    withdraw: draft, submitted, in_review, info_requested --> withdrawn (by the client or co-applicant)
    undo_automated: decided --> in_review (staff take back an automated approval before it is paid)
    calculate: in_review --> in_review (staff; a step that does not move the state)

The decision's outcome is part of the state, so "pay a refusal" is impossible by construction, and the
system (automation) may approve but never refuse or partly approve: no automated negative decision.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from kit.i18n import N_
from values.errors import DomainError


class CaseStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    INFO_REQUESTED = "info_requested"
    DECIDED = "decided"
    PAID = "paid"
    WITHDRAWN = "withdrawn"


class Outcome(StrEnum):
    APPROVED = "approved"
    PARTLY_APPROVED = "partly_approved"
    REFUSED = "refused"


class Event(StrEnum):
    SUBMIT = "submit"
    ASSIGN = "assign"  # a caseworker of the unit takes (or is given) the case
    REASSIGN = "reassign"
    REQUEST_INFO = "request_info"  # komplettering, with a due date
    ANSWER_INFO = "answer_info"
    INFO_DEADLINE_PASSED = "info_deadline_passed"  # the caseworker goes on with what there is
    CALCULATE = "calculate"  # with the calculation service, kept with the case for the decision
    APPROVE = "approve"
    PARTLY_APPROVE = "partly_approve"
    REFUSE = "refuse"
    PAY = "pay"
    WITHDRAW = "withdraw"
    UNDO_AUTOMATED = "undo_automated"  # a person takes back an automated approval before it is paid


class ActorRole(StrEnum):
    CLIENT = "client"  # the applicant
    CO_APPLICANT = "co_applicant"
    CASEWORKER = "caseworker"
    TEAM_LEAD = "team_lead"
    SYSTEM = "system"  # automation and scheduled jobs, acting on rules the municipality switched on


PENDING = frozenset({CaseStatus.DRAFT, CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW, CaseStatus.INFO_REQUESTED})
TERMINAL = frozenset({CaseStatus.PAID, CaseStatus.WITHDRAWN})
_WITH_OUTCOME = frozenset({CaseStatus.DECIDED, CaseStatus.PAID})


@dataclass(frozen=True, slots=True)
class CaseState:
    status: CaseStatus
    outcome: Outcome | None = None

    def __post_init__(self) -> None:
        # The invariant every reachable state keeps (the hypothesis test checks it).
        if (self.outcome is not None) != (self.status in _WITH_OUTCOME):
            raise ValueError(f"status {self.status} with outcome {self.outcome} is not a state of a case")
        if self.status is CaseStatus.PAID and self.outcome is Outcome.REFUSED:
            raise ValueError("a refusal is never paid")


@dataclass(frozen=True, slots=True)
class Rule:
    source: CaseStatus
    event: Event
    target: CaseStatus
    roles: frozenset[ActorRole]
    outcome: Outcome | None = None  # set by the deciding events


DECIDING = frozenset({Event.APPROVE, Event.PARTLY_APPROVE, Event.REFUSE})  # the outcome is the decision's

_CLIENTS = frozenset({ActorRole.CLIENT, ActorRole.CO_APPLICANT})
_STAFF = frozenset({ActorRole.CASEWORKER, ActorRole.TEAM_LEAD})
_DECIDERS = _STAFF

RULES: tuple[Rule, ...] = (
    # The caseworker submits paper applications for clients without e-ID.
    Rule(CaseStatus.DRAFT, Event.SUBMIT, CaseStatus.SUBMITTED, _CLIENTS | {ActorRole.CASEWORKER}),
    # Self-assignment from the queue, distribution by the team lead, or automatic distribution.
    Rule(CaseStatus.SUBMITTED, Event.ASSIGN, CaseStatus.IN_REVIEW, _STAFF | {ActorRole.SYSTEM}),
    Rule(CaseStatus.IN_REVIEW, Event.REASSIGN, CaseStatus.IN_REVIEW, _STAFF),
    Rule(CaseStatus.INFO_REQUESTED, Event.REASSIGN, CaseStatus.INFO_REQUESTED, _STAFF),
    Rule(CaseStatus.IN_REVIEW, Event.REQUEST_INFO, CaseStatus.INFO_REQUESTED, frozenset({ActorRole.CASEWORKER})),
    # A further request (or a new due date) while one is open.
    Rule(CaseStatus.INFO_REQUESTED, Event.REQUEST_INFO, CaseStatus.INFO_REQUESTED, frozenset({ActorRole.CASEWORKER})),
    # The caseworker registers answers that came by post or at a meeting.
    Rule(CaseStatus.INFO_REQUESTED, Event.ANSWER_INFO, CaseStatus.IN_REVIEW, _CLIENTS | {ActorRole.CASEWORKER}),
    Rule(
        CaseStatus.INFO_REQUESTED, Event.INFO_DEADLINE_PASSED, CaseStatus.IN_REVIEW,
        frozenset({ActorRole.SYSTEM, ActorRole.CASEWORKER}),
    ),
    # Calculating does not move the case: it is only possible while the case is in review.
    Rule(CaseStatus.IN_REVIEW, Event.CALCULATE, CaseStatus.IN_REVIEW, _STAFF),
    Rule(CaseStatus.IN_REVIEW, Event.APPROVE, CaseStatus.DECIDED, _DECIDERS | {ActorRole.SYSTEM}, Outcome.APPROVED),
    Rule(CaseStatus.IN_REVIEW, Event.PARTLY_APPROVE, CaseStatus.DECIDED, _DECIDERS, Outcome.PARTLY_APPROVED),
    Rule(CaseStatus.IN_REVIEW, Event.REFUSE, CaseStatus.DECIDED, _DECIDERS, Outcome.REFUSED),
    Rule(CaseStatus.DECIDED, Event.PAY, CaseStatus.PAID, frozenset({ActorRole.SYSTEM, ActorRole.CASEWORKER})),
    # Only an automated approval, and only before payment (domain/automation.check_undo): back to a person.
    Rule(CaseStatus.DECIDED, Event.UNDO_AUTOMATED, CaseStatus.IN_REVIEW, _STAFF),
    *(Rule(source, Event.WITHDRAW, CaseStatus.WITHDRAWN, _CLIENTS) for source in sorted(PENDING)),
)

_TABLE: dict[tuple[CaseStatus, Event], Rule] = {(r.source, r.event): r for r in RULES}
assert len(_TABLE) == len(RULES), "two rules for the same (state, event)"  # guards a typo in the table


class TransitionNotAllowed(DomainError):
    code = "case-transition-not-allowed"
    status = 409
    title = N_("That step is not possible in the case's current state")


class RoleNotAllowed(DomainError):
    code = "case-role-not-allowed"
    status = 403
    title = N_("You may not take that step")


class NotPayable(DomainError):
    code = "case-not-payable"
    status = 409
    title = N_("A refused application is not paid")


INITIAL = CaseState(CaseStatus.DRAFT)


def transition(current: CaseState, event: Event, actor_role: ActorRole) -> CaseState:
    """The next state, or a DomainError with a stable code. Role is checked after the state: a step that
    is impossible anyway answers 409 whoever asks."""
    rule = _TABLE.get((current.status, event))
    if rule is None:
        raise TransitionNotAllowed(f"'{event}' is not possible when the case is '{current.status}'.",
                                   state=current.status.value, event=event.value)
    if actor_role not in rule.roles:
        raise RoleNotAllowed(f"'{event}' may not be done by '{actor_role}'.", event=event.value)
    if event is Event.PAY and current.outcome is Outcome.REFUSED:
        raise NotPayable("The application was refused; there is nothing to pay.")
    outcome = rule.outcome if rule.outcome is not None else current.outcome
    return CaseState(rule.target, outcome if rule.target in _WITH_OUTCOME else None)


def allowed_events(current: CaseState, actor_role: ActorRole) -> list[Event]:
    """What this role may do now (for hypermedia-ish "actions" in responses and the client's buttons)."""
    events = []
    for (source, event), rule in _TABLE.items():
        if source is current.status and actor_role in rule.roles:
            if event is Event.PAY and current.outcome is Outcome.REFUSED:
                continue
            events.append(event)
    return events


def is_possible(current: CaseState, event: Event) -> bool:
    """Whether the table has the step from the case's state at all (whoever asks)."""
    return (current.status, event) in _TABLE


def can_be_decided(current: CaseState) -> bool:
    """Whether some decision is possible now (which one depends on the decision's outcome)."""
    return any(is_possible(current, event) for event in DECIDING)


def roles_for(event: Event) -> frozenset[ActorRole]:
    return frozenset().union(*(r.roles for r in RULES if r.event is event))


# --- the due date of an information request ----------------------------------------------------

MIN_DUE_DAYS = 1
MAX_DUE_DAYS = 90


class DueDateInvalid(DomainError):
    code = "info-due-date-invalid"
    status = 422
    title = N_("The due date must be in the future and within 90 days")


def check_due_date(due: dt.date, today: dt.date) -> dt.date:
    if not MIN_DUE_DAYS <= (due - today).days <= MAX_DUE_DAYS:
        raise DueDateInvalid(f"Choose a due date between {MIN_DUE_DAYS} and {MAX_DUE_DAYS} days from today.")
    return due


def is_overdue(due: dt.date, today: dt.date) -> bool:
    return today > due
