"""Register extracts (registerutdrag, GDPR art. 15): a client asks on Mina sidor and gets everything every service
holds about them, as JSON and as a PDF; a caseworker of their unit asks for a client who asked on paper.

Who: ``/me/…`` the client the extract is about (whoever asked for it); ``/staff/…`` caseworkers of the unit that
asked (cleared for protected identity when the client has it). Anything else is a 404, as if missing. The
personnummer of a paper request is in the body, never the URL. Audited: the request, the gathering, every fetch.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.auth import Principal
from kit.db import session as db_session
from kit.idempotency import Idempotency
from kit.representation import Scope, acts_for
from kit.responses import JSONResponse
from services.applications.api import deps, schemas
from services.applications.service import decisions, registerutdrag
from services.applications.service.registerutdrag import ExtractAccess
from services.applications.service.runtime import Runtime

router = APIRouter(tags=["registerutdrag"])

Lang = Annotated[Literal["sv", "en", "ar"], Query(description="the PDF's language: sv (default), en or ar")]
Accept = Annotated[str | None, Header(description="application/pdf for the PDF, else JSON")]
PDF_ANSWER = {200: {"content": {"application/json": {}, "application/pdf": {}}}}


def _created(status: int, body: dict) -> JSONResponse:  # type: ignore[type-arg]
    """201 for a new extract; 200 for the same requester's recent one (APPLICATIONS_REGISTERUTDRAG_REUSE_SECONDS)."""
    return JSONResponse(body, status_code=status, headers={"Location": body["json"]})


async def _answer(session: AsyncSession, rt: Runtime, access: ExtractAccess, lang: str, pdf: bool) -> Response:
    if pdf:
        content = await registerutdrag.deliver_pdf(session, rt, access, lang)
        return Response(content, media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="registerutdrag-{access.record.requested_at:%Y-%m-%d}.pdf"',
            "Cache-Control": "private, no-store", "Content-Language": decisions.pdf_language(lang, rt.pdf_font)})
    return JSONResponse(await registerutdrag.deliver_json(session, rt, access),
                        headers={"Cache-Control": "private, no-store"})


def _wants_pdf(accept: str | None) -> bool:
    return bool(accept) and "application/pdf" in accept.lower()  # type: ignore[union-attr]


@router.post("/me/registerutdrag", status_code=201, response_model=schemas.RegisterutdragSummary,
             responses={200: {"model": schemas.RegisterutdragSummary,
                              "description": "The one I asked for moments ago (not gathered again)"}},
             summary="Client: ask for my register extract (everything every service holds about me). "
                     "Idempotency-Key")
@acts_for(Scope.READ, Scope.MESSAGES, Scope.MEETINGS)
async def request_mine(session: AsyncSession = Depends(db_session),
                       principal: Principal = Depends(deps.client_principal), rt: Runtime = Depends(deps.runtime),
                       idem: Idempotency = Depends(deps.idempotency)) -> JSONResponse:
    return _created(*await registerutdrag.request_for_client(session, rt, principal, idem))


@router.get("/me/registerutdrag", response_model=schemas.RegisterutdragList,
            summary="Client: my register extracts, newest first (also those staff made for me)")
@acts_for(Scope.READ, Scope.MESSAGES, Scope.MEETINGS)
async def list_mine(session: AsyncSession = Depends(db_session),
                    principal: Principal = Depends(deps.client_principal)) -> JSONResponse:
    return JSONResponse({"items": await registerutdrag.my_extracts(session, principal)})


@router.get("/me/registerutdrag/{extract_id}.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}}, summary="Client: my register extract as a PDF")
@acts_for(Scope.READ, Scope.MESSAGES, Scope.MEETINGS)
async def my_pdf(lang: Lang = "sv", access: ExtractAccess = Depends(deps.own_extract),
                 session: AsyncSession = Depends(db_session), rt: Runtime = Depends(deps.runtime)) -> Response:
    return await _answer(session, rt, access, lang, pdf=True)


@router.get("/me/registerutdrag/{extract_id}", response_model=schemas.Registerutdrag, responses=PDF_ANSWER,
            summary="Client: my register extract (JSON; Accept: application/pdf for the PDF)")
@acts_for(Scope.READ, Scope.MESSAGES, Scope.MEETINGS)
async def my_extract(lang: Lang = "sv", accept: Accept = None, access: ExtractAccess = Depends(deps.own_extract),
                     session: AsyncSession = Depends(db_session), rt: Runtime = Depends(deps.runtime)) -> Response:
    return await _answer(session, rt, access, lang, pdf=_wants_pdf(accept))


@router.post("/staff/registerutdrag", status_code=201, response_model=schemas.RegisterutdragSummary,
             responses={200: {"model": schemas.RegisterutdragSummary,
                              "description": "The one I asked for moments ago (not gathered again)"}},
             summary="Caseworker: a register extract for a client of the unit who asked on paper. Idempotency-Key")
async def request_for_client(body: schemas.RegisterutdragIn, session: AsyncSession = Depends(db_session),
                             principal: Principal = Depends(deps.caseworker_principal),
                             rt: Runtime = Depends(deps.runtime),
                             idem: Idempotency = Depends(deps.idempotency)) -> JSONResponse:
    return _created(*await registerutdrag.request_for_staff(session, rt, principal, body.personal_number.value, idem))


@router.get("/staff/registerutdrag/{extract_id}.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}},
            summary="Caseworker: a register extract the unit asked for, as a PDF to send the client")
async def unit_pdf(lang: Lang = "sv", access: ExtractAccess = Depends(deps.unit_extract),
                   session: AsyncSession = Depends(db_session), rt: Runtime = Depends(deps.runtime)) -> Response:
    return await _answer(session, rt, access, lang, pdf=True)


@router.get("/staff/registerutdrag/{extract_id}", response_model=schemas.Registerutdrag, responses=PDF_ANSWER,
            summary="Caseworker: a register extract the unit asked for (JSON; Accept: application/pdf for the PDF)")
async def unit_extract(lang: Lang = "sv", accept: Accept = None, access: ExtractAccess = Depends(deps.unit_extract),
                       session: AsyncSession = Depends(db_session), rt: Runtime = Depends(deps.runtime)) -> Response:
    return await _answer(session, rt, access, lang, pdf=_wants_pdf(accept))
