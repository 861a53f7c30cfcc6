"""Admission: what a request must pass before it is forwarded.

In this order, as each check is cheaper than the next and a refusal must not depend on a later one: the CORS
preflight (answered here, never forwarded), the rate limits per client address (and per address on public
routes), the bearer token (required unless the route is public; checked whenever one is sent) and the limit per
client, then the body's declared size.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import Scope, Send

from gateway.asgi import header
from gateway.paths import matches
from gateway.ratelimit import make_limits
from gateway.settings import GatewaySettings
from kit.auth import TokenRejected, TokenVerifier, bearer_token
from kit.middleware import send_problem

# x-representation: a representative names the representation they act under (contracts.representation.HEADER).
CORS_ALLOW_HEADERS = (b"authorization, content-type, idempotency-key, if-match, if-none-match, x-request-id, "
                      b"x-representation")
CORS_EXPOSE_HEADERS = b"x-request-id, retry-after, etag, location, content-disposition"
CORS_METHODS = b"GET, POST, PUT, PATCH, DELETE, OPTIONS"
_CHALLENGE = [(b"www-authenticate", b'Bearer realm="bistand"')]


@dataclass(frozen=True, slots=True)
class Admitted:
    """A request let in: who sent it (the address the limits counted) and the Content-Length it declared."""

    ip: str
    declared: str | None


class Admission:
    def __init__(self, settings: GatewaySettings, verifier: TokenVerifier | None = None) -> None:
        self.settings = settings
        self.public = settings.public_route_list()
        self.cors = settings.cors_origin_set()
        self.verifier = verifier or TokenVerifier(
            issuer=settings.auth_issuer, audience=settings.auth_audience,
            jwks_url=settings.jwks_url, leeway_seconds=settings.auth_leeway_seconds)
        self.limits = make_limits({
            "ip": (settings.rate_per_ip_per_second, settings.rate_per_ip_burst),
            "client": (settings.rate_per_client_per_second, settings.rate_per_client_burst),
            "public": (settings.rate_public_per_minute / 60.0, settings.rate_public_burst),
        }, settings.shared_redis_url(), prefix=settings.redis_prefix)

    async def close(self) -> None:
        await self.limits.close()

    async def admit(self, scope: Scope, send: Send) -> Admitted | None:
        """The request let in, or None once it has been answered (preflight, 429, 401, 400, 413)."""
        method: str = scope["method"]
        path: str = scope["path"]
        if method == "OPTIONS" and header(scope, b"access-control-request-method"):
            await self._preflight(scope, send)
            return None

        ip = self.client_ip(scope)
        public = matches(self.public, method, path)
        wait = await self.limits.take("ip", ip)
        if not wait and public:
            wait = await self.limits.take("public", ip)
        if wait:
            await _too_many(send, wait)
            return None

        authorization = header(scope, b"authorization")
        if not public or authorization:
            raw = bearer_token(authorization)
            if raw is None:
                await send_problem(send, 401, detail="A valid bearer token is required.", headers=_CHALLENGE)
                return None
            try:
                principal = await self.verifier.verify(raw)
            except TokenRejected:
                await send_problem(send, 401, detail="The token is not valid.", headers=_CHALLENGE)
                return None
            wait = await self.limits.take("client", principal.sub)
            if wait:
                await _too_many(send, wait)
                return None

        declared = header(scope, b"content-length")
        limit = self.settings.max_body_bytes
        if declared is not None:
            if not declared.isdigit():
                await send_problem(send, 400, detail="Invalid Content-Length.")
                return None
            if int(declared) > limit:
                await send_problem(send, 413, detail=f"The body is larger than {limit} bytes.")
                return None
        return Admitted(ip=ip, declared=declared)

    def cors_headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        """The CORS headers of an answer to an allowed origin (none for any other)."""
        origin = header(scope, b"origin")
        if origin and origin in self.cors:
            return [(b"access-control-allow-origin", origin.encode()), (b"vary", b"Origin"),
                    (b"access-control-expose-headers", CORS_EXPOSE_HEADERS)]
        return []

    def client_ip(self, scope: Scope) -> str:
        hops = self.settings.trusted_proxies
        if hops:
            forwarded = header(scope, b"x-forwarded-for")
            if forwarded:
                chain = [p.strip() for p in forwarded.split(",")]
                if len(chain) >= hops:
                    return chain[-hops]
        client = scope.get("client")
        return client[0] if client else "unknown"

    async def _preflight(self, scope: Scope, send: Send) -> None:
        origin = header(scope, b"origin")
        if not origin or origin not in self.cors:
            await send_problem(send, 403, slug="cors-origin-denied", title="Origin not allowed")
            return
        await send({"type": "http.response.start", "status": 204, "headers": [
            (b"access-control-allow-methods", CORS_METHODS),
            (b"access-control-allow-headers", CORS_ALLOW_HEADERS),
            (b"access-control-max-age", b"600")]})
        await send({"type": "http.response.body", "body": b""})


async def _too_many(send: Send, wait: float) -> None:
    seconds = max(1, int(wait + 0.999))
    await send_problem(send, 429, title="Too many requests",
                       detail=f"Slow down; try again in {seconds} s.",
                       headers=[(b"retry-after", str(seconds).encode())])
