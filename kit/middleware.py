"""Raw ASGI middleware (cheap on the hot path): request id, access log, metrics, body cap."""

from __future__ import annotations

import logging
import time

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit.context import accept_or_make_request_id, request_id_var
from kit.metrics import Metrics
from kit.problems import problem_bytes

access_log = logging.getLogger("access")

# Paths that would drown the log (probes, scrapes) are not access-logged.
_QUIET = frozenset({"/livez", "/readyz", "/metrics"})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = accept_or_make_request_id(_header(scope, b"x-request-id"))
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 500
        rid_header = (b"x-request-id", rid.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), rid_header]
            await send(message)

        counted = self.metrics if scope["path"] not in _QUIET else None  # probes and scrapes are not in flight
        if counted is not None:
            counted.in_flight += 1
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if counted is not None:
                counted.in_flight -= 1
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            if self.metrics is not None:
                self.metrics.observe(template, scope["method"], status, elapsed)
            if scope["path"] not in _QUIET:
                access_log.info(
                    "request",
                    extra={"method": scope["method"], "route": template, "status": status,
                           "ms": round(elapsed * 1000, 2)},
                )
            request_id_var.reset(token)


class BodyTooLarge(HTTPException):
    """An HTTPException so that FastAPI's body parsing passes it on as a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The body is larger than {limit} bytes.")


class BodyLimitMiddleware:
    """Refuse bodies over the cap with 413, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await send_problem(send, 413, detail=f"The body is larger than {self.max_bytes} bytes.")
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await send_problem(send, 413,
                                   detail=f"The body is larger than {self.max_bytes} bytes.")


async def send_problem(send: Send, status: int, headers: list[tuple[bytes, bytes]] | None = None,
                       **kwargs: object) -> None:
    body = problem_bytes(status, **kwargs)  # type: ignore[arg-type]
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()), *(headers or [])],
    })
    await send({"type": "http.response.body", "body": body})
