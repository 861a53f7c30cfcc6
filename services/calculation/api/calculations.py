"""POST /calculations (authenticated), POST /calculations/batch (staff and services), POST /trial (public).

Nothing is stored: a calculation is a pure function of its input, so there is nothing to own and no
resource another person could read (no BOLA surface). The caller gets back exactly what it sent, computed.
Bodies are parsed by the service layer (not by FastAPI) so that single, batch and trial report bad fields the
same way; the request models are still in the OpenAPI document (app.py), the answers' models are declared here.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from contracts.calculation import PATH, BatchResult, CalculationResult
from kit.auth import Principal
from services.calculation.api.deps import (
    applications_or_person,
    batch_caller,
    calculator,
    json_body,
    orjson_response,
    runtime,
)
from services.calculation.service import batch
from services.calculation.service import trial as trials

router = APIRouter(tags=["calculations"])


def _body(name: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{name}"}}}}}


_TRIAL_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
    {"$ref": "#/components/schemas/TrialRequest"}, {"$ref": "#/components/schemas/CalculationRequest"}]}}}}}
_RESULT: dict[int | str, dict[str, Any]] = {200: {"model": CalculationResult}}


@router.post(PATH, openapi_extra=_body("CalculationRequest"), responses=_RESULT,
             summary="Any signed-in caller or service: one household and month, every line explained")
async def calculate(request: Request, principal: Principal = Depends(applications_or_person),
                    raw: Any = Depends(json_body)) -> Response:  # the caller first: no parsing for strangers
    return orjson_response(calculator(request).from_raw(raw))


@router.post(f"{PATH}/batch", openapi_extra=_body("BatchRequest"), responses={200: {"model": BatchResult}},
             summary="Staff and services: up to 10 000 households (recalculation when the norm changes); "
                     "answers in order, a bad item gets an error entry at its index")
async def calculate_batch(request: Request, principal: Principal = Depends(batch_caller),
                          raw: Any = Depends(json_body)) -> Response:
    rt = runtime(request)
    body, gzipped = await batch.calculate(rt.calculator, raw, lock=rt.batch_lock, pool=rt.batch_pool,
                                          max_items=request.app.state.kit.settings.batch_max_items,
                                          gzip=_accepts_gzip(request.headers.get("accept-encoding", "")))
    headers = {"Vary": "Accept-Encoding"} | ({"Content-Encoding": "gzip"} if gzipped else {})
    return Response(body, media_type="application/json", headers=headers)


def _accepts_gzip(header: str) -> bool:
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


@router.post("/trial", openapi_extra=_TRIAL_BODY, responses=_RESULT,
             summary="Public (no login): a trial calculation (provberäkning); nothing is stored, no personal data")
async def trial(request: Request, raw: Any = Depends(json_body)) -> Response:
    rt = runtime(request)
    return orjson_response(trials.calculate(rt.calculator, raw, rt.clock))
