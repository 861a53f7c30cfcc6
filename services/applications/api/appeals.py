"""Appeals (överklagande) of a decision: the client's on Mina sidor, staff registering a paper one, the unit's queue
and the authority's steps. The dependencies here load AND authorise (like deps.py's): the client's own case (404
for anyone else, the same as for a case that does not exist), the case's caseworker or team lead, and an appeal
through its case."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.auth import Principal, authenticate
from kit.db import session as db_session
from kit.idempotency import Idempotency, StoredAnswer
from kit.problems import not_found
from kit.responses import JSONResponse
from services.applications.api import deps
from services.applications.api.answers import replay
from services.applications.domain.access import Section
from services.applications.domain.appeals import MAX_NOTE, MAX_TEXT, MIN_TEXT, AppealSource, CourtOutcome, Extent
from services.applications.domain.text import NoNulModel
from services.applications.service import appeals
from services.applications.service.context import CaseContext

router = APIRouter(tags=["appeals"])

AppealText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=MIN_TEXT, max_length=MAX_TEXT)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=MAX_NOTE)]
Lang = Annotated[Literal["sv", "en", "ar"], Query(description="sv (default), en or ar")]


class _In(NoNulModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True, str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class AppealIn(_In):
    text: AppealText = Field(description="What you want changed in the decision, and why (the case says which "
                                         "decision: a month's application has one)")


class StaffAppealIn(_In):
    text: AppealText = Field(description="The appeal as written (or its gist, with where the paper is kept)")
    received_on: dt.date = Field(description="The day it reached the social services (not the day it was "
                                             "registered): timeliness is counted from it")
    source: Literal["paper", "visit", "phone"] = Field(
        description="paper (a letter or form), visit (written at the office) or phone (told by phone, written "
                    "down and confirmed in writing)")
    appellant: Literal["applicant", "co_applicant"] = "applicant"


class ForwardIn(_In):
    forwarded_on: dt.date
    note: Note | None = None


class ReconsiderIn(_In):
    extent: Extent = Field(description="full: changed as the client asked, the appeal lapses (46 § FL); partial: "
                                       "it still goes to the court")
    decided_on: dt.date
    change: Note = Field(description="What was changed in the decision")


class DismissIn(_In):
    dismissed_on: dt.date
    reason: Note


class CourtRulingIn(_In):
    outcome: CourtOutcome
    ruled_on: dt.date
    note: Note | None = None


class MyAppealOut(_Out):
    id: uuid.UUID
    received_on: dt.date
    source: str
    text: str
    status: str
    status_text: str
    in_time: bool
    last_day: dt.date
    timeliness_text: str
    forwarded_on: dt.date | None = None
    court_outcome: str | None = None
    court_outcome_text: str | None = None
    ruled_on: dt.date | None = None


class AppealOut(_Out):
    id: uuid.UUID
    case_id: uuid.UUID
    period: str | None = None
    decision_decided_at: dt.datetime
    appellant_role: str
    source: str
    text: str
    received_on: dt.date
    last_day: dt.date
    in_time: bool
    late: bool
    status: str
    status_at: dt.datetime
    open: bool
    forwarded_on: dt.date | None = None
    reconsidered_on: dt.date | None = None
    reconsideration: str | None = None
    dismissed_on: dt.date | None = None
    dismissal_reason: str | None = None
    court_outcome: str | None = None
    ruled_on: dt.date | None = None
    note: str | None = None
    actions: list[str]


class AppealQueueItem(_Out):
    id: uuid.UUID
    case_id: uuid.UUID
    period: str
    decision_outcome: str | None = None
    received_on: dt.date
    last_day: dt.date
    in_time: bool
    source: str
    status: str
    status_at: dt.datetime
    court_outcome: str | None = None
    actions: list[str]


class AppealQueue(_Out):
    items: list[AppealQueueItem]


# --- dependencies: load and authorise ---------------------------------------------------------------------------

async def own_case_locked(ctx: CaseContext = Depends(deps.locked_case)) -> CaseContext:
    """The client's own case (a party: applicant or joined co-applicant), locked; anyone else 404, as if missing."""
    if not ctx.is_party:
        raise not_found("application")
    return ctx


async def staff_appeal_case(ctx: CaseContext = Depends(deps.locked_case)) -> CaseContext:
    """A case whose decision the caller handles (its unit's caseworker or team lead; cleared when protected). One
    404 for a case that does not exist and one whose decision the caller may not read (a service, an employment
    officer): the same body, so nothing tells them apart; a party to the case gets 403."""
    if not ctx.can(Section.DECISION):
        raise not_found("application")
    ctx.require_role(*appeals.STAFF)
    return ctx


async def unit_appeal(appeal_id: uuid.UUID, request: Request, session: AsyncSession = Depends(db_session),
                      principal: Principal = Depends(authenticate)) -> tuple[CaseContext, dict]:
    """An appeal of a case the caller handles; one 404 for not-yours and does-not-exist."""
    return await appeals.load_appeal(session, deps.runtime_of(request), principal, appeal_id,
                                     deps.access_reason(request))


def _created(out: dict | StoredAnswer) -> JSONResponse:
    if isinstance(out, StoredAnswer):
        return replay(out)
    return JSONResponse(out, status_code=201)


# --- routes -------------------------------------------------------------------------------------------------------

@router.post("/me/cases/{case_id}/appeals", status_code=201, response_model=MyAppealOut,
             summary="Client: appeal the decision (överklaga) to förvaltningsrätten; timeliness is checked, a late "
                     "appeal is still received (Idempotency-Key)")
async def appeal(body: AppealIn, lang: Lang = "sv", ctx: CaseContext = Depends(own_case_locked),
                 session: AsyncSession = Depends(db_session),
                 idem: Idempotency = Depends(deps.idempotency)) -> JSONResponse:
    return _created(await appeals.client_appeal(session, ctx, idem, body.text, lang))


@router.post("/staff/cases/{case_id}/appeals", status_code=201, response_model=AppealOut,
             summary="Caseworker: register an appeal that came on paper, at a visit or by phone (Idempotency-Key)")
async def register_appeal(body: StaffAppealIn, ctx: CaseContext = Depends(staff_appeal_case),
                          session: AsyncSession = Depends(db_session),
                          idem: Idempotency = Depends(deps.idempotency)) -> JSONResponse:
    out = await appeals.staff_appeal(session, ctx, idem, body.model_dump(mode="json"), text=body.text,
                                     received_on=body.received_on, source=AppealSource(body.source),
                                     appellant_role=body.appellant)
    return _created(out)


@router.get("/staff/appeals", response_model=AppealQueue,
            summary="Unit staff: the appeals of the unit's cases, oldest first, late ones flagged")
async def appeal_queue(status: Annotated[Literal["open", "all"], Query()] = "open",
                       limit: Annotated[int, Query(ge=1, le=200)] = 100,
                       session: AsyncSession = Depends(db_session),
                       principal: Principal = Depends(deps.unit_case_staff)) -> JSONResponse:
    items = await appeals.queue(session, principal, open_only=status == "open", limit=limit)
    return JSONResponse({"items": items})


@router.post("/staff/appeals/{appeal_id}/forward", response_model=AppealOut,
             summary="Caseworker: the appeal and the case documents were sent to förvaltningsrätten")
async def forward(body: ForwardIn, found: tuple[CaseContext, dict] = Depends(unit_appeal),
                  session: AsyncSession = Depends(db_session)) -> JSONResponse:
    return JSONResponse(await appeals.forward(session, *found, body.forwarded_on, body.note))


@router.post("/staff/appeals/{appeal_id}/reconsider", response_model=AppealOut,
             summary="Caseworker: omprövning, the decision was changed (in full: the appeal lapses)")
async def reconsider(body: ReconsiderIn, found: tuple[CaseContext, dict] = Depends(unit_appeal),
                     session: AsyncSession = Depends(db_session)) -> JSONResponse:
    return JSONResponse(await appeals.reconsider(session, *found, body.extent, body.decided_on, body.change))


@router.post("/staff/appeals/{appeal_id}/dismiss", response_model=AppealOut,
             summary="Caseworker: dismiss (avvisa) an appeal that came in late, with the reason")
async def dismiss(body: DismissIn, found: tuple[CaseContext, dict] = Depends(unit_appeal),
                  session: AsyncSession = Depends(db_session)) -> JSONResponse:
    return JSONResponse(await appeals.dismiss(session, *found, body.dismissed_on, body.reason))


@router.post("/staff/appeals/{appeal_id}/court-ruling", response_model=AppealOut,
             summary="Caseworker: the court's ruling (upheld, changed, returned); settles the appeal")
async def court_ruling(body: CourtRulingIn, found: tuple[CaseContext, dict] = Depends(unit_appeal),
                       session: AsyncSession = Depends(db_session)) -> JSONResponse:
    return JSONResponse(await appeals.court_ruling(session, *found, body.outcome, body.ruled_on, body.note))
