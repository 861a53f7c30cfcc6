"""Calculating with the calculation service, deciding on the latest calculation, and reading the decision.

Both steps ask the lifecycle table whether they are possible now: a calculation is a step that does not move the
case; a decision is one of the deciding steps, which one its outcome says."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import APPLICATION_DECIDED
from kit.problems import Problem, not_found
from services.applications.domain import lifecycle
from services.applications.domain.completeness import content_gaps
from services.applications.domain.decision import Decision, DecisionComponent, DecisionInput, make_decision
from services.applications.domain.lifecycle import Event, Outcome
from services.applications.domain.need_reasons import NeedReason, reason_for_decision
from services.applications.domain.pdf import DecisionView, render_decision_pdf
from services.applications.domain.texts import direction
from services.applications.integration import calculation
from services.applications.service import events
from services.applications.service.cases import take_step
from services.applications.service.context import CaseContext
from services.applications.service.runtime import STOCKHOLM
from services.applications.service.views import local
from services.applications.store import cases, decisions

_OUTCOME_EVENT = {Outcome.APPROVED: Event.APPROVE, Outcome.PARTLY_APPROVED: Event.PARTLY_APPROVE,
                  Outcome.REFUSED: Event.REFUSE}


async def calculate(session: AsyncSession, ctx: CaseContext) -> dict[str, Any]:
    """Calculate with the calculation service; the result is kept with the case for the decision."""
    if not lifecycle.is_possible(ctx.case.state, Event.CALCULATE):
        raise Problem(409, "case-transition-not-allowed", "Calculate a case in review",
                      "Take the case first; a decided case keeps its calculation.", state=ctx.case.status.value)
    client = ctx.runtime.calculation
    if client is None:
        raise Problem(503, "calculation-unavailable", "No calculation service is configured",
                      "Set APPLICATIONS_CALCULATION_URL (or BISTAND_CALCULATION_URL).")
    draft = ctx.case.draft()
    if content_gaps(draft):
        raise Problem(409, "application-incomplete", "The application is not complete", "Nothing to calculate yet.")
    history = await cases.support_months(session, ctx.case.household_id, ctx.case.period)
    body = calculation.calculation_request(draft, support_history=history,
                                           municipality=ctx.runtime.settings.municipality)
    result = await calculation.calculate(client, body)
    components = calculation.components_from_result(result)  # checks it adds up before keeping it
    now = ctx.runtime.now()
    await cases.set_calculation(session, ctx.case.id, result, now)
    ctx.audit_change(session, "calculate", input_hash=str(result.get("input_hash")))
    await session.commit()
    return {"calculation": result, "components": [c.model_dump(mode="json") for c in components],
            "calculated_at": local(now)}


class Adjustment(Protocol):
    """The caseworker's change to one line of the calculation (api/schemas.AdjustmentIn)."""

    code: str
    member: str | None
    decided: int
    reason: Any


def _apply(components: list[DecisionComponent], adjustments: list[Adjustment]) -> list[DecisionComponent]:
    out = list(components)
    for adj in adjustments:
        index = next((i for i, c in enumerate(out) if c.code == adj.code and c.member == adj.member), None)
        if index is None:
            raise Problem(422, "adjustment-unknown-component", "No such line in the calculation",
                          f"There is no line '{adj.code}' for member '{adj.member}'.")
        out[index] = out[index].model_copy(update={"decided": adj.decided, "reason": adj.reason})
    return out


async def decide(session: AsyncSession, ctx: CaseContext, adjustments: list[Adjustment], reasons_sv: str | None,
                 reasons_en: str | None, reason_for_need: NeedReason | None) -> Decision:
    """Decide on the latest calculation (changes per line with reasons, the reason for need); the outcome picks
    the deciding step."""
    if not lifecycle.can_be_decided(ctx.case.state):
        raise Problem(409, "case-transition-not-allowed", "Only a case in review can be decided",
                      state=ctx.case.status.value)
    result = ctx.case.calculation
    if result is None:
        raise Problem(409, "calculation-required", "Calculate first",
                      "POST /applications/{id}/calculation before deciding.")
    need = reason_for_decision(automated=False, given=reason_for_need)
    components = _apply(calculation.components_from_result(result), adjustments)
    now = ctx.runtime.now()
    try:
        decision = make_decision(
            DecisionInput(components=components, reasons_sv=reasons_sv, reasons_en=reasons_en,
                          reason_for_need=need),
            case_id=ctx.case.id, period=ctx.case.period, decided_at=now.astimezone(STOCKHOLM),
            decided_by=ctx.principal.sub, decided_by_name=ctx.principal.name,
            calculation=calculation.snapshot(result))
    except ValidationError as exc:
        raise Problem(422, "decision-invalid", "The decision is not complete",
                      "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None
    await take_step(session, ctx, _OUTCOME_EVENT[decision.outcome], now, reason=reasons_sv, decided_at=now)
    await decisions.add_decision(session, ctx.case.id, decision.model_dump(mode="json"), decided_at=now,
                                 decided_by=ctx.principal.sub, outcome=decision.outcome.value,
                                 granted=decision.granted, input_hash=decision.calculation.input_hash,
                                 calculation_result=result, reason_for_need=decision.reason_for_need)
    events.enqueue(session, APPLICATION_DECIDED, ctx.case, caseworker_sub=ctx.principal.sub)
    ctx.audit_change(session, "decide", outcome=decision.outcome.value)
    await session.commit()
    ctx.runtime.relay.wake()
    return decision


async def inherited_need_reason(session: AsyncSession, household_id: uuid.UUID, period: str) -> NeedReason | None:
    """The reason for need an automated approval records: the household's latest decision before ``period``
    (need_reasons.reason_for_decision(automated=True, inherited=...))."""
    found = await decisions.previous_need_reason(session, household_id, period)
    return NeedReason(found) if found else None


async def _decision(session: AsyncSession, ctx: CaseContext) -> Decision:
    raw = await decisions.get_decision(session, ctx.case.id)
    if raw is None:
        raise not_found("decision")
    return Decision.model_validate(raw)


async def read_decision(session: AsyncSession, ctx: CaseContext) -> Decision:
    """The decision (amounts, reasons, legal basis, appeal); a staff read is audited."""
    decision = await _decision(session, ctx)
    ctx.audit_read(session, "decision", "case handling")
    await session.commit()
    return decision


def pdf_language(lang: str, font: str | None) -> str:
    """The language a PDF is written in: a right-to-left one needs the Unicode font, else it is Swedish."""
    return lang if font or direction(lang) == "ltr" else "sv"


async def decision_letter(session: AsyncSession, ctx: CaseContext, lang: str) -> bytes:
    """The decision letter as a PDF in ``lang``; a staff read is audited."""
    decision = await _decision(session, ctx)
    household = ctx.case.content.get("household") or {}
    names = [p.get("name") for p in (household.get("applicant"), household.get("partner")) if p and p.get("name")]
    pdf = render_decision_pdf(DecisionView(
        decision=decision, lang=lang, municipality=ctx.runtime.settings.municipality,  # type: ignore[arg-type]
        unit_name=ctx.case.unit, case_reference=str(ctx.case.id), recipients=names,
        caseworker_name=None if ctx.case.protected_identity else decision.decided_by_name,
        font_path=ctx.runtime.pdf_font))
    ctx.audit_read(session, "decision", "case handling", format="pdf")
    await session.commit()
    return pdf
