"""The caseworkers' work queue and the monthly trust-check draw (ekonomisk avstämning)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.auth import Principal
from kit.db import session as db_session
from kit.problems import Problem
from services.applications import store
from services.applications.api import deps, schemas
from services.applications.domain.access import PROTECTED_PERMISSION, Role
from services.applications.domain.lifecycle import CaseStatus
from services.applications.domain.trust_checks import draw_trust_checks

router = APIRouter(tags=["work queue"])

Month = Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


def _cursor(case: store.CaseRecord) -> str:
    raw = orjson.dumps([case.submitted_at.isoformat() if case.submitted_at else None, str(case.id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after(cursor: str | None) -> tuple[dt.datetime, uuid.UUID] | None:
    if not cursor:
        return None
    try:
        at, case_id = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return dt.datetime.fromisoformat(at), uuid.UUID(case_id)
    except (ValueError, TypeError):
        raise Problem(400, "bad-cursor", "Bad cursor", "Use the next_cursor of the previous page.") from None


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
                     principal: Principal = Depends(deps.staff_principal)) -> JSONResponse:
    now = deps.clock(request)
    before = now - dt.timedelta(days=min_waiting_days) if min_waiting_days is not None else None
    rows = await store.queue(session, sub=principal.sub, units=sorted(principal.units),
                             protected_access=principal.can(PROTECTED_PERMISSION), view=view,
                             statuses=[s.value for s in status] if status else None, month=month,
                             submitted_before=before, flagged=True if flag else None, after=_after(cursor),
                             limit=min(limit, deps.settings_of(request).queue_max_limit) + 1)
    page, more = rows[:limit], len(rows) > limit
    officer_only = not (principal.roles & {Role.CASEWORKER, Role.TEAM_LEAD})
    items: list[dict[str, Any]] = []
    for c in page:
        waiting = (now - c.submitted_at) if c.submitted_at else dt.timedelta(0)
        flags = [f for f, on in (("trust_check", c.trust_check), ("protected_identity", c.protected_identity),
                                 ("info_overdue", bool(c.info_due and c.info_due < now.date()))) if on]
        item = {"id": str(c.id), "period": c.period, "kind": c.kind, "unit": c.unit, "status": c.status.value,
                "source": c.source, "submitted_at": schemas.local(c.submitted_at),
                "waiting_days": waiting.days, "assigned": c.assigned, "flags": flags,
                "info_due": c.info_due.isoformat() if c.info_due else None}
        if officer_only:
            item.pop("source")  # employment officers: the work facts only
        items.append(item)
    # The queue shows no personal data (no names, no numbers), but which cases staff listed is still logged.
    audit.record(session, principal, "list", "queue", None, purpose=deps.access_reason(request, "work queue"),
                 details={"view": view, "count": len(items)})
    await session.commit()
    return JSONResponse({"items": items, "next_cursor": _cursor(page[-1]) if more and page else None})


@router.post("/trust-checks/draw", status_code=201, response_model=schemas.DrawOut,
             summary="Team lead: draw this month's trust checks for the unit (reproducible, recorded once)")
async def draw(body: schemas.MonthlyIn, request: Request, session: AsyncSession = Depends(db_session),
               principal: Principal = Depends(deps.staff_principal)) -> JSONResponse:
    if Role.TEAM_LEAD not in principal.roles or not principal.unit:
        raise Problem(403, "forbidden", "Forbidden", "Only a unit's team lead draws trust checks.")
    settings = deps.settings_of(request)
    unit, month = principal.unit, body.month
    existing = await store.get_draw(session, unit, month)
    status = 200
    if existing is None:
        population = await store.decided_cases_for_draw(session, unit, month)
        chosen_ids = draw_trust_checks(population, settings.trust_checks_per_caseworker, month,
                                       settings.trust_check_seed)
        by_case = dict(population)
        # The seed stays secret; its fingerprint shows which seed a recorded draw used.
        seed_id = hashlib.sha256(settings.trust_check_seed.encode()).hexdigest()[:16]
        await store.record_draw(session, unit=unit, month=month, per_caseworker=settings.trust_checks_per_caseworker,
                                seed_id=seed_id, population=len(population),
                                chosen=[(cid, by_case[cid]) for cid in chosen_ids], drawn_by=principal.sub,
                                now=deps.clock(request))
        audit.record(session, principal, "draw", "trust_checks", f"{unit}:{month}", purpose="ekonomisk avstämning",
                     details={"population": len(population), "chosen": len(chosen_ids)})
        existing = await store.get_draw(session, unit, month)
        status = 201
    await session.commit()
    assert existing is not None
    return JSONResponse(_draw_out(existing), status_code=status)


@router.get("/trust-checks", response_model=schemas.DrawOut,
            summary="Team lead and caseworkers: a month's recorded draw for my unit")
async def get_draw(request: Request, month: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")],
                   session: AsyncSession = Depends(db_session),
                   principal: Principal = Depends(deps.staff_principal)) -> JSONResponse:
    if not principal.unit or not (principal.roles & {Role.TEAM_LEAD, Role.CASEWORKER}):
        raise Problem(403, "forbidden", "Forbidden", "Only a unit's staff see its trust checks.")
    found = await store.get_draw(session, principal.unit, month)
    if found is None:
        raise Problem(404, "not-found", "Not found", "No draw for that month yet.")
    return JSONResponse(_draw_out(found))


def _draw_out(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(row["id"]), "unit": row["unit"], "month": row["month"], "per_caseworker": row["per_caseworker"],
            "seed_id": row["seed_id"], "population": row["population"], "drawn_by": row["drawn_by"],
            "drawn_at": schemas.local(row["drawn_at"]), "case_ids": [str(c) for c in row["case_ids"]]}
