"""Ombud: a representative acting for a client (contracts.representation), the kit's part.

A person's token with ``X-Representation: <id>`` is resolved in ``kit.auth.authenticate_any`` (every person's route
passes there) into a caller who *is* the client (their personnummer, role ``client``, no staff roles) with an
``acting`` attribute naming the representation and the representative. Whether that caller may use a route is the
route's to say, with :func:`acts_for` on its endpoint; a route that says nothing refuses representatives (403), so a
new route is closed to them until someone decides otherwise.

Each service resolves through ``ServiceContext.representations`` (a :class:`Representations`): applications in its
own database, the others with :class:`RemoteRepresentations` (``POST /internal/representations/resolve`` on
applications, cached for at most ``CACHE_SECONDS``; the end date is compared on every use).
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import httpx

from contracts.representation import CACHE_SECONDS, HEADER, RESOLVE_PATH, Resolved, Scope
from kit.clock import Clock, utcnow
from kit.http import service_client
from kit.problems import Problem

__all__ = ["HEADER", "RemoteRepresentations", "Representations", "Scope", "acts_for", "required_scopes",
           "stockholm_today"]

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")
_ATTRIBUTE = "__representation_scopes__"

F = TypeVar("F", bound=Callable[..., Any])


def stockholm_today(clock: Clock) -> dt.date:
    return clock().astimezone(STOCKHOLM).date()


def acts_for(*scopes: Scope) -> Callable[[F], F]:
    """Mark a route a representative may use when their representation holds every one of ``scopes``."""
    if not scopes:
        raise ValueError("name at least one scope")

    def mark(endpoint: F) -> F:
        setattr(endpoint, _ATTRIBUTE, frozenset(scopes))
        return endpoint

    return mark


def required_scopes(endpoint: Any) -> frozenset[Scope] | None:
    """The scopes a route needs for a representative; None: the route refuses them."""
    return getattr(endpoint, _ATTRIBUTE, None)


class Representations(Protocol):
    async def resolve(self, representation_id: uuid.UUID, representative: str) -> Resolved | None:
        """The representation, if it is this representative's and holds today (Europe/Stockholm); else None."""
        ...


# --- the problems (one 404 for every "not yours") ------------------------------------------------------------

def unknown_representation() -> Problem:
    # Unknown, someone else's, not yet started, ended, revoked: this one answer, whatever the reason.
    return Problem(404, "representation-not-found", "No such representation",
                   "There is no representation with this id that you may act under.")


def not_for_staff() -> Problem:
    return Problem(400, "representation-not-for-staff", "Only a representative names a representation",
                   f"Staff and services act under their own token; leave out the {HEADER} header.")


def outside_scope() -> Problem:
    return Problem(403, "representation-scope", "Not within the representation",
                   "Your representation does not let you do this for the client.")


def unavailable() -> Problem:
    return Problem(503, "representation-unavailable", "The representation cannot be checked now",
                   "Try again in a moment.", headers={"Retry-After": "5"})


# --- the other services: ask applications ----------------------------------------------------------------------

class RemoteRepresentations:
    """``POST /internal/representations/resolve`` on applications (service token), each answer kept at most
    ``CACHE_SECONDS`` (a revocation reaches this service within that); the end date is compared on every use.

    An answer's age is measured on ``monotonic`` when given, else on the service's clock (``clock``: the one the
    end date is compared with, so a test that moves it moves both). An answer whose age comes out negative (the
    clock went back) counts as expired: whatever the clock does, none is used longer than ``CACHE_SECONDS``."""

    def __init__(self, client: httpx.AsyncClient | None, *, clock: Clock = utcnow,
                 ttl_seconds: float = CACHE_SECONDS, monotonic: Callable[[], float] | None = None,
                 max_entries: int = 10_000) -> None:
        self._client = client
        self._clock = clock
        self._ttl = min(ttl_seconds, CACHE_SECONDS)
        self._monotonic = monotonic or (lambda: clock().timestamp())
        self._max = max_entries
        self._cache: OrderedDict[tuple[uuid.UUID, str], tuple[float, Resolved | None]] = OrderedDict()

    async def resolve(self, representation_id: uuid.UUID, representative: str) -> Resolved | None:
        key = (representation_id, representative)
        hit = self._cache.get(key)
        now = self._monotonic()
        if hit is not None and 0 <= now - hit[0] < self._ttl:
            found = hit[1]
        else:
            found = await self._ask(representation_id, representative)
            self._cache[key] = (now, found)
            self._cache.move_to_end(key)
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
        if found is None or found.valid_until < stockholm_today(self._clock):
            return None
        return found

    async def _ask(self, representation_id: uuid.UUID, representative: str) -> Resolved | None:
        if self._client is None:  # no applications URL: nobody can be resolved, fail closed
            raise unavailable()
        try:
            response = await self._client.post(RESOLVE_PATH, json={
                "representation_id": str(representation_id), "representative": representative})
        except httpx.HTTPError as exc:
            raise unavailable() from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise unavailable()
        return Resolved.model_validate(response.json())


def remote_representations(ctx: Any, applications_url: str | None, clock: Clock, *, timeout_seconds: float = 5.0,
                           transport: httpx.AsyncBaseTransport | None = None
                           ) -> tuple[RemoteRepresentations, httpx.AsyncClient | None]:
    """For a service's start-up hook: its resolver over applications (its service token, audience applications)
    and the HTTP client to close at shutdown. Without a URL every representative gets 503 (nobody can tell)."""
    client = None
    if applications_url:
        client = service_client(applications_url.rstrip("/"), tokens=ctx.tokens_for("applications"),
                                timeout_seconds=timeout_seconds, transport=transport)
    return RemoteRepresentations(client, clock=clock), client
