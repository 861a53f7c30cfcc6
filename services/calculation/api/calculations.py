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
from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.responses import Response

from kit.auth import Principal, authenticate
from kit.problems import Problem
from services.calculation.api.deps import batch_caller, calculator, json_body, orjson_response
from services.calculation.api.schemas import field_errors, parse_trial
from services.calculation.service import Calculator, Rejected, invalid

router = APIRouter(tags=["calculations"])
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _body(name: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{name}"}}}}}


_TRIAL_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
    {"$ref": "#/components/schemas/TrialRequest"}, {"$ref": "#/components/schemas/CalculationRequest"}]}}}}}


@router.post("/calculations", openapi_extra=_body("CalculationRequest"),
             summary="Any signed-in caller or service: one household and month, every line explained")
async def calculate(request: Request, raw: Any = Depends(json_body),
                    principal: Principal = Depends(authenticate)) -> Response:
    try:
        return orjson_response(calculator(request).from_raw(raw))
    except Rejected as exc:
        raise exc.problem() from None


def _batch(calc: Calculator, items: list[Any], explain: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        try:
            out.append({"index": i, "status": 200, "result": calc.from_raw(item, prefix=f"items.{i}.",
                                                                          explain=explain)})
        except Rejected as exc:
            out.append({"index": i, "status": 422, "problem": exc.body()})
    return out


@router.post("/calculations/batch", openapi_extra=_body("BatchRequest"),
             summary="Staff and services: up to 10 000 households (recalculation when the norm changes); "
                     "answers in order, a bad item gets an error entry at its index")
async def calculate_batch(request: Request, raw: Any = Depends(json_body),
                          principal: Principal = Depends(batch_caller)) -> Response:
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
    # Off the event loop: a 10 000 item batch takes about a second of CPU, and health checks and single
    # calculations must still answer meanwhile. One batch at a time (the lock): more threads would only
    # take turns on the GIL and finish all of them later.
    async with request.app.state.kit.extras["batch_lock"]:
        results = await anyio.to_thread.run_sync(_batch, calculator(request), items, explain)
    failed = sum(1 for r in results if r["status"] != 200)
    return orjson_response({"count": len(results), "failed": failed, "items": results})


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
        return orjson_response(calc.from_domain(simple.to_domain(month)))
    except Rejected as exc:
        raise exc.problem() from None


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
