"""Service-to-service HTTP: httpx with timeouts, the request id passed on, a service token.

Calls between services are few, so httpx's API is fine here (the gateway's hot path uses
aiohttp). Service tokens come from the IdP by client credentials and are cached until
shortly before they expire.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx

from kit.context import current_request_id


class ServiceTokenProvider:
    """Client-credentials tokens, one per audience (RFC 8707 ``resource``): a token asked for calculation is
    refused by messaging, so each target gets its own. ``for_audience`` gives what a client for one target needs."""

    def __init__(self, token_url: str, client_id: str, client_secret: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self._clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = asyncio.Lock()

    def for_audience(self, audience: str) -> AudienceTokens:
        return AudienceTokens(self, audience)

    def _cached(self, audience: str) -> str | None:
        cached = self._tokens.get(audience)
        if cached and self._clock() < cached[1] - 60:
            return cached[0]
        return None

    async def token(self, audience: str) -> str:
        token = self._cached(audience)
        if token:
            return token
        async with self._lock:
            token = self._cached(audience)
            if token:
                return token
            async with httpx.AsyncClient(timeout=5.0) as client:
                response = await client.post(self.token_url, data={
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "resource": audience,
                })
                response.raise_for_status()
                body = response.json()
            token = str(body["access_token"])
            self._tokens[audience] = (token, self._clock() + float(body.get("expires_in", 300)))
            return token


class AudienceTokens:
    """Tokens for one target service."""

    def __init__(self, provider: ServiceTokenProvider, audience: str) -> None:
        self.provider = provider
        self.audience = audience

    async def token(self) -> str:
        return await self.provider.token(self.audience)


def service_client(
    base_url: str,
    *,
    tokens: AudienceTokens | None = None,
    timeout_seconds: float = 5.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    async def add_context(request: httpx.Request) -> None:
        rid = current_request_id()
        if rid:
            request.headers["X-Request-ID"] = rid
        if tokens is not None and "authorization" not in request.headers:
            request.headers["Authorization"] = f"Bearer {await tokens.token()}"

    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout_seconds, connect=2.0),
        event_hooks={"request": [add_context]},
        transport=transport,
    )
