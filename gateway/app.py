"""The gateway: one entry for every front-end.

A raw ASGI app (no framework routing on the hot path) that checks the bearer token at the edge,
applies body and rate limits, and streams requests and responses to the service named by the
path (``/api/<service>/...``) over a pooled aiohttp client. Its own endpoints: ``/livez``,
``/readyz`` (are the services ready?), ``/openapi.json`` (all services merged), ``/docs``,
``/metrics``.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import time
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson
from starlette.types import Message, Receive, Scope, Send
from yarl import URL

from gateway import docs, openapi
from gateway.paths import invalid_path, matches
from gateway.ratelimit import make_limits
from gateway.settings import GatewaySettings
from kit import tracing
from kit.auth import TokenRejected, TokenVerifier, bearer_token
from kit.context import accept_or_make_request_id, request_id_var
from kit.logs import configure_logging
from kit.metrics import Metrics
from kit.middleware import send_problem

log = logging.getLogger("gateway")

HOP_BY_HOP = frozenset({
    b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te",
    b"trailer", b"transfer-encoding", b"upgrade", b"host",
})
# Incoming headers the gateway owns (a client may not set them) or sets itself.
_REQUEST_SKIP = HOP_BY_HOP | {b"x-request-id", b"x-forwarded-for", b"x-forwarded-proto",
                              b"x-forwarded-host", b"content-length"}

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
_UPSTREAM_SKIP = HOP_BY_HOP | {b"content-length", b"server", b"date", b"x-request-id"}
_READ_WHOLE_UNDER = 256 * 1024
CORS_ALLOW_HEADERS = b"authorization, content-type, idempotency-key, if-match, if-none-match, x-request-id"
CORS_EXPOSE_HEADERS = b"x-request-id, retry-after, etag, location, content-disposition"
CORS_METHODS = b"GET, POST, PUT, PATCH, DELETE, OPTIONS"


class _ClientGone(Exception):
    pass


class Gateway:
    def __init__(self, settings: GatewaySettings | None = None,
                 verifier: TokenVerifier | None = None) -> None:
        self.settings = settings = settings or GatewaySettings()
        self.services = settings.service_urls()
        self.replicas = settings.service_replicas()
        self._turns = {name: itertools.cycle(urls) for name, urls in self.replicas.items()}
        self.public = settings.public_route_list()
        self.streams = settings.stream_route_list()
        self.cors = settings.cors_origin_set()
        self.verifier = verifier or TokenVerifier(
            issuer=settings.auth_issuer, audience=settings.auth_audience,
            jwks_url=settings.jwks_url, leeway_seconds=settings.auth_leeway_seconds)
        self.limits = make_limits({
            "ip": (settings.rate_per_ip_per_second, settings.rate_per_ip_burst),
            "client": (settings.rate_per_client_per_second, settings.rate_per_client_burst),
            "public": (settings.rate_public_per_minute / 60.0, settings.rate_public_burst),
        }, settings.shared_redis_url(), prefix=settings.redis_prefix)
        self.metrics = Metrics("gateway")
        self.http: aiohttp.ClientSession | None = None
        self._openapi: tuple[float, bytes] | None = None
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=settings.connect_timeout_seconds,
                                              sock_read=settings.read_timeout_seconds)
        self._stream_timeout = aiohttp.ClientTimeout(total=None,
                                                     sock_connect=settings.connect_timeout_seconds)

    # -- lifecycle -------------------------------------------------------------------------
    async def startup(self) -> None:
        connector = aiohttp.TCPConnector(limit=self.settings.upstream_pool_size,
                                         limit_per_host=self.settings.upstream_pool_size,
                                         keepalive_timeout=30, ttl_dns_cache=300)
        self.http = aiohttp.ClientSession(connector=connector, auto_decompress=False,
                                          skip_auto_headers=("User-Agent", "Accept-Encoding"))
        gc.collect()
        gc.freeze()  # start-up objects live as long as the process: keep them out of full collections (tail latency)

    async def shutdown(self) -> None:
        if self.http is not None:
            await self.http.close()
        await self.limits.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        rid = accept_or_make_request_id(_header(scope, b"x-request-id"))
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status_box = [500]
        extra = [(b"x-request-id", rid.encode()),
                 *(DOCS_HEADERS if scope["path"] in _DOCS_PAGES else SECURITY_HEADERS)]
        origin = _header(scope, b"origin")
        if origin and origin in self.cors:
            extra += [(b"access-control-allow-origin", origin.encode()), (b"vary", b"Origin"),
                      (b"access-control-expose-headers", CORS_EXPOSE_HEADERS)]

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
                await self._local(scope, send_out)
        except _ClientGone:
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

    # -- the proxy -------------------------------------------------------------------------
    async def _proxy(self, scope: Scope, receive: Receive, send: Send, rid: str) -> None:
        path: str = scope["path"]
        parts = path.split("/", 3)  # ["", "api", service, rest]
        turns = self._turns.get(parts[2]) if len(parts) > 2 else None
        base = next(turns) if turns is not None else None
        if base is None:
            await send_problem(send, 404, detail="No such service.")
            return
        if len(parts) > 3 and parts[3].split("/", 1)[0] in _INSIDE_ONLY:
            # Service-to-service routes and the scrape endpoint answer inside the cluster, never through the edge.
            await send_problem(send, 404, detail="No such path.")
            return
        method: str = scope["method"]
        if method == "OPTIONS" and _header(scope, b"access-control-request-method"):
            await self._preflight(scope, send)
            return

        ip = self._client_ip(scope)
        public = matches(self.public, method, path)
        wait = await self.limits.take("ip", ip)
        if not wait and public:
            wait = await self.limits.take("public", ip)
        if wait:
            await _too_many(send, wait)
            return

        authorization = _header(scope, b"authorization")
        if not public or authorization:
            raw = bearer_token(authorization)
            if raw is None:
                await send_problem(send, 401, detail="A valid bearer token is required.",
                                   headers=[(b"www-authenticate", b'Bearer realm="bistand"')])
                return
            try:
                principal = await self.verifier.verify(raw)
            except TokenRejected:
                await send_problem(send, 401, detail="The token is not valid.",
                                   headers=[(b"www-authenticate", b'Bearer realm="bistand"')])
                return
            wait = await self.limits.take("client", principal.sub)
            if wait:
                await _too_many(send, wait)
                return

        declared = _header(scope, b"content-length")
        limit = self.settings.max_body_bytes
        if declared is not None:
            if not declared.isdigit():
                await send_problem(send, 400, detail="Invalid Content-Length.")
                return
            if int(declared) > limit:
                await send_problem(send, 413, detail=f"The body is larger than {limit} bytes.")
                return

        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]
                   if k not in _REQUEST_SKIP]
        headers += [("x-request-id", rid), ("x-forwarded-for", ip),
                    ("x-forwarded-proto", scope.get("scheme", "http"))]
        host = _header(scope, b"host")
        if host:
            headers.append(("x-forwarded-host", host))
        body: Any = None
        has_body = declared not in (None, "0") or _header(scope, b"transfer-encoding") is not None
        if has_body:
            if declared is not None and int(declared) <= self.settings.buffer_body_under_bytes:
                body = await _read_all(receive)  # aiohttp sets Content-Length for bytes
            else:
                body = _StreamedBody(receive, limit)
                if declared is not None:  # keep it, so the service can refuse early
                    headers.append(("content-length", declared))

        url = URL(base + _upstream_target(scope), encoded=True)  # as validated: not re-encoded, not normalised
        # Only the routes that stream go without a read timeout; an Accept header does not make a route one.
        streaming = matches(self.streams, method, path)
        assert self.http is not None
        try:
            response = await self.http.request(
                method, url, headers=headers, data=body, allow_redirects=False,
                timeout=self._stream_timeout if streaming else self._timeout)
        except (_BodyTooLarge, _ClientGone, aiohttp.ClientError, TimeoutError) as exc:
            if isinstance(body, _StreamedBody) and body.client_gone:
                raise _ClientGone from exc
            if isinstance(exc, _BodyTooLarge) or (isinstance(body, _StreamedBody) and body.too_large):
                await send_problem(send, 413, detail=f"The body is larger than {limit} bytes.")
                return
            await self._upstream_failed(send, parts[2], exc)
            return

        async with response:
            out_headers = [(k, v) for k, v in response.raw_headers
                           if k.lower() not in _UPSTREAM_SKIP]
            if b"cache-control" not in {k.lower() for k, _ in out_headers}:
                out_headers.append((b"cache-control", b"no-store"))
            length = response.content_length
            if length is not None and length <= _READ_WHOLE_UNDER and method != "HEAD":
                # Small answers (most of them) in one piece: fewer sends, less per-request work.
                try:
                    payload = await response.read()
                except (aiohttp.ClientError, TimeoutError) as exc:
                    await self._upstream_failed(send, parts[2], exc)
                    return
                out_headers.append((b"content-length", str(len(payload)).encode()))
                await send({"type": "http.response.start", "status": response.status,
                            "headers": out_headers})
                await send({"type": "http.response.body", "body": payload})
                return
            if length is not None:
                out_headers.append((b"content-length", str(length).encode()))
            await send({"type": "http.response.start", "status": response.status,
                        "headers": out_headers})
            try:
                async for chunk in response.content.iter_any():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except (aiohttp.ClientError, TimeoutError):
                # Headers are gone; all we can do is end the stream early.
                log.warning("upstream broke mid-response", extra={"service": parts[2]})
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    @staticmethod
    async def _upstream_failed(send: Send, service: str, exc: BaseException) -> None:
        if isinstance(exc, aiohttp.ServerTimeoutError | TimeoutError):
            await send_problem(send, 504, slug="upstream-timeout", title="Service timed out",
                               detail=f"The {service} service did not answer in time.")
        else:
            await send_problem(send, 502, slug="upstream-unavailable", title="Service unavailable",
                               detail=f"The {service} service could not be reached.")

    async def _preflight(self, scope: Scope, send: Send) -> None:
        origin = _header(scope, b"origin")
        if not origin or origin not in self.cors:
            await send_problem(send, 403, slug="cors-origin-denied", title="Origin not allowed")
            return
        await send({"type": "http.response.start", "status": 204, "headers": [
            (b"access-control-allow-methods", CORS_METHODS),
            (b"access-control-allow-headers", CORS_ALLOW_HEADERS),
            (b"access-control-max-age", b"600")]})
        await send({"type": "http.response.body", "body": b""})

    def _client_ip(self, scope: Scope) -> str:
        hops = self.settings.trusted_proxies
        if hops:
            forwarded = _header(scope, b"x-forwarded-for")
            if forwarded:
                chain = [p.strip() for p in forwarded.split(",")]
                if len(chain) >= hops:
                    return chain[-hops]
        client = scope.get("client")
        return client[0] if client else "unknown"

    # -- the gateway's own endpoints -------------------------------------------------------
    async def _local(self, scope: Scope, send: Send) -> None:
        path = scope["path"]
        if scope["method"] not in ("GET", "HEAD"):
            await send_problem(send, 405 if path in _LOCAL else 404)
            return
        if path == "/livez":
            await _json(send, 200, {"status": "ok"})
        elif path == "/readyz":
            await self._readyz(send)
        elif path == "/openapi.json":
            await _raw(send, 200, await self._merged_openapi(), b"application/json")
        elif path == "/docs":
            await _raw(send, 200, docs.swagger_page("Bistånd API"), b"text/html; charset=utf-8")
        elif path == "/redoc":
            await _raw(send, 200, docs.redoc_page("Bistånd API"), b"text/html; charset=utf-8")
        elif path.startswith(docs.PREFIX) and (found := docs.asset(path.removeprefix(docs.PREFIX))):
            content, content_type = found
            await _raw(send, 200, content, content_type,
                       extra=[(b"cache-control", b"public, max-age=86400")])
        elif path == "/metrics":
            await _raw(send, 200, self.metrics.render(), b"text/plain; version=0.0.4")
        else:
            await send_problem(send, 404, detail="No such path. Services are under /api/<service>/.")

    async def _readyz(self, send: Send) -> None:
        assert self.http is not None
        timeout = aiohttp.ClientTimeout(total=2.0)

        async def ready(url: str) -> str:
            try:
                async with self.http.get(f"{url}/readyz", timeout=timeout) as response:  # type: ignore[union-attr]
                    return "ready" if response.status == 200 else f"not ready ({response.status})"
            except (aiohttp.ClientError, TimeoutError):
                return "unreachable"

        async def service_state(name: str) -> str:
            # Ready while any replica is: the others' state is said, so ops see a replica that is down.
            answers = await asyncio.gather(*(ready(u) for u in self.replicas[name]))
            up = sum(a == "ready" for a in answers)
            if up == len(answers):
                return "ready"
            return f"ready ({up} of {len(answers)})" if up else answers[0]

        names = list(self.services)
        states = dict(zip(names, await asyncio.gather(*(service_state(n) for n in names)), strict=True))
        if all(state.startswith("ready") for state in states.values()):
            await _json(send, 200, {"status": "ready", "services": states})
        else:
            await send_problem(send, 503, slug="not-ready", title="Not ready",
                               detail="One or more services are not ready.", services=states)

    async def _merged_openapi(self) -> bytes:
        now = time.monotonic()
        if self._openapi and now - self._openapi[0] < 30:
            return self._openapi[1]
        assert self.http is not None
        documents = await openapi.fetch_all(self.http, self.services)
        body = orjson.dumps(openapi.merge(documents, title="Bistånd API", version="0.1.0"))
        if all(documents.values()):
            self._openapi = (now, body)
        return body


# First path segments of a service that the gateway never forwards.
_INSIDE_ONLY = frozenset({"internal", "metrics"})
_LOCAL = frozenset({"/livez", "/readyz", "/openapi.json", "/docs", "/redoc", "/metrics"})
_DOCS_PAGES = frozenset({"/docs", "/redoc"})


class _BodyTooLarge(Exception):
    pass


# What a query may hold unescaped (RFC 3986 query: pchar, "/" and "?"), "%" kept so escapes pass unchanged.
_QUERY_SAFE = "-._~!$&'()*+,;=:@/?%"


def _upstream_target(scope: Scope) -> str:
    """The path after /api/<service> and the query, byte for byte as the client sent them (invalid_path has
    passed the path; a query byte that is not allowed raw is percent-encoded, nothing else changes)."""
    raw: bytes = scope.get("raw_path") or quote(scope["path"], safe="/:@!$&'()*+,;=~").encode()
    rest = raw.split(b"/", 3)
    target = "/" + (rest[3].decode("ascii") if len(rest) > 3 else "")
    query: bytes = scope.get("query_string") or b""
    if query:
        target += "?" + quote(query, safe=_QUERY_SAFE)
    return target


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def _read_all(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


class _StreamedBody:
    """The request body as an async iterator for aiohttp, counted against the cap.

    aiohttp wraps errors raised while sending, so the outcome is also kept on the object."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self.receive = receive
        self.limit = limit
        self.too_large = False
        self.client_gone = False

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        seen = 0
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                self.client_gone = True
                raise _ClientGone
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                self.too_large = True
                raise _BodyTooLarge
            if chunk:
                yield chunk
            if not message.get("more_body"):
                return


async def _too_many(send: Send, wait: float) -> None:
    seconds = max(1, int(wait + 0.999))
    await send_problem(send, 429, title="Too many requests",
                       detail=f"Slow down; try again in {seconds} s.",
                       headers=[(b"retry-after", str(seconds).encode())])


async def _json(send: Send, status: int, body: dict[str, Any]) -> None:
    await _raw(send, status, orjson.dumps(body), b"application/json")


async def _raw(send: Send, status: int, body: bytes, content_type: bytes,
               extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_app(settings: GatewaySettings | None = None,
               verifier: TokenVerifier | None = None) -> Any:
    """The gateway, in a server span per request when tracing is on (kit.tracing; OTEL_* variables)."""
    tracing.setup("gateway")
    return tracing.wrap_asgi(Gateway(settings, verifier))
