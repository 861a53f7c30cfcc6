"""RFC 9457 problem details for every error a service or the gateway returns.

Each error kind has a stable ``type`` URI (``urn:bistand:problem:<slug>``) that clients may
switch on; ``title`` is for people, ``detail`` for this occurrence. Internals never leak:
an unexpected exception becomes a generic 500 that carries only the request id.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from kit import tracing
from kit.context import current_request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:bistand:problem:"

log = logging.getLogger("kit.problems")

# Slugs for the statuses the framework itself raises.
_STATUS_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    428: "precondition-required",
    429: "rate-limited",
    500: "internal-error",
    502: "bad-gateway",
    503: "unavailable",
    504: "gateway-timeout",
}


def problem_type(slug: str) -> str:
    return TYPE_PREFIX + slug


def problem_body(
    status: int,
    slug: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    instance: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": problem_type(slug or _STATUS_SLUGS.get(status, "error")),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    rid = current_request_id()
    if rid:
        body["request_id"] = rid
    trace_id = tracing.current_trace_id()
    if trace_id:
        body["trace_id"] = trace_id
    body.update(extra)
    return body


def problem_bytes(status: int, **kwargs: Any) -> bytes:
    return orjson.dumps(problem_body(status, **kwargs))


class ProblemResponse(Response):
    media_type = PROBLEM_MEDIA_TYPE

    def __init__(
        self,
        status: int,
        *,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(problem_bytes(status, **kwargs), status_code=status, headers=headers)


class Problem(Exception):
    """Raise anywhere in a request to answer with problem+json."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = extra

    def response(self, instance: str | None = None) -> ProblemResponse:
        return ProblemResponse(
            self.status,
            slug=self.slug,
            title=self.title,
            detail=self.detail,
            instance=instance,
            headers=self.headers,
            **self.extra,
        )


def not_found(what: str = "resource") -> Problem:
    # The same answer whether the thing is missing or not yours: existence is not revealed.
    return Problem(404, "not-found", "Not found", f"No such {what}.")


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def validation_errors(errors: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    return [
        {"field": _field_name(err.get("loc", ())), "message": str(err.get("msg", "")),
         "code": str(err.get("type", ""))}
        for err in errors
    ]


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Problem) -> Response:
        return exc.response(instance=request.url.path)

    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else None
        if detail == HTTPStatus(exc.status_code).phrase:
            detail = None
        return ProblemResponse(
            exc.status_code, detail=detail, instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    async def on_validation(request: Request, exc: RequestValidationError) -> Response:
        return ProblemResponse(
            422,
            title="Invalid request",
            detail="One or more fields are invalid.",
            instance=request.url.path,
            errors=validation_errors(exc.errors()),
        )

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", extra={"path": request.url.path})
        return ProblemResponse(
            500,
            title="Internal error",
            detail="Something went wrong on our side. Quote the request id if you contact us.",
        )

    app.add_exception_handler(Problem, on_problem)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, on_http)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, on_unexpected)
