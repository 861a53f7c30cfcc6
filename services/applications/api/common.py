"""Small helpers the routers share: idempotency, lifecycle steps, reloading the case for the answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from fastapi.responses import JSONResponse
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import idempotency
from kit.problems import Problem
from services.applications import store
from services.applications.api import deps, schemas
from services.applications.api.deps import CaseContext
from services.applications.domain import lifecycle
from services.applications.domain.access import Section
from services.applications.domain.lifecycle import CaseState, Event, RoleNotAllowed
from services.applications.domain.signing import Signature


async def claim(session: AsyncSession, scope: str, key: str | None, body: object) -> JSONResponse | None:
    """None: do the work. Otherwise the first request's answer (a retry after a timeout does nothing twice)."""
    key = idempotency.check_key(key)
    if key is None:
        return None
    stored = await idempotency.claim(session, scope, key, idempotency.request_hash(body))
    if stored is None:
        return None
    has_version = isinstance(stored.body, dict) and "version" in stored.body
    headers = {"ETag": f'"{stored.body["version"]}"'} if has_version else None
    return JSONResponse(stored.body, status_code=stored.status, headers=headers)


def body_of(response: JSONResponse) -> object:
    """What a JSONResponse carries, for the idempotency record."""
    return orjson.loads(response.body)


async def complete(session: AsyncSession, scope: str, key: str | None, status: int, body: object) -> None:
    if key is not None:
        await idempotency.complete(session, scope, key, status, body)


async def step(session: AsyncSession, ctx: CaseContext, event: Event, now: dt.datetime, *,
               reason: str | None = None, details: dict[str, Any] | None = None, **columns: Any) -> CaseState:
    """One lifecycle step: checked by the domain's table (409 impossible / 403 not your role), then recorded."""
    if ctx.role is None:
        raise RoleNotAllowed(f"'{event}' may not be done by you.", event=event.value)
    new = lifecycle.transition(ctx.case.state, event, ctx.role)
    await store.set_state(session, ctx.case, new, actor=ctx.principal.sub, actor_role=ctx.role.value,
                          event=event.value, now=now, reason=reason, details=details, **columns)
    # The row is locked until commit, so the in-memory copy is what the database now holds.
    case = ctx.case
    case.status, case.outcome, case.version, case.updated_at = new.status, new.outcome, case.version + 1, now
    for name, value in columns.items():
        setattr(case, name, value)
    return new


async def fresh(session: AsyncSession, ctx: CaseContext) -> CaseContext:
    case = await store.get_case(session, ctx.case.id)
    assert case is not None
    ctx.case = case
    return ctx


async def view(session: AsyncSession, ctx: CaseContext, sigs: list[Signature] | None = None) -> dict[str, Any]:
    if sigs is None:
        sigs = await store.signatures(session, ctx.case.id) if ctx.can(Section.SIGNATURES) else []
    profile = None
    if ctx.staff_view and ctx.can(Section.HOUSEHOLD):
        profile = await store.get_profile(session, ctx.case.applicant_pnr) or {}
    return schemas.case_out(ctx, sigs, profile)


def case_response(body: dict[str, Any], status: int = 200, **headers: str) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"ETag": f'"{body["version"]}"', **headers})


def require_draft(ctx: CaseContext) -> None:
    if ctx.case.status is not lifecycle.CaseStatus.DRAFT:
        raise Problem(409, "application-not-draft", "The application is no longer a draft",
                      "Only a draft can be changed or signed.", state=ctx.case.status.value)


def wake_relay(request: Any) -> None:
    relay = deps.context(request).extras.get("relay")
    if relay is not None:
        relay.wake()
