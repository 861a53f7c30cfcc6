"""Bearer token verification: RS256 only, access-token type, issuer, audience, times; JWKS cached with rotation.

Used at the gateway (the edge) and again in every service (defence in depth). A verified
token is cached by its hash until it expires, so a busy client costs one signature check.

Two kinds of caller: a person (client or staff), whose token carries the common audience
(``bistand``), and a service, whose client-credentials token carries the audience of the one
service it was asked for (``bistand:<service>``). A service accepts a service token only with its
own audience, and only on the routes that name the calling client id (``require_service_client``,
``person_or_service``); every other route is for persons (``authenticate``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import Request
from jose import jwk, jwt
from jose.exceptions import JOSEError

from kit import audit, representation
from kit.problems import Problem
from kit.settings import comma_list

ALGORITHM = "RS256"  # pinned: never taken from the token
# RFC 9068: access tokens say what they are, so an ID token (or any other JWT the IdP signs) is no key here.
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})
SERVICE_ROLE = "service"


class TokenRejected(Exception):
    """The token is not acceptable; the reason is for logs, never for the caller."""


@dataclass(frozen=True, slots=True)
class Acting:
    """A representative acting for the client (kit.representation): who they are, under which representation."""

    representation_id: str
    representative_sub: str
    representative: str = field(repr=False)  # their personnummer
    kind: str
    scopes: frozenset[str]


CLIENT_ROLE = "client"
_REPRESENTATION_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


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
    # Set when a representative acts for the client (X-Representation): the principal is the client, with no
    # other role; ``sub`` names the representative and the representation, so nothing keyed by it (idempotency
    # keys, read marks) is shared with the client or with another representation.
    acting: Acting | None = None

    @property
    def is_service(self) -> bool:
        return SERVICE_ROLE in self.roles

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
        service_audience: str | None = None,
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
        self.audience = audience  # persons' tokens
        self.service_audience = service_audience  # services' tokens (None: no service token is accepted)
        self._fetch = fetch_jwks
        self._leeway = leeway_seconds
        self._min_refresh = min_refresh_seconds
        self._clock = clock
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")
        self._refresh_lock = asyncio.Lock()
        self._cache: OrderedDict[bytes, Principal] = OrderedDict()
        self._cache_size = cache_size

    def for_service(self, service_audience: str) -> TokenVerifier:
        """The same keys and checks, accepting service tokens with ``service_audience`` (a service's own verifier)."""
        other = TokenVerifier(issuer=self.issuer, audience=self.audience, service_audience=service_audience,
                              fetch_jwks=self._fetch, leeway_seconds=self._leeway,
                              min_refresh_seconds=self._min_refresh, cache_size=self._cache_size, clock=self._clock)
        other._keys, other._fetched_at = self._keys, self._fetched_at
        return other

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
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in ACCESS_TOKEN_TYPES:
            raise TokenRejected(f"token type {typ!r} is not an access token")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise TokenRejected("token has no key id")
        key = await self._key(kid)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                options={
                    "leeway": self._leeway,
                    "verify_aud": False,  # checked below: which audience depends on the kind of caller
                    "require_exp": True,
                    "require_iat": True,
                    "require_sub": True,
                    "require_iss": True,  # aud: _check_audience requires it (jose's require_aud forces its own check)
                },
            )
        except (JOSEError, TypeError) as exc:
            raise TokenRejected(str(exc)) from exc
        self._check_times(claims)
        principal = Principal.from_claims(claims)
        self._check_audience(claims.get("aud"), principal)
        return principal

    def _check_times(self, claims: dict[str, Any]) -> None:
        # python-jose checks exp and nbf against the wall clock but never iat: a token "issued" in the future
        # (a skewed or compromised signer, a pre-minted token) would live longer than the IdP's lifetime.
        now = self._clock()
        for name in ("iat", "nbf"):
            value = claims.get(name)
            if value is None and name == "nbf":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TokenRejected(f"{name} is not a number")
            if value > now + self._leeway:
                raise TokenRejected(f"{name} is in the future")

    def _check_audience(self, aud: Any, principal: Principal) -> None:
        listed = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        audiences = {a for a in listed if isinstance(a, str)}
        if principal.is_service:
            # A service token is for the one service it was asked for: a token meant for calculation is no key
            # at messaging, and none at the gateway or any service that takes persons only.
            if self.service_audience is None or self.service_audience not in audiences:
                raise TokenRejected("service token for another audience")
        elif self.audience not in audiences:
            raise TokenRejected("token for another audience")

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


def forbidden(detail: str) -> Problem:
    return Problem(403, "forbidden", "Forbidden", detail)


async def authenticate_any(request: Request) -> Principal:
    """FastAPI dependency: the verified caller, person or service (a service only with this service's audience),
    or 401 problem+json. Routes use ``authenticate``, ``require_service_client`` or ``person_or_service``."""
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise unauthorized()
    verifier: TokenVerifier = request.app.state.kit.verifier
    try:
        principal = await verifier.verify(token)
    except TokenRejected as exc:
        raise unauthorized("The token is not valid.") from exc
    named = request.headers.get(representation.HEADER)
    if named is None:
        return principal
    return await _acting_for_client(request, principal, named)


async def _acting_for_client(request: Request, principal: Principal, named: str) -> Principal:
    """A representative naming the representation they act under: the client, for what the route allows.

    Staff and services never act as someone else: 400. A route that declares no scope (kit.representation.acts_for)
    refuses representatives: 403, before anything is looked up. Unknown, someone else's, ended or revoked: one
    404. A route outside the representation's scopes: 403."""
    cached = getattr(request.state, "acting_principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if principal.is_service or principal.roles != {CLIENT_ROLE} or not principal.personal_number:
        raise representation.not_for_staff()
    needed = representation.required_scopes(request.scope.get("endpoint"))
    resolver = getattr(request.app.state.kit, "representations", None)
    if needed is None or resolver is None:
        raise representation.outside_scope()
    # The id as the representation was given out (RFC 9562 text form), nothing else: uuid.UUID would also take
    # "{id", "urn:uuid:id" or the hex without dashes, so one representation would have many spellings.
    if not _REPRESENTATION_ID.fullmatch(named.strip()):
        raise representation.unknown_representation()
    representation_id = uuid.UUID(named.strip())
    resolved = await resolver.resolve(representation_id, principal.personal_number)
    if resolved is None:
        raise representation.unknown_representation()
    if not needed <= set(resolved.scopes):
        raise representation.outside_scope()
    acting = dataclasses.replace(
        principal, sub=f"{principal.sub}#representation:{resolved.representation_id}", roles=frozenset({CLIENT_ROLE}),
        unit=None, units=frozenset(), permissions=frozenset(), personal_number=resolved.client,
        name=principal.name,  # the representative's own: a message they send is signed by them
        claims={"sub": principal.sub, "roles": [CLIENT_ROLE]},
        acting=Acting(representation_id=str(resolved.representation_id), representative_sub=principal.sub,
                      representative=principal.personal_number, kind=resolved.kind.value,
                      scopes=frozenset(s.value for s in resolved.scopes)))
    await _record_acting(request, acting, resolved.client)
    request.state.acting_principal = acting
    return acting


async def _record_acting(request: Request, acting: Principal, client: str) -> None:
    """Every request a representative makes is in the audit log (their subject as the actor, the client and the
    representation named): whatever the route then records itself, nothing they do goes unrecorded."""
    route = request.scope.get("route")
    sessions = request.app.state.kit.sessions
    async with sessions() as session:
        audit.record(session, acting, request.method.lower(), "representation", acting.acting.representation_id,
                     subject=client, purpose="acting for the client",
                     details={"route": getattr(route, "path", None) or request.url.path})
        await session.commit()


# One answer for every service token at a person's route and every person at a service's route: the same 403,
# decided before anything is loaded, so it says nothing about the resource.
_NOT_FOR_SERVICES = "This route is not for services."
_SERVICES_ONLY = "This route is for certain services only."


async def authenticate(request: Request) -> Principal:
    """FastAPI dependency: the verified person (client or staff); service tokens get 403, no token 401."""
    principal = await authenticate_any(request)
    if principal.is_service:
        raise forbidden(_NOT_FOR_SERVICES)
    return principal


def _allowed_clients(request: Request, client_ids: tuple[str, ...], setting: str | None) -> set[str]:
    allowed = set(client_ids)
    if setting is not None:
        allowed |= set(comma_list(getattr(request.app.state.kit.settings, setting)))
    return allowed


def require_service_client(*client_ids: str, setting: str | None = None
                           ) -> Callable[[Request], Awaitable[Principal]]:
    """FastAPI dependency for a service-to-service route: only a service token of one of ``client_ids`` (or of
    the comma list in the service's setting named ``setting``); persons and other services get 403."""
    async def dependency(request: Request) -> Principal:
        principal = await authenticate_any(request)
        if not principal.is_service or principal.client_id not in _allowed_clients(request, client_ids, setting):
            raise forbidden(_SERVICES_ONLY)
        return principal

    return dependency


def person_or_service(*client_ids: str, setting: str | None = None) -> Callable[[Request], Awaitable[Principal]]:
    """FastAPI dependency for a route that persons use and some services too (the payment system marks a case
    paid): any person, or a service token of one of ``client_ids`` / the setting's list; other services get 403."""
    async def dependency(request: Request) -> Principal:
        principal = await authenticate_any(request)
        if principal.is_service and principal.client_id not in _allowed_clients(request, client_ids, setting):
            raise forbidden(_NOT_FOR_SERVICES)
        return principal

    return dependency


def require_roles(*roles: str) -> Callable[[Request], Awaitable[Principal]]:
    """A person with one of ``roles`` (services: ``require_service_client``)."""
    async def dependency(request: Request) -> Principal:
        principal = await authenticate(request)
        if not principal.has_role(*roles):
            raise forbidden("Your role may not do this.")
        return principal

    return dependency
