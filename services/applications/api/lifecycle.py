"""The case after submit: assign, request and answer information, calculate, decide, pay."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from kit.db import session as db_session
from kit.representation import Scope, acts_for
from kit.responses import JSONResponse
from services.applications.api import deps, schemas
from services.applications.api.answers import case_response
from services.applications.domain.access import Section
from services.applications.service import decisions, handling
from services.applications.service.context import CaseContext
from services.applications.service.views import decision_out

router = APIRouter(tags=["case handling"])


@router.post("/applications/{case_id}/assign", response_model=schemas.CaseOut,
             summary="Take the case (no body) or, as team lead, give it to someone; or add an employment officer")
async def assign(body: schemas.AssignIn | None = None, ctx: CaseContext = Depends(deps.staff_case),
                 session: AsyncSession = Depends(db_session)) -> JSONResponse:
    body = body or schemas.AssignIn()
    return case_response(await handling.assign(session, ctx, body.sub, body.role))


@router.post("/applications/{case_id}/request-info", response_model=schemas.CaseOut,
             summary="Caseworker: ask the client for more (with a due date and the documents needed)")
async def request_info(body: schemas.RequestInfoIn, ctx: CaseContext = Depends(deps.locked_case),
                       session: AsyncSession = Depends(db_session)) -> JSONResponse:
    asked = [(d.type, d.text) for d in body.documents]
    return case_response(await handling.request_info(session, ctx, body.due_date, asked, body.message))


@router.post("/applications/{case_id}/answer-info", response_model=schemas.CaseOut,
             summary="Client (or the caseworker for answers by post): the information is sent, handling goes on")
@acts_for(Scope.APPLY)
async def answer_info(body: schemas.AnswerInfoIn | None = None, ctx: CaseContext = Depends(deps.locked_case),
                      session: AsyncSession = Depends(db_session)) -> JSONResponse:
    return case_response(await handling.answer_info(session, ctx, body.message if body else None))


@router.post("/applications/{case_id}/info-deadline-passed", response_model=schemas.CaseOut,
             summary="Caseworker: the due date has passed without an answer; handling goes on with what there is")
async def info_deadline_passed(ctx: CaseContext = Depends(deps.locked_case),
                               session: AsyncSession = Depends(db_session)) -> JSONResponse:
    return case_response(await handling.info_deadline_passed(session, ctx))


@router.post("/applications/{case_id}/calculation", response_model=schemas.CalculationOut,
             summary="Caseworker: calculate with the calculation service (kept with the case for the decision)")
async def calculate(ctx: CaseContext = Depends(deps.staff_case),
                    session: AsyncSession = Depends(db_session)) -> JSONResponse:
    return JSONResponse(await decisions.calculate(session, ctx))


@router.post("/applications/{case_id}/decision", status_code=201, response_model=schemas.DecisionOut,
             summary="Caseworker: decide on the latest calculation (changes per line with reasons, the reason for "
                     "need)")
async def decide(body: schemas.DecisionIn, ctx: CaseContext = Depends(deps.staff_case),
                 session: AsyncSession = Depends(db_session)) -> JSONResponse:
    decision = await decisions.decide(session, ctx, list(body.adjustments), body.reasons_sv, body.reasons_en,
                                      body.reason_for_need)
    return JSONResponse(decision_out(decision), status_code=201)


@router.get("/applications/{case_id}/decision", response_model=schemas.DecisionOut,
            summary="The decision as JSON (amounts, reasons, reason for need, legal basis, appeal)")
@acts_for(Scope.READ)
async def get_decision(ctx: CaseContext = Depends(deps.case_part(Section.DECISION)),
                       session: AsyncSession = Depends(db_session)) -> JSONResponse:
    decision = await decisions.read_decision(session, ctx)
    return JSONResponse(decision_out(decision))


@router.get("/applications/{case_id}/decision.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}}, summary="The decision letter as a PDF")
@acts_for(Scope.READ)
async def decision_pdf(lang: Annotated[Literal["sv", "en", "ar"], Query()] = "sv",
                       ctx: CaseContext = Depends(deps.case_part(Section.DECISION)),
                       session: AsyncSession = Depends(db_session)) -> Response:
    pdf = await decisions.decision_letter(session, ctx, lang)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="beslut-{ctx.case.period}.pdf"',
        "Cache-Control": "private, no-store", "Content-Language": decisions.pdf_language(lang, ctx.runtime.pdf_font)})


@router.post("/applications/{case_id}/pay", response_model=schemas.CaseOut,
             summary="Caseworker (or the payment system): mark the decision paid")
async def pay(body: schemas.PayIn | None = None, ctx: CaseContext = Depends(deps.locked_case_for_system),
              session: AsyncSession = Depends(db_session)) -> JSONResponse:
    return case_response(await handling.mark_paid(session, ctx, body.reference if body else None))
