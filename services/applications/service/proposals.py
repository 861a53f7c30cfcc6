"""The decision proposal made on every submission, by the service's own job (workers.py runs it from the outbox row
the submit wrote): ask the registers, calculate, list every check (domain/proposal.py), store the proposal as the
case's current one, and, when the municipality has switched automation on and the case qualifies
(domain/automation.py), approve it under the named delegation.

The job reads what it needs, asks the other services outside any transaction, then stores everything in one
transaction under the case row lock. It is keyed by the outbox message: a second delivery of the same message finds
the proposal and does nothing.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import APPLICATION_DECIDED
from contracts.registers import LookupAnswer, Purpose, SectionStatus
from kit import audit
from kit.auth import Principal
from kit.i18n import N_
from kit.problems import Problem, not_found
from services.applications.domain import access
from services.applications.domain.access import AccessPrincipal
from services.applications.domain.attachments import OUTSTANDING
from services.applications.domain.automation import (
    AutomationFacts,
    AutomationPolicy,
    explanation,
    only_approves,
    why_not_automated,
)
from services.applications.domain.completeness import content_gaps, missing_items
from services.applications.domain.content import ApplicationKind
from services.applications.domain.decision import (
    SYSTEM_DECIDER,
    DecisionComponent,
    DecisionInput,
    make_decision,
)
from services.applications.domain.lifecycle import ActorRole, CaseStatus, Event, Outcome
from services.applications.domain.need_reasons import NeedReason, reason_for_decision
from services.applications.domain.proposal import Proposal, ProposalInput, make_proposal, with_suggestions
from services.applications.domain.texts import tr
from services.applications.domain.trust_checks import drawn_at_submission
from services.applications.integration import calculation
from services.applications.service import events
from services.applications.service.cases import take_step
from services.applications.service.context import CaseContext
from services.applications.service.runtime import STOCKHOLM, Runtime
from services.applications.service.views import local
from services.applications.store import automation as automation_store
from services.applications.store import cases, decisions, documents, proposals, signatures
from services.applications.store.cases import CaseRecord

log = logging.getLogger("applications.proposals")

# Who the job is in the audit log and the case history.
SYSTEM = Principal(sub=SYSTEM_DECIDER, roles=frozenset({"system"}), name="Automatiserad handläggning")
POPULATION_REGISTER = "folkbokforing"
INCOME_REGISTER = "ssbtek"


async def policy(session: AsyncSession) -> AutomationPolicy:
    row = await automation_store.get_policy(session)
    return AutomationPolicy(enabled=row["enabled"], delegation=row["delegation"]) if row else AutomationPolicy()


async def _calculate(rt: Runtime, case: CaseRecord, support_history: list[str], *, suggested: Proposal | None
                     ) -> tuple[dict[str, Any] | None, list[DecisionComponent] | None, str | None]:
    """(result, its components, why there is none). ``suggested``: calculate with its suggested incomes added."""
    if rt.calculation is None:
        return None, None, "calculation-unavailable"
    draft = case.draft()
    if suggested is not None:
        draft = with_suggestions(draft, suggested.suggested_incomes)
    if content_gaps(draft):
        return None, None, "application-incomplete"
    try:
        body = calculation.calculation_request(draft, support_history=support_history,
                                               municipality=rt.settings.municipality)
        result = await calculation.calculate(rt.calculation_poster or rt.calculation, body)
        return result, calculation.components_from_result(result), None
    except Problem as problem:  # the proposal says the calculation is missing; a person calculates
        return None, None, problem.slug


def _answered(answer: LookupAnswer | None) -> list[str]:
    return sorted(s.source.value for s in answer.sections if s.status is SectionStatus.OK) if answer else []


async def run_proposal_job(rt: Runtime, job_id: uuid.UUID, payload: dict[str, Any]) -> None:
    """The proposal for the case named in ``payload`` (an outbox message of topic PROPOSAL_JOB)."""
    case_id = uuid.UUID(str(payload["case_id"]))
    async with rt.sessions() as session:
        if await proposals.job_done(session, job_id):
            return
        case = await cases.get_case(session, case_id)
        if case is None or case.status in (CaseStatus.DRAFT, CaseStatus.WITHDRAWN):
            return  # nothing to propose on any more
        previous = await cases.latest_case_of_household(session, case.household_id, case.period)
        sigs = await signatures.signatures(session, case.id)
        docs = await documents.document_requests(session, case.id)
        support_history = await cases.support_months(session, case.household_id, case.period)
    settings = rt.settings
    partner = case.co_applicant_pnr if case.co_applicant_joined else None

    # The three look-ups are independent: one request carries them, and the registers ask at once (the answer time
    # is paid once, not thrice); each is audited there as on its own.
    applicant_answer, partner_answer, record = await rt.registers.for_proposal(
        case.applicant_pnr, partner, case_id=case.id, period=case.period, unit=case.unit,
        legal_basis=settings.register_legal_basis)
    drawn = case.trust_check or drawn_at_submission(str(case.id), case.period, settings.trust_check_seed,
                                                    settings.proposal_trust_check_per_mille)
    proposal = make_proposal(ProposalInput(
        content=case.draft(), previous=previous.draft() if previous else None, applicant=applicant_answer,
        partner=partner_answer, partner_asked=partner is not None, population=record,
        missing=missing_items(case.draft(), sigs),
        outstanding_documents=[d.request.label("en") for d in docs if d.request.status in OUTSTANDING],
        trust_check_drawn=drawn, tolerance=settings.proposal_income_tolerance))
    result, components, calc_error = await _calculate(rt, case, support_history, suggested=None)
    suggested_result = None
    if proposal.suggested_incomes:
        suggested_result, _, _ = await _calculate(rt, case, support_history, suggested=proposal)
    async with rt.sessions() as session:
        locked = await cases.get_case(session, case_id, lock=True)
        if locked is None or await proposals.job_done(session, job_id):
            return
        await _store(session, rt, locked, job_id, proposal, previous=previous, result=result, components=components,
                     calc_error=calc_error, suggested_result=suggested_result,
                     lookups=[(INCOME_REGISTER, _answered(applicant_answer)),
                              *([(INCOME_REGISTER, _answered(partner_answer))] if partner else []),
                              *([(POPULATION_REGISTER, ["navet"])] if record is not None else [])])
        await session.commit()
    rt.wake()


def _calculation_out(result: dict[str, Any] | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {"entitlement": result.get("entitlement"), "input_hash": result.get("input_hash"),
            "totals": result.get("totals"), "lines": result.get("lines")}


async def _store(session: AsyncSession, rt: Runtime, case: CaseRecord, job_id: uuid.UUID, proposal: Proposal, *,
                 previous: CaseRecord | None, result: dict[str, Any] | None,
                 components: list[DecisionComponent] | None, calc_error: str | None,
                 suggested_result: dict[str, Any] | None, lookups: list[tuple[str, list[str]]]) -> None:
    now = rt.now()
    current_policy = await policy(session)
    facts = AutomationFacts(
        kind=ApplicationKind(case.kind), status=case.status, protected_identity=case.protected_identity,
        previous_approved=previous is not None and previous.outcome in (Outcome.APPROVED, Outcome.PARTLY_APPROVED),
        proposal=proposal, components=components)
    not_automated = why_not_automated(current_policy, facts)
    body = {
        "checks": [c.model_dump(mode="json") for c in proposal.checks],
        "income_lines": [line.model_dump(mode="json") for line in proposal.income_lines],
        "suggested_incomes": [line.model_dump(mode="json") for line in proposal.suggested_incomes],
        "calculation": {"stated": _calculation_out(result), "with_suggestions": _calculation_out(suggested_result),
                        "error": calc_error},
        "automation": {"policy_enabled": current_policy.enabled, "automated": not not_automated,
                       "not_automated": [r.value for r in not_automated]},
    }
    await proposals.add_proposal(session, case_id=case.id, job_id=job_id, made_at=now, outcome=proposal.outcome.value,
                                 fast_lane=proposal.fast_lane, discrepancies=proposal.discrepancies, proposal=body)
    await proposals.add_lookups(session, case.id, made_at=now, purpose=Purpose.DECISION_PROPOSAL.value,
                                lookups=lookups)
    summary = {"outcome": proposal.outcome.value, "fast_lane": proposal.fast_lane,
               "failed": [c.code.value for c in proposal.checks if c.status.value == "failed"],
               "not_available": [c.code.value for c in proposal.checks if c.status.value == "not_available"],
               "not_automated": body["automation"]["not_automated"]}
    await cases.add_history(session, case.id, actor=SYSTEM.sub, actor_role=ActorRole.SYSTEM.value,
                            event="decision_proposal", from_status=case.status.value, to_status=case.status.value,
                            now=now, details=summary)
    audit.record(session, SYSTEM, "propose", "case", str(case.id), subject=",".join(case.recipients),
                 purpose=Purpose.DECISION_PROPOSAL.value, details={"case_id": str(case.id), **summary})
    if not not_automated and result is not None and components is not None:
        await _approve(session, rt, case, proposal, current_policy, result, components)


async def _approve(session: AsyncSession, rt: Runtime, case: CaseRecord, proposal: Proposal,
                   current_policy: AutomationPolicy, result: dict[str, Any],
                   components: list[DecisionComponent]) -> None:
    """Approve the calculated entitlement in full, as the system under the policy's delegation."""
    assert current_policy.delegation is not None
    now = rt.now()
    snapshot = calculation.snapshot(result)
    reasons_sv, reasons_en = explanation(current_policy.delegation, proposal, snapshot.entitlement)
    # The reason for need (försörjningshinder) an automated approval records: the household's previous decision's.
    inherited = await decisions.previous_need_reason(session, case.household_id, case.period)
    need = reason_for_decision(automated=True, given=None, inherited=NeedReason(inherited) if inherited else None)
    decision = make_decision(DecisionInput(components=components, reasons_sv=reasons_sv, reasons_en=reasons_en,
                                           reason_for_need=need),
                             case_id=case.id, period=case.period, decided_at=now.astimezone(STOCKHOLM),
                             decided_by=SYSTEM_DECIDER, decided_by_name=None, calculation=snapshot,
                             delegation=current_policy.delegation)
    if decision.outcome is not Outcome.APPROVED or decision.granted <= 0 or not only_approves(decision.components):
        log.error("automation declined a decision that is not a full approval", extra={"case_id": str(case.id)})
        return  # never an automated refusal or reduction (the domain checks it too)
    who = AccessPrincipal(sub=SYSTEM.sub, roles=SYSTEM.roles)
    ctx = CaseContext(case, SYSTEM, who, access.ALL_SECTIONS, ActorRole.SYSTEM, rt)
    details = {"automated": True, "delegation": current_policy.delegation}
    await take_step(session, ctx, Event.ASSIGN, now, details=details)
    await cases.set_calculation(session, case.id, result, now)
    await take_step(session, ctx, Event.APPROVE, now, reason=reasons_sv, details=details, decided_at=now)
    await decisions.add_decision(session, case.id, decision.model_dump(mode="json"), decided_at=now,
                                 decided_by=SYSTEM_DECIDER, outcome=decision.outcome.value, granted=decision.granted,
                                 input_hash=snapshot.input_hash, calculation_result=result,
                                 reason_for_need=need.value if need else None, automated=True)
    events.enqueue(session, APPLICATION_DECIDED, case)
    audit.record(session, SYSTEM, "decide", "case", str(case.id), subject=",".join(case.recipients),
                 purpose="automated approval", details={"case_id": str(case.id), "outcome": decision.outcome.value,
                                                        "granted": decision.granted, **details,
                                                        "explanation": reasons_en})


# --- reading it -------------------------------------------------------------------------------------------------

async def read_proposal(session: AsyncSession, ctx: CaseContext) -> dict[str, Any]:
    """The case's current proposal (caseworkers and team leads of the case); the read is audited."""
    found = await proposals.current_proposal(session, ctx.case.id)
    if found is None:
        raise not_found("proposal")
    ctx.audit_read(session, "decision_proposal", "case handling", resource_id=str(found["id"]))
    await session.commit()
    return {"id": str(found["id"]), "case_id": str(ctx.case.id), "made_at": local(found["made_at"]),
            "outcome": found["outcome"], "fast_lane": found["fast_lane"], "discrepancies": found["discrepancies"],
            "earlier_proposals": int(found["earlier"]), **found["proposal"]}


PURPOSE_TEXT = {Purpose.DECISION_PROPOSAL.value: N_("to prepare the decision on your application"),
                Purpose.CASE_HANDLING.value: N_("handling your application")}


async def lookups_for_client(session: AsyncSession, case_id: uuid.UUID, lang: str) -> list[dict[str, Any]]:
    """The register look-ups made for the case as the client sees them: when, why, from which sources."""
    out = []
    for row in await proposals.lookups_of(session, case_id):
        purpose = PURPOSE_TEXT.get(row["purpose"])
        out.append({"made_at": local(row["made_at"]), "purpose": tr(lang)(purpose) if purpose else row["purpose"],
                    "registry": row["register"], "sources": list(row["sources"])})
    return out

