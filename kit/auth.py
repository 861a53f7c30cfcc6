"""Bearer token verification: RS256 only, issuer, audience, expiry; JWKS cached with rotation.

Used at the gateway (the edge) and again in every service (defence in depth). A verified
token is cached by its hash until it expires, so a busy client costs one signature check.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import Request
from jose import jwk, jwt
from jose.exceptions import JOSEError

from kit.problems import Problem

ALGORITHM = "RS256"  # pinned: never taken from the token


class TokenRejected(Exception):
    """The token is not acceptable; the reason is for logs, never for the caller."""


@dataclass(frozen=True, slots=True)
class Principal:
    sub: str
    roles: frozenset[str]
    unit: str | None = None
    units: frozenset[str] = frozenset()
    permissions: frozenset[str] = frozenset()
    personal_number: str | None = field(default=None, repr=False)
    name: str | None = field(default=None, repr=False)
    expires_at: float = 0.0
    claims: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_service(self) -> bool:
        return "service" in self.roles

    @property
    def client_id(self) -> str:
        """For a service token: the calling service's client id (the claim, else from the subject)."""
        return str(self.claims.get("client_id") or self.sub.removeprefix("service:"))

    def has_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        roles = claims.get("roles") or []
        if isinstance(roles, str):
            roles = roles.split()
        unit = claims.get("unit")
        units = set(claims.get("units") or [])
        if unit:
            units.add(unit)
        return cls(
            sub=str(claims["sub"]),
            roles=frozenset(roles),
            unit=unit,
            units=frozenset(units),
            permissions=frozenset(claims.get("permissions") or []),
            personal_number=claims.get("personal_number"),
            name=claims.get("name"),
            expires_at=float(claims.get("exp", 0)),
            claims=claims,
        )


JwksFetcher = Callable[[], Awaitable[dict[str, Any]]]


class TokenVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_url: str | None = None,
        fetch_jwks: JwksFetcher | None = None,
        leeway_seconds: int = 30,
        min_refresh_seconds: float = 5.0,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if fetch_jwks is None:
            if jwks_url is None:
                raise ValueError("jwks_url or fetch_jwks is required")
            fetch_jwks = _http_jwks_fetcher(jwks_url)
        self.issuer = issuer
        self.audience = audience
        self._fetch = fetch_jwks
        self._leeway = leeway_seconds
        self._min_refresh = min_refresh_seconds
        self._clock = clock
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")
        self._refresh_lock = asyncio.Lock()
        self._cache: OrderedDict[bytes, Principal] = OrderedDict()
        self._cache_size = cache_size

    async def verify(self, token: str) -> Principal:
        digest = hashlib.sha256(token.encode()).digest()
        cached = self._cache.get(digest)
        now = self._clock()
        if cached is not None:
            if cached.expires_at + self._leeway > now:
                return cached
            del self._cache[digest]
        principal = await self._verify_uncached(token)
        self._cache[digest] = principal
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return principal

    async def _verify_uncached(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except JOSEError as exc:
            raise TokenRejected(f"malformed token: {exc}") from exc
        if header.get("alg") != ALGORITHM:
            raise TokenRejected(f"algorithm {header.get('alg')!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise TokenRejected("token has no key id")
        key = await self._key(kid)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={
                    "leeway": self._leeway,
                    "require_exp": True,
                    "require_iat": True,
                    "require_sub": True,
                    "require_iss": True,
                    "require_aud": True,
                },
            )
        except JOSEError as exc:
            raise TokenRejected(str(exc)) from exc
        return Principal.from_claims(claims)

    async def _key(self, kid: str) -> Any:
        key = self._keys.get(kid)
        if key is not None:
            return key
        # Unknown kid: the IdP may have rotated. Refetch, but not more often than
        # min_refresh so a flood of forged kids cannot hammer the IdP.
        async with self._refresh_lock:
            if kid not in self._keys and self._clock() - self._fetched_at >= self._min_refresh:
                await self.refresh()
        key = self._keys.get(kid)
        if key is None:
            raise TokenRejected(f"unknown key id {kid!r}")
        return key

    async def refresh(self) -> None:
        try:
            document = await self._fetch()
        except Exception as exc:  # the IdP being down must read as "cannot verify", not 500
            raise TokenRejected(f"JWKS unavailable: {exc}") from exc
        keys: dict[str, Any] = {}
        for entry in document.get("keys", []):
            if entry.get("kty") == "RSA" and entry.get("kid") and entry.get("alg", ALGORITHM) == ALGORITHM:
                keys[entry["kid"]] = jwk.construct(entry, ALGORITHM)
        self._keys = keys
        self._fetched_at = self._clock()


def _http_jwks_fetcher(url: str) -> JwksFetcher:
    async def fetch() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=3.0) as client:
            response = await client.get(url)
            response.raise_for_status()
            return response.json()

    return fetch


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="bistand"'}


def unauthorized(detail: str = "A valid bearer token is required.") -> Problem:
    return Problem(401, "unauthorized", "Unauthorized", detail, headers=UNAUTHORIZED_HEADERS)


async def authenticate(request: Request) -> Principal:
    """FastAPI dependency: the verified caller, or 401 problem+json."""
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise unauthorized()
    verifier: TokenVerifier = request.app.state.kit.verifier
    try:
        return await verifier.verify(token)
    except TokenRejected as exc:
        raise unauthorized("The token is not valid.") from exc


def require_roles(*roles: str) -> Callable[[Request], Awaitable[Principal]]:
    async def dependency(request: Request) -> Principal:
        principal = await authenticate(request)
        if not principal.has_role(*roles):
            raise Problem(403, "forbidden", "Forbidden", "Your role may not do this.")
        return principal

    return dependency
