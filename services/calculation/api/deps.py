"""What every route here needs: this app's runtime and calculator, orjson answers, the body as JSON, the caller."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Depends, Request
from starlette.responses import Response

from kit.auth import Principal, person_or_service
from kit.problems import Problem
from services.calculation.service.calculator import Calculator, invalid
from services.calculation.service.runtime import Runtime

# Staff and services may run batches; a client has one household and uses POST /calculations.
BATCH_ROLES = ("service", "caseworker", "team_lead", "admin", "employment_officer")


def runtime(request: Request) -> Runtime:
    return request.app.state.kit.runtime  # type: ignore[no-any-return]


def calculator(request: Request) -> Calculator:
    return runtime(request).calculator


def orjson_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


async def json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise invalid([{"field": "body", "message": "the body is not valid JSON", "code": "json_invalid"}]
                      ) from None


# The applications service calculates for its cases; no other service token is taken here.
applications_or_person = person_or_service("applications")


async def batch_caller(principal: Principal = Depends(applications_or_person)) -> Principal:
    if not principal.has_role(*BATCH_ROLES):
        raise Problem(403, "forbidden", "Forbidden", "Batch calculation is for staff and services.")
    return principal
