"""Forwarding: a request let in goes to one replica of its service and the answer comes back.

The replica is chosen in turn (round-robin per service). The request's headers pass less the hop-by-hop ones and
those the gateway owns, which it sets itself (request id, X-Forwarded-*); a small body is read whole, a larger one
streams, counted against the cap. The target is the path after ``/api/<service>`` byte for byte as the client sent
it. Small answers come back in one piece, others stream; only the listed streaming routes go without a read
timeout. An unreachable or silent service is a 502 or 504.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any
from urllib.parse import quote

import aiohttp
from starlette.types import Receive, Scope, Send
from yarl import URL

from gateway.asgi import ClientGone, header
from gateway.paths import matches
from gateway.settings import GatewaySettings
from kit.middleware import send_problem

log = logging.getLogger("gateway")

HOP_BY_HOP = frozenset({
    b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te",
    b"trailer", b"transfer-encoding", b"upgrade", b"host",
})
# Incoming headers the gateway owns (a client may not set them) or sets itself.
_REQUEST_SKIP = HOP_BY_HOP | {b"x-request-id", b"x-forwarded-for", b"x-forwarded-proto",
                              b"x-forwarded-host", b"content-length"}
_UPSTREAM_SKIP = HOP_BY_HOP | {b"content-length", b"server", b"date", b"x-request-id"}
_READ_WHOLE_UNDER = 256 * 1024
# First path segments of a service that the gateway never forwards.
_INSIDE_ONLY = frozenset({"internal", "metrics"})
# What a query may hold unescaped (RFC 3986 query: pchar, "/" and "?"), "%" kept so escapes pass unchanged.
_QUERY_SAFE = "-._~!$&'()*+,;=:@/?%"


def inside_only(rest: str) -> bool:
    """Service-to-service routes and the scrape endpoint answer inside the cluster, never through the edge
    (``rest``: the path after ``/api/<service>/``)."""
    return rest.split("/", 1)[0] in _INSIDE_ONLY


class Forwarder:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.replicas = settings.service_replicas()
        self._turns = {name: itertools.cycle(urls) for name, urls in self.replicas.items()}
        self.streams = settings.stream_route_list()
        self.http: aiohttp.ClientSession | None = None
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=settings.connect_timeout_seconds,
                                              sock_read=settings.read_timeout_seconds)
        self._stream_timeout = aiohttp.ClientTimeout(total=None,
                                                     sock_connect=settings.connect_timeout_seconds)

    async def startup(self) -> None:
        connector = aiohttp.TCPConnector(limit=self.settings.upstream_pool_size,
                                         limit_per_host=self.settings.upstream_pool_size,
                                         keepalive_timeout=30, ttl_dns_cache=300)
        self.http = aiohttp.ClientSession(connector=connector, auto_decompress=False,
                                          skip_auto_headers=("User-Agent", "Accept-Encoding"))

    async def shutdown(self) -> None:
        if self.http is not None:
            await self.http.close()

    def next_replica(self, service: str | None) -> str | None:
        """The base URL of the replica whose turn it is, or None for no such service."""
        turns = self._turns.get(service) if service is not None else None
        return next(turns) if turns is not None else None

    async def forward(self, scope: Scope, receive: Receive, send: Send, *,
                      base: str, service: str, rid: str, ip: str, declared: str | None) -> None:
        method: str = scope["method"]
        path: str = scope["path"]
        limit = self.settings.max_body_bytes
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]
                   if k not in _REQUEST_SKIP]
        headers += [("x-request-id", rid), ("x-forwarded-for", ip),
                    ("x-forwarded-proto", scope.get("scheme", "http"))]
        host = header(scope, b"host")
        if host:
            headers.append(("x-forwarded-host", host))
        body: Any = None
        has_body = declared not in (None, "0") or header(scope, b"transfer-encoding") is not None
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
        except (_BodyTooLarge, ClientGone, aiohttp.ClientError, TimeoutError) as exc:
            if isinstance(body, _StreamedBody) and body.client_gone:
                raise ClientGone from exc
            if isinstance(exc, _BodyTooLarge) or (isinstance(body, _StreamedBody) and body.too_large):
                await send_problem(send, 413, detail=f"The body is larger than {limit} bytes.")
                return
            await _upstream_failed(send, service, exc)
            return

        async with response:
            await _answer(send, response, method, service)


async def _answer(send: Send, response: aiohttp.ClientResponse, method: str, service: str) -> None:
    """The service's answer passed back: its headers less the hop-by-hop ones, its body whole or streamed."""
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
            await _upstream_failed(send, service, exc)
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
        log.warning("upstream broke mid-response", extra={"service": service})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _upstream_failed(send: Send, service: str, exc: BaseException) -> None:
    if isinstance(exc, aiohttp.ServerTimeoutError | TimeoutError):
        await send_problem(send, 504, slug="upstream-timeout", title="Service timed out",
                           detail=f"The {service} service did not answer in time.")
    else:
        await send_problem(send, 502, slug="upstream-unavailable", title="Service unavailable",
                           detail=f"The {service} service could not be reached.")


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


class _BodyTooLarge(Exception):
    pass


async def _read_all(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
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
                raise ClientGone
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                self.too_large = True
                raise _BodyTooLarge
            if chunk:
                yield chunk
            if not message.get("more_body"):
                return
