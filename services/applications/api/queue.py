"""The caseworkers' work queue and the monthly trust-check draw (ekonomisk avstämning)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.auth import Principal
from kit.db import session as db_session
from kit.responses import JSONResponse
from services.applications.api import deps, schemas
from services.applications.domain.lifecycle import CaseStatus
from services.applications.service import queue
from services.applications.service.runtime import Runtime

router = APIRouter(tags=["work queue"])

Month = Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


@router.get("/queue", response_model=schemas.QueuePage,
            summary="Caseworkers: the unit's cases waiting (oldest first), or mine; cursor pagination")
async def work_queue(request: Request,
                     view: Annotated[Literal["unassigned", "mine", "all"], Query()] = "unassigned",
                     status: Annotated[list[CaseStatus] | None, Query()] = None,
                     month: Month = None,
                     min_waiting_days: Annotated[int | None, Query(ge=0, le=365)] = None,
                     flag: Annotated[Literal["trust_check"] | None, Query()] = None,
                     cursor: str | None = None,
                     limit: Annotated[int, Query(ge=1, le=200)] = 50,
                     session: AsyncSession = Depends(db_session),
                     principal: Principal = Depends(deps.staff_principal),
                     rt: Runtime = Depends(deps.runtime)) -> JSONResponse:
    return JSONResponse(await queue.work_queue(
        session, rt, principal, view=view, status=status, month=month, min_waiting_days=min_waiting_days, flag=flag,
        cursor=cursor, limit=limit, reason=deps.access_reason(request)))


@router.post("/trust-checks/draw", status_code=201, response_model=schemas.DrawOut,
             summary="Team lead: draw this month's trust checks for the unit (reproducible, recorded once)")
async def draw(body: schemas.MonthlyIn, session: AsyncSession = Depends(db_session),
               principal: Principal = Depends(deps.unit_team_lead),
               rt: Runtime = Depends(deps.runtime)) -> JSONResponse:
    out, drawn = await queue.draw_trust_checks_for_month(session, rt, principal, body.month)
    return JSONResponse(out, status_code=201 if drawn else 200)


@router.get("/trust-checks", response_model=schemas.DrawOut,
            summary="Team lead and caseworkers: a month's recorded draw for my unit")
async def get_draw(month: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")],
                   session: AsyncSession = Depends(db_session),
                   principal: Principal = Depends(deps.unit_case_staff)) -> JSONResponse:
    return JSONResponse(await queue.recorded_draw(session, principal, month))
