"""The registers service over HTTP: the owner of protected identity (POST /internal/protection) and of register
data (contracts.registers: a person's incomes and benefits for a month, the population register's record).

Applications keeps no truth of its own about who has protected identity (skyddade personuppgifter): the
population register does, through the registers service. A case keeps a copy (``cases.protected_identity``),
taken from this answer whenever its parties change. The registers not answering (down, slow, refusing with
503 because the population register is unavailable, a malformed answer, or no URL configured) raises
RegistersUnavailable: callers fail closed (nothing is written, 503).

Answers are reused in this process for a short while (``ttl_seconds``, at most a minute; per personnummer), so a
client who starts, signs and submits a monthly application in one go is asked about once, not at every step. Why
that is safe: the check is a point in time, never a watch (a marking made after a submit does not reach the case
either), so an answer at most a minute old protects exactly as the same steps taken a minute earlier would have;
the registers service itself answers from its own cache (300 s) and the population register's markings reach it
later than that. Only answers are kept: a question the registers could not answer is asked again next time and
still fails closed (503) when no answer younger than the TTL is at hand. An answer of "protected" is reused too,
which can only keep a case protected a little longer, never open one.

A register look-up for a proposal carries the purpose, the legal basis, the process and the case, so the registers
service can log why it was made. One that gets no answer is None: the proposal's checks are then "not available",
never "nothing found".
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Iterable

import aiohttp
import httpx
from pydantic import ValidationError

from contracts.protection import MAX_ASKED, PATH, ProtectionAnswer, ProtectionQuery
from contracts.registers import (
    LOOKUP_PATH,
    LOOKUPS_BATCH_PATH,
    POPULATION_PATH,
    LookupAnswer,
    LookupBatch,
    LookupBatchAnswer,
    LookupRequest,
    PopulationAnswer,
    PopulationQuery,
    PopulationRecord,
    Purpose,
)
from kit.http import JsonPoster
from values.personal_number import PersonalNumber

log = logging.getLogger("applications.registers")

PROCESS = "applications:decision_proposal"
# What a look-up that got no usable answer raises: network and time-out (aiohttp or httpx, also the token's fetch),
# a malformed answer (ValueError covers pydantic's ValidationError).
NO_ANSWER = (aiohttp.ClientError, httpx.HTTPError, TimeoutError, OSError, ValueError)


class RegistersUnavailable(Exception):
    """The registers gave no usable answer; the reason is for logs only."""


class Registers:
    """``http``: a client for the registers service with our service token (kit.http.service_client); None when no
    registers URL is configured, which means every question is unanswered (fail closed). ``ttl_seconds``: how long
    an answer about a person is reused (0: never); ``clock``: seconds, monotonic (tests pass their own).
    ``poster``: the same registers over aiohttp, for the protection question asked at every submit (httpx's
    per-request CPU, with many submits at once, was about a third of a submit's)."""

    def __init__(self, http: httpx.AsyncClient | None, *, attempts: int = 2, ttl_seconds: float = 0.0,
                 clock: Callable[[], float] = time.monotonic, max_cached: int = 50_000,
                 poster: JsonPoster | None = None) -> None:
        self.http = http
        self.poster = poster  # the protection question over aiohttp (kit.http.JsonPoster); None: over ``http``
        self.attempts = max(1, attempts)
        self.ttl = ttl_seconds
        self.clock = clock
        self.max_cached = max_cached
        self._cache: dict[str, tuple[bool, float]] = {}  # personnummer -> (protected, reusable until)

    async def protected_among(self, personal_numbers: Iterable[str]) -> frozenset[str]:
        """Those of ``personal_numbers`` the population register marks protected (as it said within the TTL)."""
        now = self.clock()
        protected: set[str] = set()
        missing: list[str] = []
        for pnr in sorted(set(personal_numbers)):
            cached = self._cache.get(pnr)
            if cached is not None and cached[1] > now:
                if cached[0]:
                    protected.add(pnr)
            else:
                missing.append(pnr)
        for i in range(0, len(missing), MAX_ASKED):
            batch = missing[i:i + MAX_ASKED]
            answer = await self._ask(batch)
            protected |= answer
            self._remember(batch, answer, now)
        return frozenset(protected)

    def _remember(self, asked: list[str], protected: frozenset[str], now: float) -> None:
        if self.ttl <= 0:
            return
        if len(self._cache) + len(asked) > self.max_cached:  # bounded: expired entries go first, then all
            self._cache = {k: v for k, v in self._cache.items() if v[1] > now}
            if len(self._cache) + len(asked) > self.max_cached:
                self._cache.clear()
        until = now + self.ttl
        for pnr in asked:
            self._cache[pnr] = (pnr in protected, until)

    async def lookup(self, personal_number: str, *, case_id: uuid.UUID, period: str, unit: str, legal_basis: str,
                     purpose: Purpose = Purpose.DECISION_PROPOSAL, process: str = PROCESS) -> LookupAnswer | None:
        if self.http is None and self.poster is None:
            return None
        body = LookupRequest(personal_number=PersonalNumber(personal_number), case_id=case_id, period=period,
                             purpose=purpose, legal_basis=legal_basis, process=process, unit=unit)
        try:
            status, content = await self._exchange(LOOKUP_PATH, body.model_dump(mode="json", exclude_none=True))
            if status != 200:
                log.warning("register look-up refused", extra={"status": status, "case_id": str(case_id)})
                return None
            return LookupAnswer.model_validate_json(content)
        except NO_ANSWER as exc:
            log.warning("register look-up failed", extra={"error": type(exc).__name__, "case_id": str(case_id)})
            return None

    async def population(self, personal_number: str, *, case_id: uuid.UUID,
                         purpose: Purpose = Purpose.DECISION_PROPOSAL, process: str = PROCESS
                         ) -> PopulationRecord | None:
        if self.http is None and self.poster is None:
            return None
        body = PopulationQuery(personal_numbers=[PersonalNumber(personal_number)], purpose=purpose, case_id=case_id,
                               process=process)
        try:
            status, content = await self._exchange(POPULATION_PATH, body.model_dump(mode="json", exclude_none=True))
            if status != 200:
                log.warning("population look-up refused", extra={"status": status, "case_id": str(case_id)})
                return None
            people = PopulationAnswer.model_validate_json(content).people
        except NO_ANSWER as exc:
            log.warning("population look-up failed", extra={"error": type(exc).__name__, "case_id": str(case_id)})
            return None
        return next((p for p in people if p.personal_number == personal_number), None)

    async def for_proposal(self, applicant: str, partner: str | None, *, case_id: uuid.UUID, period: str, unit: str,
                           legal_basis: str, purpose: Purpose = Purpose.DECISION_PROPOSAL, process: str = PROCESS
                           ) -> tuple[LookupAnswer | None, LookupAnswer | None, PopulationRecord | None]:
        """The applicant's (and partner's) incomes and the applicant's population record, in one request to the
        registers (POST /internal/lookups/batch), which asks and audits each look-up as on its own route. A
        registers service without that route (404), or one that lets us ask only one kind of look-up (403), is asked
        one look-up at a time, as before."""
        if self.http is None and self.poster is None:
            return None, None, None
        asked = [LookupRequest(personal_number=PersonalNumber(pnr), case_id=case_id, period=period, purpose=purpose,
                               legal_basis=legal_basis, process=process, unit=unit)
                 for pnr in (applicant, *([partner] if partner else []))]
        query = LookupBatch(lookups=asked, population=PopulationQuery(
            personal_numbers=[PersonalNumber(applicant)], purpose=purpose, case_id=case_id, process=process))
        try:
            status, content = await self._exchange(LOOKUPS_BATCH_PATH, query.model_dump(mode="json",
                                                                                       exclude_none=True))
            if status in (403, 404):  # no such route yet, or the caller may not ask both kinds: one at a time
                return await self._one_at_a_time(applicant, partner, case_id=case_id, period=period, unit=unit,
                                                 legal_basis=legal_basis, purpose=purpose, process=process)
            if status != 200:
                log.warning("register look-ups refused", extra={"status": status, "case_id": str(case_id)})
                return None, None, None
            answer = LookupBatchAnswer.model_validate_json(content)
            if len(answer.lookups) != len(asked):
                raise ValueError("an answer per look-up")
        except NO_ANSWER as exc:
            log.warning("register look-ups failed", extra={"error": type(exc).__name__, "case_id": str(case_id)})
            return None, None, None
        people = answer.population.people if answer.population is not None else []
        record = next((p for p in people if p.personal_number == applicant), None)
        if answer.population is None:
            log.warning("population look-up unanswered", extra={"case_id": str(case_id)})
        return answer.lookups[0], answer.lookups[1] if partner else None, record

    async def _one_at_a_time(self, applicant: str, partner: str | None, *, case_id: uuid.UUID, period: str,
                             unit: str, legal_basis: str, purpose: Purpose, process: str
                             ) -> tuple[LookupAnswer | None, LookupAnswer | None, PopulationRecord | None]:
        async def income(pnr: str | None) -> LookupAnswer | None:
            if pnr is None:
                return None
            return await self.lookup(pnr, case_id=case_id, period=period, unit=unit, legal_basis=legal_basis,
                                     purpose=purpose, process=process)

        return await asyncio.gather(income(applicant), income(partner),
                                    self.population(applicant, case_id=case_id, purpose=purpose, process=process))

    async def _exchange(self, path: str, body: dict[str, object]) -> tuple[int, bytes]:
        """POST ``body`` to the registers: over the aiohttp poster when there is one (httpx's pool, with a proposal
        job's look-ups many at once, cost more CPU than the registers' answer), else over ``http``."""
        if self.poster is not None:
            return await self.poster.exchange(path, body)
        assert self.http is not None
        response = await self.http.post(path, json=body)
        return response.status_code, response.content

    async def _post(self, query: dict[str, object]) -> tuple[int, bytes]:
        return await self._exchange(PATH, query)

    async def _ask(self, batch: list[str]) -> frozenset[str]:
        if self.http is None and self.poster is None:
            raise RegistersUnavailable("no registers URL is configured")
        try:
            query = ProtectionQuery(personal_numbers=batch).model_dump(mode="json")  # type: ignore[arg-type]
        except ValidationError as exc:  # the registers would refuse it (422) just the same
            raise RegistersUnavailable("a personnummer the registers cannot be asked about") from exc
        last: Exception | None = None
        # A read, so it is safe to repeat once after a network error (not after an answer: a 503 is the register's).
        for _ in range(self.attempts):
            try:
                status, content = await self._post(query)
            except Exception as exc:  # noqa: BLE001 - network, timeout, or no service token: all mean "no answer"
                last = exc
                continue
            if status != 200:
                log.warning("registers refused the protection question", extra={"status": status})
                raise RegistersUnavailable(f"the registers answered {status}")
            try:
                answer = ProtectionAnswer.model_validate_json(content)
            except ValidationError as exc:
                raise RegistersUnavailable("the registers' answer is malformed") from exc
            # Only those asked about count: an answer naming anyone else is ignored, not trusted.
            return frozenset(batch) & frozenset(answer.protected)
        log.warning("registers unreachable", extra={"error": type(last).__name__})
        raise RegistersUnavailable(f"the registers are unreachable: {type(last).__name__}")

