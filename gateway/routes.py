"""The gateway's own routes: ``/livez``, ``/readyz`` (are the services ready?), ``/openapi.json`` (all services
merged), ``/docs`` and ``/redoc`` (with their assets) and ``/metrics``. Everything else outside ``/api/`` is 404."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import orjson
from starlette.types import Scope, Send

from gateway import docs, openapi
from gateway.asgi import send_json, send_raw
from gateway.forwarding import Forwarder
from kit.metrics import Metrics
from kit.middleware import send_problem

LOCAL = frozenset({"/livez", "/readyz", "/openapi.json", "/docs", "/redoc", "/metrics"})
DOCS_PAGES = frozenset({"/docs", "/redoc"})
_OPENAPI_FRESH_SECONDS = 30


class OwnRoutes:
    """Answers the gateway's own paths; asks the services over the forwarder's connection pool."""

    def __init__(self, services: dict[str, str], forwarder: Forwarder, metrics: Metrics) -> None:
        self.services = services
        self.forwarder = forwarder
        self.metrics = metrics
        self._openapi: tuple[float, bytes] | None = None

    async def serve(self, scope: Scope, send: Send) -> None:
        path = scope["path"]
        if scope["method"] not in ("GET", "HEAD"):
            await send_problem(send, 405 if path in LOCAL else 404)
            return
        if path == "/livez":
            await send_json(send, 200, {"status": "ok"})
        elif path == "/readyz":
            await self._readyz(send)
        elif path == "/openapi.json":
            await send_raw(send, 200, await self._merged_openapi(), b"application/json")
        elif path == "/docs":
            await send_raw(send, 200, docs.swagger_page("Bistånd API"), b"text/html; charset=utf-8")
        elif path == "/redoc":
            await send_raw(send, 200, docs.redoc_page("Bistånd API"), b"text/html; charset=utf-8")
        elif path.startswith(docs.PREFIX) and (found := docs.asset(path.removeprefix(docs.PREFIX))):
            content, content_type = found
            await send_raw(send, 200, content, content_type,
                           extra=[(b"cache-control", b"public, max-age=86400")])
        elif path == "/metrics":
            await send_raw(send, 200, self.metrics.render(), b"text/plain; version=0.0.4")
        else:
            await send_problem(send, 404, detail="No such path. Services are under /api/<service>/.")

    async def _readyz(self, send: Send) -> None:
        http = self.forwarder.http
        assert http is not None
        timeout = aiohttp.ClientTimeout(total=2.0)

        async def ready(url: str) -> str:
            try:
                async with http.get(f"{url}/readyz", timeout=timeout) as response:
                    return "ready" if response.status == 200 else f"not ready ({response.status})"
            except (aiohttp.ClientError, TimeoutError):
                return "unreachable"

        async def service_state(name: str) -> str:
            # Ready while any replica is: the others' state is said, so ops see a replica that is down.
            answers = await asyncio.gather(*(ready(u) for u in self.forwarder.replicas[name]))
            up = sum(a == "ready" for a in answers)
            if up == len(answers):
                return "ready"
            return f"ready ({up} of {len(answers)})" if up else answers[0]

        names = list(self.services)
        states = dict(zip(names, await asyncio.gather(*(service_state(n) for n in names)), strict=True))
        if all(state.startswith("ready") for state in states.values()):
            await send_json(send, 200, {"status": "ready", "services": states})
        else:
            await send_problem(send, 503, slug="not-ready", title="Not ready",
                               detail="One or more services are not ready.", services=states)

    async def _merged_openapi(self) -> bytes:
        now = time.monotonic()
        if self._openapi and now - self._openapi[0] < _OPENAPI_FRESH_SECONDS:
            return self._openapi[1]
        assert self.forwarder.http is not None
        documents = await openapi.fetch_all(self.forwarder.http, self.services)
        body = orjson.dumps(openapi.merge(documents, title="Bistånd API", version="0.1.0"))
        if all(documents.values()):
            self._openapi = (now, body)
        return body
