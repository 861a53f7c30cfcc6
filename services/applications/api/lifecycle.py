"""The case after submit: assign, request and answer information, calculate, decide, pay."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from kit.db import session as db_session
from kit.problems import Problem, not_found, validation_errors
from services.applications import events, store
from services.applications.api import common, deps, schemas
from services.applications.api.deps import CaseContext
from services.applications.domain.access import Section
from services.applications.domain.assignment import may_be_assigned
from services.applications.domain.attachments import DocumentRequest
from services.applications.domain.completeness import content_gaps
from services.applications.domain.decision import Decision, DecisionComponent, DecisionInput, make_decision
from services.applications.domain.lifecycle import ActorRole, CaseStatus, Event, Outcome, check_due_date, is_overdue
from services.applications.domain.pdf import DecisionView, render_decision_pdf
from services.applications.integration import calculation

router = APIRouter(tags=["case handling"])

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")
STAFF = (ActorRole.CASEWORKER, ActorRole.TEAM_LEAD)
_OUTCOME_EVENT = {Outcome.APPROVED: Event.APPROVE, Outcome.PARTLY_APPROVED: Event.PARTLY_APPROVE,
                  Outcome.REFUSED: Event.REFUSE}


async def _answer(session: AsyncSession, ctx: CaseContext) -> JSONResponse:
    out = await common.view(session, ctx)
    await session.commit()
    return common.case_response(out)


async def _check_assignee(session: AsyncSession, ctx: CaseContext, target: str, role: str, now: dt.datetime) -> None:
    """Someone else: a real staff member of the case's unit in that role (cleared for a protected case). Taking a
    case oneself was already decided by the access rules that let the caller act on it."""
    if target == ctx.principal.sub or may_be_assigned(await store.get_staff(session, target), role,
                                                      ctx.case.access(), now):
        return
    raise Problem(422, "assignee-not-eligible", "That person cannot be given this case",
                  "Give it to a staff member of the case's unit in that role (an employment officer for the plan), "
                  "cleared for protected identity when the case is protected, who has signed in lately.",
                  errors=[{"field": "body.sub", "message": "not a staff member who may be given this case",
                           "code": "assignee_not_eligible"}])


@router.post("/applications/{case_id}/assign", response_model=schemas.CaseOut,
             summary="Take the case (no body) or, as team lead, give it to someone; or add an employment officer")
async def assign(request: Request, body: schemas.AssignIn | None = None, ctx: CaseContext = Depends(deps.locked_case),
                 session: AsyncSession = Depends(db_session)) -> JSONResponse:
    body = body or schemas.AssignIn()
    role = ctx.require_role(*STAFF)
    now = deps.clock(request)
    target = body.sub or ctx.principal.sub
    if body.role == "employment_officer":
        # The second responsible person (Mölndal's model): no step in the case, just who works on the plan.
        if body.sub is None:
            raise Problem(422, "assignee-required", "Say who", "Give the employment officer's sub.")
        await _check_assignee(session, ctx, target, body.role, now)
        await store.assign(session, ctx.case.id, "employment_officer", target, by=ctx.principal.sub, now=now)
        await store.add_history(session, ctx.case.id, actor=ctx.principal.sub, actor_role=role.value,
                                event="assign_employment_officer", from_status=ctx.case.status.value,
                                to_status=ctx.case.status.value, now=now, details={"sub": target})
        ctx.case.assigned["employment_officer"] = target
    else:
        if target != ctx.principal.sub and role is not ActorRole.TEAM_LEAD:
            raise Problem(403, "case-role-not-allowed", "Only a team lead distributes cases",
                          "Take the case yourself (no body) instead.")
        await _check_assignee(session, ctx, target, body.role, now)
        event = Event.ASSIGN if ctx.case.status is CaseStatus.SUBMITTED else Event.REASSIGN
        await common.step(session, ctx, event, now, details={"sub": target})
        await store.assign(session, ctx.case.id, "caseworker", target, by=ctx.principal.sub, now=now)
        ctx.case.assigned["caseworker"] = target
        events.enqueue(session, events.ASSIGNED, ctx.case, caseworker_sub=target)
    ctx.audit_change(session, "assign", role=body.role, sub=target)
    response = await _answer(session, ctx)
    common.wake_relay(request)
    return response


@router.post("/applications/{case_id}/request-info", response_model=schemas.CaseOut,
             summary="Caseworker: ask the client for more (with a due date and the documents needed)")
async def request_info(body: schemas.RequestInfoIn, request: Request, ctx: CaseContext = Depends(deps.locked_case),
                       session: AsyncSession = Depends(db_session)) -> JSONResponse:
    now = deps.clock(request)
    due = check_due_date(body.due_date, now.astimezone(STOCKHOLM).date())
    try:
        asks = [DocumentRequest(type=d.type, text=d.text) for d in body.documents]
    except ValidationError as exc:
        raise Problem(422, "validation-error", "Invalid request", "A requested document is invalid.",
                      errors=validation_errors(exc.errors())) from None
    await common.step(session, ctx, Event.REQUEST_INFO, now, reason=body.message, info_due=due)
    for ask in asks:
        await store.add_document_request(session, ctx.case.id, ask, requested_by=ctx.principal.sub, due_date=due,
                                         now=now)
    events.enqueue(session, events.INFO_REQUESTED, ctx.case)
    ctx.audit_change(session, "request-info")
    response = await _answer(session, ctx)
    common.wake_relay(request)
    return response


@router.post("/applications/{case_id}/answer-info", response_model=schemas.CaseOut,
             summary="Client (or the caseworker for answers by post): the information is sent, handling goes on")
async def answer_info(request: Request, body: schemas.AnswerInfoIn | None = None,
                      ctx: CaseContext = Depends(deps.locked_case),
                      session: AsyncSession = Depends(db_session)) -> JSONResponse:
    await common.step(session, ctx, Event.ANSWER_INFO, deps.clock(request), reason=body.message if body else None)
    ctx.audit_change(session, "answer-info")
    return await _answer(session, ctx)


@router.post("/applications/{case_id}/info-deadline-passed", response_model=schemas.CaseOut,
             summary="Caseworker: the due date has passed without an answer; handling goes on with what there is")
async def info_deadline_passed(request: Request, ctx: CaseContext = Depends(deps.locked_case),
                               session: AsyncSession = Depends(db_session)) -> JSONResponse:
    today = deps.clock(request).astimezone(STOCKHOLM).date()
    if ctx.case.status is CaseStatus.INFO_REQUESTED and ctx.case.info_due and not is_overdue(ctx.case.info_due, today):
        raise Problem(409, "info-not-overdue", "The due date has not passed",
                      f"The client has until {ctx.case.info_due.isoformat()}.")
    await common.step(session, ctx, Event.INFO_DEADLINE_PASSED, deps.clock(request))
    ctx.audit_change(session, "info-deadline-passed")
    return await _answer(session, ctx)


@router.post("/applications/{case_id}/calculation", response_model=schemas.CalculationOut,
             summary="Caseworker: calculate with the calculation service (kept with the case for the decision)")
async def calculate(request: Request, ctx: CaseContext = Depends(deps.locked_case),
                    session: AsyncSession = Depends(db_session)) -> JSONResponse:
    ctx.require_role(*STAFF)
    if ctx.case.status is not CaseStatus.IN_REVIEW:
        raise Problem(409, "case-transition-not-allowed", "Calculate a case in review",
                      "Take the case first; a decided case keeps its calculation.", state=ctx.case.status.value)
    client = deps.extra(request, "calculation")  # noqa: S610 - not Django; the service context
    if client is None:
        raise Problem(503, "calculation-unavailable", "No calculation service is configured",
                      "Set APPLICATIONS_CALCULATION_URL (or BISTAND_CALCULATION_URL).")
    draft = ctx.case.draft()
    if content_gaps(draft):
        raise Problem(409, "application-incomplete", "The application is not complete", "Nothing to calculate yet.")
    history = await store.support_months(session, ctx.case.household_id, ctx.case.period)
    body = calculation.calculation_request(draft, support_history=history,
                                           municipality=deps.settings_of(request).municipality)
    result = await calculation.calculate(client, body)
    components = calculation.components_from_result(result)  # checks it adds up before keeping it
    now = deps.clock(request)
    await store.set_calculation(session, ctx.case.id, result, now)
    ctx.audit_change(session, "calculate", input_hash=str(result.get("input_hash")))
    await session.commit()
    return JSONResponse({"calculation": result, "components": [c.model_dump(mode="json") for c in components],
                         "calculated_at": schemas.local(now)})


def _apply(components: list[DecisionComponent], adjustments: list[schemas.AdjustmentIn]) -> list[DecisionComponent]:
    out = list(components)
    for adj in adjustments:
        index = next((i for i, c in enumerate(out) if c.code == adj.code and c.member == adj.member), None)
        if index is None:
            raise Problem(422, "adjustment-unknown-component", "No such line in the calculation",
                          f"There is no line '{adj.code}' for member '{adj.member}'.")
        out[index] = out[index].model_copy(update={"decided": adj.decided, "reason": adj.reason})
    return out


@router.post("/applications/{case_id}/decision", status_code=201, response_model=Decision,
             summary="Caseworker: decide on the latest calculation (changes per line with reasons)")
async def decide(body: schemas.DecisionIn, request: Request, ctx: CaseContext = Depends(deps.locked_case),
                 session: AsyncSession = Depends(db_session)) -> JSONResponse:
    ctx.require_role(*STAFF)
    if ctx.case.status is not CaseStatus.IN_REVIEW:
        raise Problem(409, "case-transition-not-allowed", "Only a case in review can be decided",
                      state=ctx.case.status.value)
    result = ctx.case.calculation
    if result is None:
        raise Problem(409, "calculation-required", "Calculate first",
                      "POST /applications/{id}/calculation before deciding.")
    components = _apply(calculation.components_from_result(result), body.adjustments)
    now = deps.clock(request)
    try:
        decision = make_decision(
            DecisionInput(components=components, reasons_sv=body.reasons_sv, reasons_en=body.reasons_en),
            case_id=ctx.case.id, period=ctx.case.period, decided_at=now.astimezone(STOCKHOLM),
            decided_by=ctx.principal.sub, decided_by_name=ctx.principal.name,
            calculation=calculation.snapshot(result))
    except ValidationError as exc:
        raise Problem(422, "decision-invalid", "The decision is not complete",
                      "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None
    await common.step(session, ctx, _OUTCOME_EVENT[decision.outcome], now, reason=body.reasons_sv, decided_at=now)
    await store.add_decision(session, ctx.case.id, decision.model_dump(mode="json"), decided_at=now,
                             decided_by=ctx.principal.sub, outcome=decision.outcome.value, granted=decision.granted,
                             input_hash=decision.calculation.input_hash, calculation_result=result)
    events.enqueue(session, events.DECIDED, ctx.case, caseworker_sub=ctx.principal.sub)
    ctx.audit_change(session, "decide", outcome=decision.outcome.value)
    await session.commit()
    common.wake_relay(request)
    return JSONResponse(decision.model_dump(mode="json"), status_code=201)


async def _decision(session: AsyncSession, ctx: CaseContext) -> Decision:
    ctx.require(Section.DECISION)
    raw = await store.get_decision(session, ctx.case.id)
    if raw is None:
        raise not_found("decision")
    return Decision.model_validate(raw)


@router.get("/applications/{case_id}/decision", response_model=Decision,
            summary="The decision as JSON (amounts, reasons, legal basis, appeal)")
async def get_decision(ctx: CaseContext = Depends(deps.readable_case),
                       session: AsyncSession = Depends(db_session)) -> JSONResponse:
    decision = await _decision(session, ctx)
    ctx.audit_read(session, "decision", "case handling")
    await session.commit()
    return JSONResponse(decision.model_dump(mode="json"))


@router.get("/applications/{case_id}/decision.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}}, summary="The decision letter as a PDF")
async def decision_pdf(request: Request, lang: Annotated[Literal["sv", "en"], Query()] = "sv",
                       ctx: CaseContext = Depends(deps.readable_case),
                       session: AsyncSession = Depends(db_session)) -> Response:
    decision = await _decision(session, ctx)
    household = ctx.case.content.get("household") or {}
    names = [p.get("name") for p in (household.get("applicant"), household.get("partner")) if p and p.get("name")]
    pdf = render_decision_pdf(DecisionView(
        decision=decision, lang=lang, municipality=deps.settings_of(request).municipality, unit_name=ctx.case.unit,
        case_reference=str(ctx.case.id), recipients=names,
        caseworker_name=None if ctx.case.protected_identity else decision.decided_by_name))
    ctx.audit_read(session, "decision", "case handling", format="pdf")
    await session.commit()
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="beslut-{ctx.case.period}.pdf"',
        "Cache-Control": "private, no-store"})


@router.post("/applications/{case_id}/pay", response_model=schemas.CaseOut,
             summary="Caseworker (or the payment system): mark the decision paid")
async def pay(request: Request, body: schemas.PayIn | None = None,
              ctx: CaseContext = Depends(deps.locked_case_for_system),
              session: AsyncSession = Depends(db_session)) -> JSONResponse:
    await common.step(session, ctx, Event.PAY, deps.clock(request),
                      details={"reference": body.reference} if body and body.reference else None)
    ctx.audit_change(session, "pay")
    return await _answer(session, ctx)


__all__ = ["router", "dt"]
