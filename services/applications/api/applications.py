"""Drafts, the monthly re-application, signing, submit, withdraw, history; staff registering paper applications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.responses import Response
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.auth import Principal
from kit.db import session as db_session
from kit.idempotency import Idempotency, StoredAnswer
from kit.representation import Scope, acts_for
from kit.responses import JSONResponse
from services.applications.api import deps, schemas
from services.applications.api.answers import case_response, created_case, replay
from services.applications.domain.access import Section
from services.applications.domain.content import DraftContent
from services.applications.domain.lifecycle import ActorRole
from services.applications.service import cases, profiles, signatures
from services.applications.service.context import CaseContext
from services.applications.service.runtime import Runtime

router = APIRouter(tags=["applications"])

IfMatch = Annotated[str | None, Header(alias="If-Match", description="The ETag of the version you edited.")]


@router.post("/applications", status_code=201, response_model=schemas.CaseOut,
             summary="Client: start an application (a draft; save it as you go)")
@acts_for(Scope.APPLY)
async def create_application(body: DraftContent, session: AsyncSession = Depends(db_session),
                             principal: Principal = Depends(deps.client_principal),
                             idem: Idempotency = Depends(deps.idempotency),
                             rt: Runtime = Depends(deps.runtime)) -> JSONResponse:
    return created_case(await cases.start_application(session, rt, principal, body, idem))


@router.post("/applications/monthly", status_code=201, response_model=schemas.CaseOut,
             summary="Client: this month's re-application, prefilled from the household's last application")
@acts_for(Scope.APPLY)
async def create_monthly(body: schemas.MonthlyIn, session: AsyncSession = Depends(db_session),
                         principal: Principal = Depends(deps.client_principal),
                         idem: Idempotency = Depends(deps.idempotency),
                         rt: Runtime = Depends(deps.runtime)) -> JSONResponse:
    return created_case(await cases.start_monthly(session, rt, principal, body.month, idem))


@router.post("/staff/applications", status_code=201, response_model=schemas.CaseOut,
             summary="Caseworker: register a paper, phone or visit application for a client without e-ID")
async def create_for_client(body: schemas.StaffApplicationIn, session: AsyncSession = Depends(db_session),
                            principal: Principal = Depends(deps.caseworker_principal),
                            idem: Idempotency = Depends(deps.idempotency),
                            rt: Runtime = Depends(deps.runtime)) -> JSONResponse:
    out = await cases.register_for_client(
        session, rt, principal, idem, body.model_dump(mode="json"), personal_number=body.personal_number.value,
        source=body.source, content=body.content, protected_identity=body.protected_identity,
        profile=body.profile.model_dump(exclude_unset=True) if body.profile is not None else None)
    return created_case(out)


@router.get("/applications/{case_id}", response_model=schemas.CaseOut,
            summary="The application as you may see it (staff reads are audited)")
@acts_for(Scope.READ)
async def get_application(ctx: CaseContext = Depends(deps.readable_case),
                          session: AsyncSession = Depends(db_session)) -> JSONResponse:
    return case_response(await cases.read_case(session, ctx))


@router.put("/applications/{case_id}", response_model=schemas.CaseOut,
            summary="Save the draft (If-Match: the ETag you edited)")
@acts_for(Scope.APPLY)
async def save_draft(body: DraftContent, if_match: IfMatch = None, ctx: CaseContext = Depends(deps.locked_case),
                     session: AsyncSession = Depends(db_session)) -> JSONResponse:
    return case_response(await cases.save_draft(session, ctx, body, if_match))


@router.put("/applications/{case_id}/client-profile", response_model=schemas.CaseOut,
            summary="Caseworker: record the applicant's language and interpreter need (e.g. for a paper client)")
async def set_client_profile(body: schemas.ProfileIn,
                             ctx: CaseContext = Depends(deps.case_part(Section.HOUSEHOLD, ActorRole.CASEWORKER,
                                                                       lock=True)),
                             session: AsyncSession = Depends(db_session)) -> JSONResponse:
    return case_response(await profiles.set_client_profile(session, ctx, body.model_dump(exclude_unset=True)))


@router.post("/applications/{case_id}/signatures", status_code=201, response_model=schemas.SignedOut,
             summary="Sign the application as it is now (each adult applicant with their own e-ID)")
@acts_for(Scope.APPLY)
async def sign(body: schemas.SignIn | None = None, ctx: CaseContext = Depends(deps.locked_case),
               session: AsyncSession = Depends(db_session)) -> JSONResponse:
    body = body or schemas.SignIn()
    signer = body.personal_number.value if body.personal_number is not None else None
    return JSONResponse(await signatures.sign(session, ctx, body.content_hash, signer), status_code=201)


@router.post("/applications/{case_id}/accept", response_model=schemas.CaseOut,
             summary="Invited co-applicant: join the application and the applicant's household (own login only)")
async def accept(ctx: CaseContext = Depends(deps.locked_case),
                 session: AsyncSession = Depends(db_session)) -> JSONResponse:
    return case_response(await signatures.accept_invitation(session, ctx))


@router.post("/applications/{case_id}/decline", status_code=204, response_class=Response,
             summary="Invited co-applicant: say no; the application is no longer shown to you")
async def decline(ctx: CaseContext = Depends(deps.locked_case),
                  session: AsyncSession = Depends(db_session)) -> Response:
    await signatures.decline_invitation(session, ctx)
    return Response(status_code=204)


@router.post("/applications/{case_id}/submit", response_model=schemas.CaseOut,
             summary="Submit (Idempotency-Key): 422 lists what is missing, every adult applicant's signature included")
@acts_for(Scope.APPLY)
async def submit(ctx: CaseContext = Depends(deps.locked_signed_case), session: AsyncSession = Depends(db_session),
                 idem: Idempotency = Depends(deps.idempotency)) -> JSONResponse:
    out = await cases.submit(session, ctx, idem)
    return replay(out) if isinstance(out, StoredAnswer) else case_response(out)


@router.post("/applications/{case_id}/withdraw", response_model=schemas.CaseOut,
             summary="Client: withdraw the application before the decision")
@acts_for(Scope.APPLY)
async def withdraw(body: schemas.WithdrawIn | None = None, ctx: CaseContext = Depends(deps.locked_case),
                   session: AsyncSession = Depends(db_session)) -> JSONResponse:
    return case_response(await cases.withdraw(session, ctx, body.reason if body else None))


@router.get("/applications/{case_id}/history", response_model=schemas.HistoryOut,
            summary="Every step of the case: who, when, from, to, why")
@acts_for(Scope.READ)
async def case_history(ctx: CaseContext = Depends(deps.case_part(Section.STATUS)),
                       session: AsyncSession = Depends(db_session)) -> JSONResponse:
    return JSONResponse({"items": await cases.case_history(session, ctx)})
