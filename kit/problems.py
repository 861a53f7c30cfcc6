"""RFC 9457 problem details for every error a service or the gateway returns.

Each error kind has a stable ``type`` URI (``urn:bistand:problem:<slug>``) that clients may
switch on; ``title`` is for people, ``detail`` for this occurrence. Internals never leak:
an unexpected exception becomes a generic 500 that carries only the request id.

Titles and details are English. When a request's ``Accept-Language`` asks for another catalog language (kit.i18n:
Swedish, Arabic) and a catalog has that exact text (the service's own, registered with ``use_catalogs``, then the
kit's ``kit/locales`` for the generic ones), the text is given translated and ``Content-Language`` says which
language the title is in. ``type`` never changes; without the header everything stays English.
"""

from __future__ import annotations

import copy
import functools
import logging
from collections.abc import Mapping
from http import HTTPStatus
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import TimeoutError as SQLAlchemyPoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from kit import tracing
from kit.context import current_request_id
from kit.i18n import DEFAULT_LANGUAGE, N_, Catalogs, negotiate, supported

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


# The generic texts, marked for kit/locales: the titles of the statuses above (HTTPStatus phrases, the default
# title) and what kit itself answers with.
GENERIC_TEXTS = (
    N_("Bad Request"), N_("Unauthorized"), N_("Forbidden"), N_("Not Found"), N_("Method Not Allowed"),
    N_("Not Acceptable"), N_("Conflict"), N_("Gone"), N_("Precondition Failed"), N_("Request Entity Too Large"),
    N_("Unsupported Media Type"), N_("Unprocessable Entity"), N_("Precondition Required"), N_("Too Many Requests"),
    N_("Internal Server Error"), N_("Bad Gateway"), N_("Service Unavailable"), N_("Gateway Timeout"),
    N_("Not found"), N_("No such resource."), N_("Invalid request"), N_("One or more fields are invalid."),
    N_("Internal error"), N_("Something went wrong on our side. Quote the request id if you contact us."),
    N_("The service is busy or its database is unavailable. Try again in a moment."),
    N_("A valid bearer token is required."), N_("Request in progress"), N_("Idempotency-Key reused"),
)


@functools.cache
def kit_catalogs() -> Catalogs:
    """The kit's own catalogs (kit/locales), read on first use."""
    return Catalogs(Path(__file__).resolve().parent / "locales")


def use_catalogs(app: FastAPI, catalogs: Catalogs) -> None:
    """Let a service's catalogs translate its problems' titles and details (before the kit's generic ones)."""
    app.state.problem_catalogs = (catalogs, *getattr(app.state, "problem_catalogs", ()))


def _asked_language(header: str | None) -> str | None:
    """The catalog language Accept-Language asks for, or None when it names none (no header: English)."""
    if not header:
        return None
    lang = negotiate(header)
    if lang != DEFAULT_LANGUAGE:
        return lang
    for part in header.split(",")[:20]:  # Swedish is also negotiate's fallback: was it asked for?
        tag, _sep, params = part.strip().partition(";")
        if supported(tag) != lang:
            continue
        q = params.strip()
        try:
            weight = float(q[2:]) if q.startswith("q=") else 1.0
        except ValueError:
            weight = 0.0
        if weight > 0:
            return lang
    return None


def localised(request: Request, kwargs: dict[str, Any], status: int) -> tuple[dict[str, Any], dict[str, str]]:
    """The title and detail in the language the request asks for where a catalog has the exact text, and the
    Content-Language header to add (none without Accept-Language)."""
    lang = _asked_language(request.headers.get("accept-language"))
    if lang is None:
        return kwargs, {}
    title = kwargs.get("title") or HTTPStatus(status).phrase
    if lang == "en":
        return {**kwargs, "title": title}, {"Content-Language": "en"}
    catalogs = (*getattr(request.app.state, "problem_catalogs", ()), kit_catalogs())

    def say(text: str) -> str | None:
        for catalog in catalogs:
            translated = catalog.get(lang)(text)
            if translated != text:
                return translated
        return None

    out = dict(kwargs)
    said_title = say(title)
    out["title"] = said_title or title
    if kwargs.get("detail"):
        out["detail"] = say(kwargs["detail"]) or kwargs["detail"]
    return out, {"Content-Language": lang if said_title else "en"}


def localised_response(request: Request, status: int, *, headers: Mapping[str, str] | None = None,
                       **kwargs: Any) -> ProblemResponse:
    kwargs, language = localised(request, kwargs, status)
    return ProblemResponse(status, headers={**(headers or {}), **language}, **kwargs)


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

    def response(self, instance: str | None = None, request: Request | None = None) -> ProblemResponse:
        answer = functools.partial(localised_response, request) if request is not None else ProblemResponse
        return answer(
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


# SQLSTATE classes and codes that say "not now" rather than "wrong": connection exceptions (08), insufficient
# resources (53: too many connections, out of memory), the server starting up or shutting down (57P01-57P03), and
# the transaction losing a serialization race or a deadlock (40001, 40P01), which a retry resolves.
_RETRYABLE_CLASSES = ("08", "53")
_RETRYABLE_STATES = frozenset({"57P01", "57P02", "57P03", "40001", "40P01"})


def unavailable_cause(exc: BaseException) -> str | None:
    """The name of the error when ``exc`` (or what it wraps) means the database is saturated or away — the pool
    had no connection free in time, the server refused or dropped the connection — else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 8:
        seen.add(id(current))
        if isinstance(current, SQLAlchemyPoolTimeout | ConnectionRefusedError | ConnectionResetError):
            return type(current).__name__
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str) and (state[:2] in _RETRYABLE_CLASSES or state in _RETRYABLE_STATES):
            return type(current).__name__
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return None


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Problem) -> Response:
        return exc.response(instance=request.url.path, request=request)

    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else None
        if detail == HTTPStatus(exc.status_code).phrase:
            detail = None
        return localised_response(
            request, exc.status_code, detail=detail, instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    async def on_validation(request: Request, exc: RequestValidationError) -> Response:
        return localised_response(
            request,
            422,
            title="Invalid request",
            detail="One or more fields are invalid.",
            instance=request.url.path,
            errors=validation_errors(exc.errors()),
        )

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        if (why := unavailable_cause(exc)) is not None:
            # Not a fault in the request or the code: the database is saturated or away. Say so, and when to retry.
            log.warning("database unavailable", extra={"path": request.url.path, "error": why})
            return localised_response(
                request, 503,
                detail="The service is busy or its database is unavailable. Try again in a moment.",
                headers={"Retry-After": "1"},
            )
        log.exception("unhandled error", extra={"path": request.url.path})
        return localised_response(
            request,
            500,
            title="Internal error",
            detail="Something went wrong on our side. Quote the request id if you contact us.",
        )

    app.add_exception_handler(Problem, on_problem)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, on_http)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, on_unexpected)


# --- the problems in each service's OpenAPI document ------------------------------------------------------------
# One place says which error answers an operation documents, so no route has to list them and the documents of all
# services agree. What an operation can answer follows from what it has: a token check (401, 403, 404), path
# parameters (404), parameters or a body (400, 422), a body (413), a state it changes (409), an If-Match header
# (412, 428). A route may document more itself (``responses={503: ...}``); those are given the problem schema too.

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details. `type` is stable per kind of error; validation errors list the fields.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "examples": ["urn:bistand:problem:validation-error"]},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string"}, "message": {"type": "string"}, "code": {"type": "string"}}}},
    },
    "additionalProperties": True,
}
_DESCRIBED = {
    400: "The request cannot be read (a body that is not JSON, a malformed parameter or cursor)",
    401: "No valid bearer token",
    403: "The caller may not do this",
    404: "No such resource, or not one the caller may see (the two are not told apart)",
    409: "The request conflicts with the resource's current state",
    412: "If-Match does not match the current version",
    413: "The body is too large",
    422: "Invalid input: `errors` names each field",
    428: "If-Match is required",
}
_CHANGES = frozenset({"post", "put", "patch", "delete"})
_METHODS = _CHANGES | {"get", "head", "options"}


def _problem_response(status: int, description: str | None = None) -> dict[str, Any]:
    return {"description": description or _DESCRIBED.get(status) or HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def document_problems(document: dict[str, Any], authenticated: set[tuple[str, str]]) -> dict[str, Any]:
    """Add the problem+json answers to every operation of ``document`` (in place) and return it.

    ``authenticated``: the (method, path) pairs whose route checks a token. FastAPI's own 422 (a
    `HTTPValidationError` body in application/json) is replaced: our validation errors are problems.
    """
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = copy.deepcopy(PROBLEM_SCHEMA)  # documents are edited later (the gateway prefixes refs)
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            parameters = operation.get("parameters", []) + item.get("parameters", [])
            statuses: set[int] = set()
            if (method, path) in authenticated:
                # A signed-in caller may name something (in the path, the query or the body, or "my" contact) that
                # does not exist or is not theirs: 404, the same answer for both.
                statuses |= {401, 403, 404}
            if any(p.get("in") == "path" for p in parameters):
                statuses.add(404)
            if parameters or "requestBody" in operation:
                statuses |= {400, 422}
            if "requestBody" in operation:
                statuses.add(413)
            if method in _CHANGES:
                statuses.add(409)
            if any(p.get("in") == "header" and p.get("name", "").lower() == "if-match" for p in parameters):
                statuses |= {412, 428}
            responses = operation.setdefault("responses", {})
            for code in list(responses):
                if code.isdigit() and int(code) >= 400:  # declared by the route: keep its words, use our schema
                    responses[code] = _problem_response(int(code), responses[code].get("description"))
            for status in sorted(statuses):
                responses.setdefault(str(status), _problem_response(status))
            if "422" in responses:
                responses["422"] = _problem_response(422)
    return document


async def domain_problem(request: Request, exc: Exception) -> Response:
    """The one answer to a broken domain rule: any exception with ``status``, ``code``, ``title``, ``detail`` and
    ``extra`` (a service's DomainError). Its extra members join the body; a 429 says when to retry."""
    status: int = getattr(exc, "status", 409)
    extra: dict[str, Any] = dict(getattr(exc, "extra", {}))
    headers = {"Retry-After": str(extra["retry_after"])} if status == 429 and "retry_after" in extra else {}
    return localised_response(request, status, slug=getattr(exc, "code", "domain-error"),
                              title=getattr(exc, "title", "Conflict"), detail=getattr(exc, "detail", str(exc)),
                              instance=request.url.path, headers=headers, **extra)
