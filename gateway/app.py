"""The gateway: one entry for every front-end.

A raw ASGI app (no framework routing on the hot path) in three parts: admission (gateway/admission.py: CORS
preflight, rate limits, the bearer token, the declared body size), forwarding (gateway/forwarding.py: the
request and the answer streamed to and from a replica of the service named by the path, ``/api/<service>/...``,
over a pooled aiohttp client) and its own routes (gateway/routes.py: ``/livez``, ``/readyz``,
``/openapi.json``, ``/docs``, ``/redoc``, ``/metrics``). Here: the path check, the headers every answer carries,
the metrics and the lifespan.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from gateway import docs
from gateway.admission import Admission
from gateway.asgi import ClientGone, header
from gateway.forwarding import Forwarder, inside_only
from gateway.paths import invalid_path
from gateway.routes import DOCS_PAGES, OwnRoutes
from gateway.settings import GatewaySettings
from kit import collector, tracing
from kit.auth import TokenVerifier
from kit.context import accept_or_make_request_id, request_id_var
from kit.logs import configure_logging
from kit.metrics import Metrics
from kit.middleware import send_problem

log = logging.getLogger("gateway")

SECURITY_HEADERS = [
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-resource-policy", b"same-site"),
]
# The docs pages run Swagger UI / ReDoc from the gateway's own assets: their policy allows this origin only.
DOCS_HEADERS = [h for h in SECURITY_HEADERS if h[0] != b"content-security-policy"] + [
    (b"content-security-policy", docs.POLICY),
]


class Gateway:
    def __init__(self, settings: GatewaySettings | None = None,
                 verifier: TokenVerifier | None = None) -> None:
        self.settings = settings = settings or GatewaySettings()
        self.services = settings.service_urls()
        self.metrics = Metrics("gateway")
        self.admission = Admission(settings, verifier)
        self.forwarder = Forwarder(settings)
        self.routes = OwnRoutes(self.services, self.forwarder, self.metrics)

    # -- lifecycle -------------------------------------------------------------------------
    async def startup(self) -> None:
        await self.forwarder.startup()
        collector.settle(self.settings.gc_threshold)  # start-up's objects out of the collector's reach

    async def shutdown(self) -> None:
        await self.forwarder.shutdown()
        await self.admission.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        rid = accept_or_make_request_id(header(scope, b"x-request-id"))
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status_box = [500]
        extra = [(b"x-request-id", rid.encode()),
                 *(DOCS_HEADERS if scope["path"] in DOCS_PAGES else SECURITY_HEADERS),
                 *self.admission.cors_headers(scope)]

        async def send_out(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        route = "local"
        try:
            path: str = scope["path"]
            reason = invalid_path(path, scope.get("raw_path"))
            if reason:
                # Before the public-path decision and the routing: the gateway and the service must read
                # one path the same way, so one that could be read in two is not passed on.
                route = "invalid"
                await send_problem(send_out, 400, slug="invalid-path", title="Invalid path",
                                   detail=f"Not a path this API uses: {reason}.")
            elif path.startswith("/api/"):
                service = path.split("/", 3)[2]
                route = service if service in self.services else "unknown"
                await self._proxy(scope, receive, send_out, rid)
            else:
                await self.routes.serve(scope, send_out)
        except ClientGone:
            status_box[0] = 499
        except Exception:
            log.exception("gateway error")
            if status_box[0] == 500:
                await send_problem(send_out, 500, detail="The gateway failed. Quote the request id.")
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.observe(route, scope["method"], status_box[0], elapsed)
            request_id_var.reset(token)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                configure_logging("gateway", self.settings.log_level)
                await self.startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _proxy(self, scope: Scope, receive: Receive, send: Send, rid: str) -> None:
        """A request under /api/: to a service that exists, on a path the edge forwards, once admitted."""
        parts = scope["path"].split("/", 3)  # ["", "api", service, rest]
        service = parts[2] if len(parts) > 2 else None
        base = self.forwarder.next_replica(service)
        if base is None or service is None:
            await send_problem(send, 404, detail="No such service.")
            return
        if len(parts) > 3 and inside_only(parts[3]):
            await send_problem(send, 404, detail="No such path.")
            return
        admitted = await self.admission.admit(scope, send)
        if admitted is None:
            return
        await self.forwarder.forward(scope, receive, send, base=base, service=service, rid=rid,
                                     ip=admitted.ip, declared=admitted.declared)


def create_app(settings: GatewaySettings | None = None,
               verifier: TokenVerifier | None = None) -> Any:
    """The gateway, in a server span per request when tracing is on (kit.tracing; OTEL_* variables)."""
    tracing.setup("gateway")
    return tracing.wrap_asgi(Gateway(settings, verifier))
