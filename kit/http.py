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
    def __init__(self, token_url: str, client_id: str, client_secret: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        if self._token and self._clock() < self._expires_at - 60:
            return self._token
        async with self._lock:
            if self._token and self._clock() < self._expires_at - 60:
                return self._token
            async with httpx.AsyncClient(timeout=5.0) as client:
                response = await client.post(self.token_url, data={
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                })
                response.raise_for_status()
                body = response.json()
            self._token = body["access_token"]
            self._expires_at = self._clock() + float(body.get("expires_in", 300))
            return self._token


def service_client(
    base_url: str,
    *,
    tokens: ServiceTokenProvider | None = None,
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
