"""Liveness, readiness (database reachable, migrations at head) and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy import text
from starlette.responses import JSONResponse, Response

from kit.auth import Principal, authenticate_any
from kit.problems import ProblemResponse

router = APIRouter(tags=["health"])


@router.get("/livez", summary="The process is up")
async def livez() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Database reachable and migrations at head")
async def readyz(request: Request) -> Response:
    kit = request.app.state.kit
    try:
        async with kit.engine.connect() as conn:
            rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
            applied = {r[0] for r in rows}
    except Exception as exc:
        reason = "migrations not applied" if "alembic_version" in str(exc) else "database unreachable"
        return ProblemResponse(503, slug="not-ready", title="Not ready", detail=reason)
    if applied != kit.expected_heads:
        return ProblemResponse(503, slug="not-ready", title="Not ready",
                               detail="database migrations are not at head")
    return JSONResponse({"status": "ready", "migrations": sorted(applied)})


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    return Response(request.app.state.kit.metrics.render(),
                    media_type="text/plain; version=0.0.4; charset=utf-8")


identity_router = APIRouter(tags=["health"])


@identity_router.get("/whoami", summary="Who the service takes the caller to be")
async def whoami(principal: Principal = Depends(authenticate_any)) -> dict[str, object]:
    return {"sub": principal.sub, "roles": sorted(principal.roles), "unit": principal.unit}
