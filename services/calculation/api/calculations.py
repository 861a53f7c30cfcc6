"""POST /calculations (authenticated), POST /calculations/batch (staff and services), POST /trial (public).

Nothing is stored: a calculation is a pure function of its input, so there is nothing to own and no
resource another person could read (no BOLA surface). The caller gets back exactly what it sent, computed.
Bodies are parsed here (not by FastAPI) so that single, batch and trial report bad fields the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import orjson
from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.responses import Response

from kit.auth import Principal
from kit.problems import Problem
from services.calculation import batch
from services.calculation.api.deps import applications_or_person, batch_caller, calculator, json_body, orjson_response
from services.calculation.api.schemas import field_errors, parse_trial
from services.calculation.service import Rejected, invalid

router = APIRouter(tags=["calculations"])
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _body(name: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{name}"}}}}}


_TRIAL_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
    {"$ref": "#/components/schemas/TrialRequest"}, {"$ref": "#/components/schemas/CalculationRequest"}]}}}}}


@router.post("/calculations", openapi_extra=_body("CalculationRequest"),
             summary="Any signed-in caller or service: one household and month, every line explained")
async def calculate(request: Request, principal: Principal = Depends(applications_or_person),
                    raw: Any = Depends(json_body)) -> Response:  # the caller first: no parsing for strangers
    try:
        return orjson_response(calculator(request).from_raw(raw))
    except Rejected as exc:
        raise exc.problem() from None


@router.post("/calculations/batch", openapi_extra=_body("BatchRequest"),
             summary="Staff and services: up to 10 000 households (recalculation when the norm changes); "
                     "answers in order, a bad item gets an error entry at its index")
async def calculate_batch(request: Request, principal: Principal = Depends(batch_caller),
                          raw: Any = Depends(json_body)) -> Response:
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
        raise invalid([{"field": "items", "message": "a list of calculation requests is required",
                        "code": "list_type"}]).problem()
    unknown = sorted(set(raw) - {"items", "explain"})
    if unknown:
        raise invalid([{"field": k, "message": "Extra inputs are not permitted", "code": "extra_forbidden"}
                       for k in unknown]).problem()
    explain = raw.get("explain", True)
    if not isinstance(explain, bool):
        raise invalid([{"field": "explain", "message": "Input should be a valid boolean", "code": "bool_type"}
                       ]).problem()
    items = raw["items"]
    limit = request.app.state.kit.settings.batch_max_items
    if len(items) > limit:
        raise Problem(413, "batch-too-large", "Too many households in one batch",
                      f"{len(items)} items; at most {limit} per call. Split the batch.", max_items=limit)
    extras = request.app.state.kit.extras
    pool = extras.get("batch_pool")
    headers = {"Vary": "Accept-Encoding"}
    # The lines repeat their legal references: 10 000 explained households are ~50 MB of JSON but ~5 MB
    # gzipped, which is what crosses the gateway. Small answers are not worth it.
    gzip = _accepts_gzip(request.headers.get("accept-encoding", "")) and (explain or len(items) >= 1000)
    if pool is not None and len(items) > 1:
        body = await pool.run(items, explain, gzip=gzip)  # the workers compress their own parts
    else:
        # Off the event loop: a 10 000 item batch takes about a second of CPU, and health checks and single
        # calculations must still answer meanwhile. One batch at a time (the lock): more threads would only
        # take turns on the GIL and finish all of them later.
        async with extras["batch_lock"]:
            results, failed = await anyio.to_thread.run_sync(batch.run, calculator(request), items, explain)
        body = batch.answer([orjson.dumps(results)], len(results), failed)
        gzip = gzip and len(body) >= GZIP_FROM_BYTES
        if gzip:
            body = await anyio.to_thread.run_sync(batch.gzip_bytes, body)  # zlib lets go of the GIL
    if gzip:
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="application/json", headers=headers)


GZIP_FROM_BYTES = 256 * 1024


def _accepts_gzip(header: str) -> bool:
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


@router.post("/trial", openapi_extra=_TRIAL_BODY,
             summary="Public (no login): a trial calculation (provberäkning); nothing is stored, no personal data")
async def trial(request: Request, raw: Any = Depends(json_body)) -> Response:
    calc = calculator(request)
    try:
        if isinstance(raw, dict) and "household" in raw:
            return orjson_response(calc.from_raw(raw))  # the full request is accepted too
        try:
            simple = parse_trial(raw)
        except ValidationError as exc:
            raise invalid(field_errors(exc)) from None
        month = simple.month or request.app.state.kit.extras["clock"]().astimezone(STOCKHOLM).strftime("%Y-%m")
        calc.norm_for(month)  # before ages become birth dates: year 0000 has no dates to compute
        return orjson_response(calc.from_domain(simple.to_domain(month)))
    except Rejected as exc:
        raise exc.problem() from None


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
