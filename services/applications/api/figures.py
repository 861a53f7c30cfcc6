"""A unit's monthly figures for its team lead and admins: JSON, or CSV with ``Accept: text/csv``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from kit.db import session as db_session
from kit.problems import Problem
from kit.responses import JSONResponse
from services.applications.api import deps, schemas
from services.applications.api.deps import FiguresReader
from services.applications.domain.figures import to_csv
from services.applications.service import figures

router = APIRouter(tags=["statistics"])

Month = Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


@router.get("/figures", response_model=schemas.FiguresOut,
            responses={200: {"content": {"text/csv": {}}}},
            summary="Team lead of the unit (or admin): applications by channel, lead times, decisions, reasons for "
                    "need and proposals per month; one month or from/to (at most 24)")
async def unit_figures(request: Request, month: Month = None,
                       from_: Annotated[str | None, Query(alias="from", pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
                       to: Month = None, session: AsyncSession = Depends(db_session),
                       reader: FiguresReader = Depends(deps.figures_reader)) -> Response:
    if month is not None and (from_ or to):
        raise Problem(422, "figures-window-invalid", "Invalid months", "Give month, or from and to, not both.",
                      errors=[{"field": "query.month", "message": "not with from/to", "code": "window"}])
    if month is None and not (from_ and to):
        raise Problem(422, "figures-window-invalid", "Invalid months", "Give month, or from and to.",
                      errors=[{"field": "query.month", "message": "month, or from and to, is required",
                               "code": "missing"}])
    first, last = (month, month) if month else (from_, to)
    assert first is not None and last is not None
    months = await figures.unit_figures(session, reader.principal, reader.unit, first, last)
    if "text/csv" in request.headers.get("accept", ""):
        return Response(to_csv(reader.unit, months), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="figures-{reader.unit}-{first}.csv"',
                                 "Cache-Control": "private, no-store"})
    return JSONResponse({"unit": reader.unit, "from": first, "to": last,
                         "months": [m.model_dump(mode="json") for m in months]},
                        headers={"Cache-Control": "private, no-store"})
