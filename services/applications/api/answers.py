"""How the routers answer: a case with its ETag, and the first answer again for a retried Idempotency-Key."""

from __future__ import annotations

from typing import Any

from kit.idempotency import StoredAnswer
from kit.responses import JSONResponse


def case_response(body: dict[str, Any], status: int = 200, **headers: str) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"ETag": f'"{body["version"]}"', **headers})


def replay(stored: StoredAnswer) -> JSONResponse:
    """The first request's answer (a retry after a timeout does nothing twice)."""
    has_version = isinstance(stored.body, dict) and "version" in stored.body
    headers = {"ETag": f'"{stored.body["version"]}"'} if has_version else None
    return JSONResponse(stored.body, status_code=stored.status, headers=headers)


def created_case(out: dict[str, Any] | StoredAnswer) -> JSONResponse:
    if isinstance(out, StoredAnswer):
        return replay(out)
    return case_response(out, 201, Location=f"/applications/{out['id']}")
