"""The owner of protected identity, over HTTP: the registers service's POST /internal/protection (the population
register behind it decides).

Meetings keeps no truth of its own about who has protected identity (skyddade personuppgifter). Before it
writes a booking that names a client, or shows one, it asks the owner which of the people involved are
protected: one call per response, the distinct personnummer in batches of at most 100. Answers are cached in
this process for a short while (``ttl_seconds``), so a busy calendar costs one call per minute, not per view.

The owner not answering (down, slow, refusing, a malformed answer, or not configured at all) raises
OwnerUnavailable: callers fail closed (a write answers 503, a display treats the people as protected).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

import httpx
from pydantic import ValidationError

from contracts.protection import MAX_ASKED, PATH, ProtectionAnswer, ProtectionQuery

log = logging.getLogger("meetings.protection")

BATCH = MAX_ASKED  # the owner's limit per request


class OwnerUnavailable(Exception):
    """The owner of protected identity could not answer; the reason is for logs only."""


class ProtectionOwner:
    """``http``: a client for the registers service with a service token (kit.http.service_client); None when
    no registers URL is configured, which means every question is unanswered (fail closed)."""

    def __init__(self, http: httpx.AsyncClient | None, *, ttl_seconds: float = 60.0, attempts: int = 2,
                 clock: Callable[[], float] = time.monotonic, max_cached: int = 50_000) -> None:
        self.http = http
        self.ttl = ttl_seconds
        self.attempts = max(1, attempts)
        self.clock = clock
        self.max_cached = max_cached
        self._cache: dict[str, tuple[bool, float]] = {}

    async def protected_among(self, personal_numbers: Iterable[str]) -> frozenset[str]:
        """Those of ``personal_numbers`` who have protected identity, as the owner says (or said within the TTL)."""
        now = self.clock()
        wanted = sorted(set(personal_numbers))
        protected: set[str] = set()
        missing: list[str] = []
        for pnr in wanted:
            cached = self._cache.get(pnr)
            if cached is not None and cached[1] > now:
                if cached[0]:
                    protected.add(pnr)
            else:
                missing.append(pnr)
        for i in range(0, len(missing), BATCH):
            batch = missing[i:i + BATCH]
            answer = await self._ask(batch)
            protected |= answer
            self._remember(batch, answer, now)
        return frozenset(protected)

    def forget(self) -> None:
        self._cache.clear()

    def _remember(self, asked: list[str], protected: frozenset[str], now: float) -> None:
        if len(self._cache) + len(asked) > self.max_cached:
            self._cache = {k: v for k, v in self._cache.items() if v[1] > now}
            if len(self._cache) + len(asked) > self.max_cached:
                self._cache.clear()
        for pnr in asked:
            self._cache[pnr] = (pnr in protected, now + self.ttl)

    async def _ask(self, batch: list[str]) -> frozenset[str]:
        if self.http is None:
            raise OwnerUnavailable("no registers URL is configured")
        try:
            query = ProtectionQuery(personal_numbers=batch).model_dump(mode="json")
        except ValidationError as exc:  # the owner would refuse it (422) just the same
            raise OwnerUnavailable("a personnummer the owner cannot be asked about") from exc
        last: Exception | None = None
        # A read, so it is safe to repeat once after a network error (not after an answer: a 4xx stays a 4xx).
        for _ in range(self.attempts):
            try:
                response = await self.http.post(PATH, json=query)
            except Exception as exc:  # noqa: BLE001 - network, timeout, or no service token: all mean "no answer"
                last = exc
                continue
            if response.status_code != 200:
                raise OwnerUnavailable(f"the owner answered {response.status_code}")
            try:
                answer = ProtectionAnswer.model_validate_json(response.content)
            except ValidationError as exc:
                raise OwnerUnavailable("the owner's answer is malformed") from exc
            # Only those asked about count: an answer naming anyone else is ignored, not trusted.
            return frozenset(batch) & frozenset(answer.protected)
        log.warning("protection owner unreachable", extra={"error": type(last).__name__})
        raise OwnerUnavailable(f"the owner is unreachable: {type(last).__name__}")
