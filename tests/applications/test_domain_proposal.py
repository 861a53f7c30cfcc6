"""The decision proposal's checks (domain/proposal.py) and the automation rules (domain/automation.py), as tables:
a clean case passes every check; each finding fails its check; each source that does not answer makes its check
"not available" (never zero)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from contracts.registers import (
    ActivityReport,
    Benefit,
    LookupAnswer,
    Payment,
    Permit,
    PopulationRecord,
    Registration,
    RegistrationStatus,
    Section,
    SectionStatus,
    Source,
    Vehicle,
)
from services.applications.domain.automation import (
    AutomationFacts,
    AutomationPolicy,
    NotAutomated,
    UndoNotAllowed,
    check_undo,
    explanation,
    only_approves,
    payout_date,
    why_not_automated,
)
from services.applications.domain.completeness import MissingItem
from services.applications.domain.content import ApplicationKind, DraftContent
from services.applications.domain.decision import ComponentKind, DecisionComponent
from services.applications.domain.lifecycle import CaseStatus
from services.applications.domain.proposal import (
    CheckCode,
    CheckStatus,
    ProposalInput,
    ProposalOutcome,
    make_proposal,
    with_suggestions,
)
from services.applications.domain.trust_checks import drawn_at_submission
from tests.applications.conftest import ANNA, BERTIL, couple

PERIOD = "2026-04"
CHILD = "202202019806"  # not a party: a registered resident the household declares without personnummer


def content(**changes: Any) -> DraftContent:
    data = couple(PERIOD, kind="monthly")
    data["incomes"]["items"].append({"type": "bostadsbidrag", "member": "applicant", "amount": 1500})
    for key, value in changes.items():
        data[key] = value
    return DraftContent.model_validate(data)


def answer(*, payments: tuple[Payment, ...] = (), registration: Registration | None = None,
           vehicles: tuple[Vehicle, ...] = (), permits: tuple[Permit, ...] = (),
           failing: dict[Source, SectionStatus] | None = None) -> LookupAnswer:
    failing = failing or {}
    registration = registration or Registration(status=RegistrationStatus.REGISTERED, activity_reports=[
        ActivityReport(period="2026-03", submitted=True)])
    sections = []
    for source in Source:
        if source in failing:
            sections.append(Section(source=source, status=failing[source], error="timeout"))
            continue
        sections.append(Section(
            source=source, status=SectionStatus.OK,
            payments=[p for p in payments if _source(p.benefit) is source],
            registration=registration if source is Source.ARBETSFORMEDLINGEN else None,
            vehicles=list(vehicles) if source is Source.TRANSPORTSTYRELSEN else [],
            permits=list(permits) if source is Source.MIGRATIONSVERKET else []))
    return LookupAnswer(lookup_id=uuid.uuid4(), made_at=dt.datetime(2026, 4, 2, tzinfo=dt.UTC), period=PERIOD,
                        sections=sections, complete=not failing)


def _source(benefit: Benefit) -> Source:
    return {Benefit.PENSION: Source.PENSIONSMYNDIGHETEN, Benefit.STUDIEMEDEL: Source.CSN,
            Benefit.ARBETSLOSHETSERSATTNING: Source.AKASSA}.get(benefit, Source.FORSAKRINGSKASSAN)


BOSTADSBIDRAG = Payment(benefit=Benefit.BOSTADSBIDRAG, period=PERIOD, amount=1500)


def clean(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = dict(
        content=content(), previous=content(period="2026-03"), applicant=answer(payments=(BOSTADSBIDRAG,)),
        partner=answer(), partner_asked=True,
        population=PopulationRecord(personal_number=ANNA, found=True, residents=[BERTIL, CHILD]),
        tolerance=100)
    base.update(changes)
    return base


def proposal(**changes: Any):
    return make_proposal(ProposalInput(**clean(**changes)))


def test_a_clean_case_passes_every_check_and_goes_the_fast_lane():
    p = proposal()
    assert {c.code: c.status for c in p.checks} == dict.fromkeys(CheckCode, CheckStatus.PASSED)
    assert p.outcome is ProposalOutcome.ALL_PASSED and p.fast_lane and p.discrepancies == 0
    line = p.income_lines[0]
    assert (line.member, line.type.value, line.stated, line.registered, line.agrees) == (
        "applicant", "bostadsbidrag", 1500, 1500, True)
    for check in p.checks:
        assert check.sv and check.en


def _with_income(amount: int) -> DraftContent:
    data = content().model_dump(mode="json")
    data["incomes"]["items"][-1]["amount"] = amount
    return DraftContent.model_validate(data)


FAILING: list[tuple[str, dict[str, Any], CheckCode]] = [
    ("register pays more than stated", dict(content=_with_income(1000), previous=_with_income(1000)),
     CheckCode.INCOMES),
    ("register pays an income not stated", dict(partner=answer(payments=(
        Payment(benefit=Benefit.SJUKPENNING, period=PERIOD, amount=4000),))), CheckCode.INCOMES),
    ("stated an income the register has not paid", dict(applicant=answer()), CheckCode.INCOMES),
    ("rent changed", dict(previous=content(period="2026-03", housing={"type": "rental", "rent": 7900,
                                                                     "household_size": 3})), CheckCode.CHANGES),
    ("a new cost", dict(previous=content(period="2026-03", costs=[{"type": "household_electricity",
                                                                   "amount": 450}])), CheckCode.CHANGES),
    ("household members changed", dict(previous=content(period="2026-03", household={
        "applicant": {"personal_number": ANNA}, "partner": {"personal_number": BERTIL},
        "children": []})), CheckCode.CHANGES),
    ("a completeness gap", dict(missing=[MissingItem(code="signature.partner", sv="x", en="x")]),
     CheckCode.DOCUMENTS),
    ("a requested document not in", dict(outstanding_documents=["rental contract"]), CheckCode.DOCUMENTS),
    ("not registered at Arbetsförmedlingen", dict(applicant=answer(
        payments=(BOSTADSBIDRAG,), registration=Registration(status=RegistrationStatus.DEREGISTERED))),
     CheckCode.PLAN),
    ("activity report not sent", dict(partner=answer(registration=Registration(
        status=RegistrationStatus.REGISTERED, activity_reports=[ActivityReport(period="2026-03", submitted=False)]))),
     CheckCode.PLAN),
    ("sick-listed without a certificate", dict(content=content(plan={"activities": [
        {"member": "applicant", "status": "sick_listed", "has_medical_certificate": False},
        {"member": "partner", "status": "in_activity"}]})), CheckCode.PLAN),
    ("a vehicle not declared", dict(partner=answer(vehicles=(Vehicle(registration="ABC123", kind="car"),))),
     CheckCode.VEHICLES),
    ("a permit ending within the month", dict(applicant=answer(payments=(BOSTADSBIDRAG,), permits=(
        Permit(kind="uppehållstillstånd", valid_until=dt.date(2026, 4, 20)),))), CheckCode.PERMITS),
    ("someone else registered at the address", dict(population=PopulationRecord(
        personal_number=ANNA, found=True, residents=[BERTIL, CHILD, "197501029800"])), CheckCode.RESIDENTS),
    ("the partner registered elsewhere", dict(population=PopulationRecord(
        personal_number=ANNA, found=True, residents=[CHILD])), CheckCode.RESIDENTS),
    ("the applicant not in the register", dict(population=PopulationRecord(personal_number=ANNA, found=False)),
     CheckCode.RESIDENTS),
    ("drawn for a trust check", dict(trust_check_drawn=True), CheckCode.TRUST_CHECK),
]


@pytest.mark.parametrize(("name", "changes", "code"), FAILING, ids=[f[0] for f in FAILING])
def test_each_finding_fails_its_own_check_only(name, changes, code):
    p = proposal(**changes)
    statuses = {c.code: c.status for c in p.checks}
    assert statuses[code] is CheckStatus.FAILED, p.check(code)
    assert {c for c, s in statuses.items() if s is not CheckStatus.PASSED} == {code}
    assert p.outcome is ProposalOutcome.CHECKS_FAILED and not p.fast_lane


def test_a_register_income_not_stated_is_a_suggestion_kept_apart():
    p = proposal(partner=answer(payments=(Payment(benefit=Benefit.SJUKPENNING, period=PERIOD, amount=4000),)))
    assert [(s.member, s.type.value, s.stated, s.registered, s.suggested) for s in p.suggested_incomes] == [
        ("partner", "sjukpenning", None, 4000, True)]
    assert p.discrepancies == 1
    # The stated content is untouched; the suggestion goes into a second calculation's content only.
    stated = content()
    suggested = with_suggestions(stated, p.suggested_incomes)
    assert len(suggested.incomes.items) == len(stated.incomes.items) + 1  # type: ignore[union-attr]
    assert all(i.type.value != "sjukpenning" for i in stated.incomes.items)  # type: ignore[union-attr]


@pytest.mark.parametrize(("stated", "passes"), [(1500, True), (1600, True), (1400, True), (1601, False),
                                                (1399, False)])
def test_income_tolerance(stated, passes):
    p = proposal(content=_with_income(stated), previous=_with_income(stated))
    assert (p.check(CheckCode.INCOMES).status is CheckStatus.PASSED) is passes
    line = p.check(CheckCode.INCOMES).values["lines"][0]
    assert (line["stated"], line["registered"]) == (stated, 1500)  # both values shown


SOURCE_CHECK = {Source.FORSAKRINGSKASSAN: CheckCode.INCOMES, Source.PENSIONSMYNDIGHETEN: CheckCode.INCOMES,
                Source.CSN: CheckCode.INCOMES, Source.AKASSA: CheckCode.INCOMES,
                Source.ARBETSFORMEDLINGEN: CheckCode.PLAN, Source.TRANSPORTSTYRELSEN: CheckCode.VEHICLES,
                Source.MIGRATIONSVERKET: CheckCode.PERMITS}


@pytest.mark.parametrize("status", [SectionStatus.UNAVAILABLE, SectionStatus.ERROR])
@pytest.mark.parametrize("source", list(SOURCE_CHECK))
@pytest.mark.parametrize("who", ["applicant", "partner"])
def test_a_source_that_does_not_answer_makes_its_check_not_available(source, status, who):
    broken = answer(payments=(BOSTADSBIDRAG,) if who == "applicant" else (), failing={source: status})
    p = proposal(**{who: broken})
    statuses = {c.code: c.status for c in p.checks}
    assert statuses[SOURCE_CHECK[source]] is CheckStatus.NOT_AVAILABLE
    assert {c for c, s in statuses.items() if s is not CheckStatus.PASSED} == {SOURCE_CHECK[source]}
    assert p.outcome is ProposalOutcome.NOT_AVAILABLE and not p.fast_lane
    assert f"{who}:{source.value}" in p.check(SOURCE_CHECK[source]).values["unanswered"]
    if SOURCE_CHECK[source] is CheckCode.INCOMES:  # never read as "nothing paid"
        assert all(line.member != who for line in p.income_lines)


def test_skatteverket_not_answering_changes_no_check():
    assert proposal(applicant=answer(payments=(BOSTADSBIDRAG,), failing={
        Source.SKATTEVERKET: SectionStatus.UNAVAILABLE})).fast_lane


@pytest.mark.parametrize("who", ["applicant", "partner"])
def test_no_answer_at_all_makes_every_register_check_not_available(who):
    p = proposal(**{who: None})
    not_available = {c.code for c in p.checks if c.status is CheckStatus.NOT_AVAILABLE}
    assert not_available == {CheckCode.INCOMES, CheckCode.PLAN, CheckCode.VEHICLES, CheckCode.PERMITS}


@pytest.mark.parametrize(("changes", "reason"), [
    (dict(population=None), "did not answer"),
    (dict(population=PopulationRecord(personal_number=ANNA, found=True, protected=True)), "Protected"),
    (dict(previous=None), "no earlier application"),
])
def test_other_checks_not_available(changes, reason):
    p = proposal(**changes)
    missing = [c for c in p.checks if c.status is CheckStatus.NOT_AVAILABLE]
    assert len(missing) == 1 and reason in missing[0].en and p.outcome is ProposalOutcome.NOT_AVAILABLE


def test_a_failed_check_outweighs_a_missing_one():
    assert proposal(previous=None, trust_check_drawn=True).outcome is ProposalOutcome.CHECKS_FAILED


def test_vehicle_declared_with_its_plate_passes_and_a_permit_ending_later_passes():
    declared = content(assets={"vehicles": [{"member": "partner", "registration": "abc 123", "estimated_value": 5000}]})
    p = proposal(content=declared, previous=declared.model_copy(update={"period": "2026-03"}),
                 partner=answer(vehicles=(Vehicle(registration="ABC123", kind="car"),),
                                permits=(Permit(kind="uppehållstillstånd", valid_until=dt.date(2026, 5, 1)),)))
    assert p.check(CheckCode.VEHICLES).status is CheckStatus.PASSED
    assert p.check(CheckCode.PERMITS).status is CheckStatus.PASSED


def test_the_proposal_draw_is_reproducible_and_follows_the_rate():
    ids = [str(uuid.UUID(int=i)) for i in range(2000)]
    assert not any(drawn_at_submission(i, PERIOD, "seed", 0) for i in ids)
    assert all(drawn_at_submission(i, PERIOD, "seed", 1000) for i in ids)
    some = [i for i in ids if drawn_at_submission(i, PERIOD, "seed", 100)]
    assert 120 < len(some) < 280 and some == [i for i in ids if drawn_at_submission(i, PERIOD, "seed", 100)]


# --- automation -------------------------------------------------------------------------------------------------

ON = AutomationPolicy(enabled=True, delegation="Delegationsordning 2026, punkt 4.2")


def components(entitled: int = 9000) -> list[DecisionComponent]:
    return [DecisionComponent(kind=ComponentKind.NORM, code="riksnorm", computed=entitled, decided=entitled)]


def facts(**changes: Any) -> AutomationFacts:
    base: dict[str, Any] = dict(kind=ApplicationKind.MONTHLY, status=CaseStatus.SUBMITTED, protected_identity=False,
                                previous_approved=True, proposal=proposal(), components=components())
    base.update(changes)
    return AutomationFacts(**base)


def test_a_clean_monthly_reapplication_may_be_approved_when_the_policy_is_on():
    assert why_not_automated(ON, facts()) == []


@pytest.mark.parametrize(("policy", "changes", "reason"), [
    (AutomationPolicy(), {}, NotAutomated.POLICY_OFF),
    (AutomationPolicy(enabled=True), {}, NotAutomated.POLICY_OFF),  # no named delegation, no automation
    (ON, dict(kind=ApplicationKind.FIRST), NotAutomated.FIRST_APPLICATION),
    (ON, dict(previous_approved=False), NotAutomated.NO_EARLIER_APPROVAL),
    (ON, dict(protected_identity=True), NotAutomated.PROTECTED_IDENTITY),
    (ON, dict(status=CaseStatus.IN_REVIEW), NotAutomated.NOT_WAITING),
    (ON, dict(proposal=proposal(trust_check_drawn=True)), NotAutomated.CHECKS_NOT_ALL_PASSED),
    (ON, dict(proposal=proposal(population=None)), NotAutomated.CHECKS_NOT_ALL_PASSED),
    (ON, dict(proposal=proposal(previous=content(period="2026-03", costs=[]))), NotAutomated.CHANGED),
    (ON, dict(components=None), NotAutomated.NO_CALCULATION),
    (ON, dict(components=components(0)), NotAutomated.NOTHING_TO_APPROVE),  # a refusal is never automated
])
def test_automation_refuses_every_case_outside_its_rules(policy, changes, reason):
    assert reason in why_not_automated(policy, facts(**changes))


def test_automation_only_approves_amounts_as_computed():
    assert only_approves(components())
    reduced = [components()[0].model_copy(update={"decided": 8000, "reason": "sänkt"})]
    assert not only_approves(reduced)


def test_the_explanation_names_the_delegation_the_checks_and_the_right_to_a_review():
    sv, en = explanation(ON.delegation or "", proposal(), 9000)
    assert "Delegationsordning 2026, punkt 4.2" in sv and "9 000 kr" in sv and "handläggare prövar" in sv
    assert "review" in en and "SEK 9 000" in en and "Stated incomes agree" in en


@pytest.mark.parametrize(("decided", "payout_day", "expected"), [
    (dt.date(2026, 4, 2), 25, dt.date(2026, 4, 25)),
    (dt.date(2026, 4, 25), 25, dt.date(2026, 4, 25)),
    (dt.date(2026, 4, 26), 25, dt.date(2026, 5, 25)),
    (dt.date(2026, 12, 28), 25, dt.date(2027, 1, 25)),
])
def test_payout_date(decided, payout_day, expected):
    assert payout_date(decided, payout_day) == expected


@pytest.mark.parametrize(("status", "automated", "today", "allowed"), [
    (CaseStatus.DECIDED, True, dt.date(2026, 4, 24), True),
    (CaseStatus.DECIDED, True, dt.date(2026, 4, 25), False),  # the payment run has begun
    (CaseStatus.PAID, True, dt.date(2026, 4, 3), False),  # marked paid
    (CaseStatus.DECIDED, False, dt.date(2026, 4, 3), False),  # a person's decision
])
def test_undo_only_an_automated_approval_before_payment(status, automated, today, allowed):
    def undo() -> None:
        check_undo(status=status, automated=automated, decided_on=dt.date(2026, 4, 2), today=today, payout_day=25)

    if allowed:
        undo()
    else:
        with pytest.raises(UndoNotAllowed):
            undo()
