"""Mina sidor: the client's own cases in plain words in their language (Swedish, English, Arabic), and their own
profile. The answer names its language and text direction (``language``, ``direction``, Content-Language)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.auth import Principal
from kit.db import session as db_session
from kit.representation import Scope, acts_for
from kit.responses import JSONResponse
from services.applications.api import deps, schemas
from services.applications.service import client_pages, profiles
from services.applications.service.context import CaseContext
from services.applications.service.runtime import Runtime

router = APIRouter(tags=["mina sidor"])

Language = deps.ClientLanguage


@router.get("/me/cases", response_model=schemas.MyCases,
            summary="Client: my household's applications, newest month first")
@acts_for(Scope.READ)
async def my_cases(session: AsyncSession = Depends(db_session), principal: Principal = Depends(deps.client_principal),
                   lang: Language = Depends(deps.client_language)) -> JSONResponse:
    items = await client_pages.my_cases(session, principal, lang.lang)
    return JSONResponse({"items": items, **lang.fields()}, headers=lang.headers())


@router.get("/me/cases/{case_id}", response_model=schemas.MyCase,
            summary="Client: status in plain words, what is missing, requested documents, calculation, decision")
@acts_for(Scope.READ)
async def my_case(ctx: CaseContext = Depends(deps.own_case), session: AsyncSession = Depends(db_session),
                  lang: Language = Depends(deps.client_language)) -> JSONResponse:
    return JSONResponse({**await client_pages.my_case(session, ctx, lang.lang), **lang.fields()},
                        headers=lang.headers())


@router.get("/me/invitations", response_model=schemas.Invitations,
            summary="Client: applications that name me as co-applicant and wait for my answer")
async def my_invitations(session: AsyncSession = Depends(db_session),
                         principal: Principal = Depends(deps.client_principal),
                         lang: Language = Depends(deps.client_language)) -> JSONResponse:
    items = await client_pages.my_invitations(session, principal, lang.lang)
    return JSONResponse({"items": items, **lang.fields()}, headers=lang.headers())


@router.get("/me/profile", response_model=schemas.ProfileOut,
            summary="Client: my language, interpreter need and contact details (kept only here)")
async def my_profile(session: AsyncSession = Depends(db_session),
                     principal: Principal = Depends(deps.client_principal)) -> JSONResponse:
    return JSONResponse(await profiles.my_profile(session, principal))


@router.put("/me/profile", response_model=schemas.ProfileOut,
            summary="Client: set my language, interpreter need and contact details")
async def set_profile(body: schemas.ProfileIn, session: AsyncSession = Depends(db_session),
                      principal: Principal = Depends(deps.client_principal),
                      rt: Runtime = Depends(deps.runtime)) -> JSONResponse:
    return JSONResponse(await profiles.set_my_profile(session, rt, principal, body.model_dump(exclude_unset=True)))
