"""The decision proposal made on every submission, undoing an automated approval, the client's review request."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.db import session as db_session
from kit.representation import Scope, acts_for
from kit.responses import JSONResponse
from services.applications.api import deps, schemas
from services.applications.api.answers import case_response
from services.applications.domain.access import Section
from services.applications.service import automation, proposals
from services.applications.service.context import CaseContext

router = APIRouter(tags=["decision proposal"])


@router.get("/applications/{case_id}/proposal", response_model=schemas.ProposalOut,
            summary="Caseworker, team lead: the decision proposal (every check, the values compared)")
async def get_proposal(ctx: CaseContext = Depends(deps.case_part(Section.REGISTER_DATA, *deps.STAFF)),
                       session: AsyncSession = Depends(db_session)) -> JSONResponse:
    return JSONResponse(await proposals.read_proposal(session, ctx))


@router.post("/applications/{case_id}/automated-decision/undo", response_model=schemas.CaseOut,
             summary="Caseworker, team lead: take back an automated approval before it is paid (with a reason)")
async def undo(body: schemas.UndoIn, ctx: CaseContext = Depends(deps.staff_case),
               session: AsyncSession = Depends(db_session)) -> JSONResponse:
    return case_response(await automation.undo_automated(session, ctx, body.reason))


@router.post("/applications/{case_id}/review-request", response_model=schemas.ReviewRequestOut,
             summary="Client: ask for a person to review the automated decision (flags the case in the queue)")
@acts_for(Scope.APPLY)
async def review_request(body: schemas.ReviewRequestIn | None = None, ctx: CaseContext = Depends(deps.party_case),
                         session: AsyncSession = Depends(db_session)) -> JSONResponse:
    return JSONResponse(await automation.request_review(session, ctx, body.message if body else None))
