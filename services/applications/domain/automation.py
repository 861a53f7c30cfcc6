"""Automated approval: when the municipality has switched it on, an unchanged monthly re-application whose every
check passed is approved by the proposal job, under the named delegation, with the explanation a person's decision
carries. Pure rules: which cases may be approved so, what the decision says, until when a person may undo it.

Never an automated refusal or reduction (only full approval of a calculated entitlement above zero), never a first
application, never a protected-identity case, never when a check failed or could not be made. The client may ask a
person to review an automated decision; a caseworker may undo one until it is paid.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from kit.i18n import N_
from services.applications.domain.content import ApplicationKind
from services.applications.domain.decision import ComponentKind, DecisionComponent, entitlement
from services.applications.domain.labels import kronor
from services.applications.domain.lifecycle import CaseStatus
from services.applications.domain.proposal import CheckCode, CheckStatus, Proposal
from values.errors import DomainError

DELEGATION_MAX = 500


class AutomationPolicy(BaseModel):
    """The municipality's policy (OFF unless an admin switches it on, naming the delegation it acts under)."""

    model_config = ConfigDict(frozen=True)

    enabled: bool = False
    delegation: str | None = Field(default=None, max_length=DELEGATION_MAX)


class NotAutomated(StrEnum):
    """Why the job left the case to a person (each is recorded in the case's history)."""

    POLICY_OFF = "policy_off"
    FIRST_APPLICATION = "first_application"
    NO_EARLIER_APPROVAL = "no_earlier_approval"  # a re-application without an approved month before it
    PROTECTED_IDENTITY = "protected_identity"
    NOT_WAITING = "not_waiting"  # a person has taken the case already (or it is no longer submitted)
    CHECKS_NOT_ALL_PASSED = "checks_not_all_passed"
    CHANGED = "changed_since_last_month"
    NO_CALCULATION = "no_calculation"
    NOTHING_TO_APPROVE = "nothing_to_approve"  # an entitlement of 0 would be a refusal: never automated


class AutomationFacts(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    kind: ApplicationKind
    status: CaseStatus
    protected_identity: bool
    previous_approved: bool  # the household's previous application was approved (fully or partly)
    proposal: Proposal
    components: list[DecisionComponent] | None  # the calculation on what the client stated, None: none made


def why_not_automated(policy: AutomationPolicy, facts: AutomationFacts) -> list[NotAutomated]:
    """Every reason the case may not be approved automatically; empty: it may."""
    reasons: list[NotAutomated] = []
    if not policy.enabled or not policy.delegation:
        reasons.append(NotAutomated.POLICY_OFF)
    if facts.kind is not ApplicationKind.MONTHLY:
        reasons.append(NotAutomated.FIRST_APPLICATION)
    elif not facts.previous_approved:
        reasons.append(NotAutomated.NO_EARLIER_APPROVAL)
    if facts.protected_identity:
        reasons.append(NotAutomated.PROTECTED_IDENTITY)
    if facts.status is not CaseStatus.SUBMITTED:
        reasons.append(NotAutomated.NOT_WAITING)
    if not facts.proposal.fast_lane:
        reasons.append(NotAutomated.CHECKS_NOT_ALL_PASSED)
    if facts.proposal.check(CheckCode.CHANGES).status is not CheckStatus.PASSED:
        reasons.append(NotAutomated.CHANGED)
    if facts.components is None:
        reasons.append(NotAutomated.NO_CALCULATION)
    elif entitlement(facts.components, "computed") <= 0:
        reasons.append(NotAutomated.NOTHING_TO_APPROVE)
    return reasons


def explanation(delegation: str, proposal: Proposal, granted: int) -> tuple[str, str]:
    """The decision's written reasons (sv, en): under which delegation, on which checks, the client's rights."""
    checks_sv = "; ".join(c.sv for c in proposal.checks)
    checks_en = "; ".join(c.en for c in proposal.checks)
    sv = (f"Beslutet är fattat automatiskt med stöd av delegationen: {delegation}. Ansökan är en oförändrad "
          f"fortsatt ansökan och alla kontroller godkändes: {checks_sv} Du beviljas hela det belopp som beräkningen "
          f"visar, {kronor(granted, 'sv')}. Beräkningens rader och lagrum står i beslutet. Du har rätt att begära att "
          "en handläggare prövar beslutet; det gör du i appen. Du kan också överklaga beslutet.")
    en = (f"This decision was made automatically under the delegation: {delegation}. The application is an "
          f"unchanged monthly re-application and every check passed: {checks_en} You are granted the full amount "
          f"the calculation gives, {kronor(granted, 'en')}. The calculation's lines and legal references are in the "
          "decision. You have the right to ask a caseworker to review this decision; you do that in the app. You "
          "can also appeal it.")
    return sv, en


def only_approves(components: Iterable[DecisionComponent]) -> bool:
    """The decided amounts are the computed ones, line by line (no reduction hidden in a line)."""
    return all(c.decided == c.computed for c in components) and any(
        c.kind is not ComponentKind.INCOME for c in components)


# --- undoing an automated approval before payment ----------------------------------------------------------------

class UndoNotAllowed(DomainError):
    code = "automated-decision-not-undoable"
    status = 409
    title = N_("This decision cannot be undone here")


def payout_date(decided_on: dt.date, payout_day: int) -> dt.date:
    """The first payment run on or after the decision: day ``payout_day`` of its month or of the next."""
    if decided_on.day <= payout_day:
        return decided_on.replace(day=payout_day)
    year, month = (decided_on.year + 1, 1) if decided_on.month == 12 else (decided_on.year, decided_on.month + 1)
    return dt.date(year, month, payout_day)


def check_undo(*, status: CaseStatus, automated: bool, decided_on: dt.date, today: dt.date, payout_day: int) -> None:
    """An automated approval may be undone until it is paid: before the case is marked paid and before the payment
    run that pays it (the first payout day on or after the decision) has begun."""
    if not automated:
        raise UndoNotAllowed("Only an automated decision is undone; a person's decision is appealed or reconsidered.")
    if status is not CaseStatus.DECIDED:
        raise UndoNotAllowed("The decision is already paid (or the case is not decided).", state=status.value)
    paid_on = payout_date(decided_on, payout_day)
    if today >= paid_on:
        raise UndoNotAllowed(f"The payment run of {paid_on.isoformat()} has paid it.", payout_date=paid_on.isoformat())
