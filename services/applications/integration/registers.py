"""The owner of protected identity, over HTTP: the registers service's POST /internal/protection.

Applications keeps no truth of its own about who has protected identity (skyddade personuppgifter): the
population register does, through the registers service. A case keeps a copy (``cases.protected_identity``),
taken from this answer whenever its parties change. The registers not answering (down, slow, refusing with
503 because the population register is unavailable, a malformed answer, or no URL configured) raises
RegistersUnavailable: callers fail closed (nothing is written, 503).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import httpx
from pydantic import ValidationError

from contracts.protection import MAX_ASKED, PATH, ProtectionAnswer, ProtectionQuery

log = logging.getLogger("applications.registers")


class RegistersUnavailable(Exception):
    """The registers gave no usable answer; the reason is for logs only."""


class Registers:
    """``http``: a client for the registers service with our service token (kit.http.service_client); None when no
    registers URL is configured, which means every question is unanswered (fail closed)."""

    def __init__(self, http: httpx.AsyncClient | None, *, attempts: int = 2) -> None:
        self.http = http
        self.attempts = max(1, attempts)

    async def protected_among(self, personal_numbers: Iterable[str]) -> frozenset[str]:
        """Those of ``personal_numbers`` the population register marks protected."""
        asked = sorted(set(personal_numbers))
        protected: set[str] = set()
        for i in range(0, len(asked), MAX_ASKED):
            protected |= await self._ask(asked[i:i + MAX_ASKED])
        return frozenset(protected)

    async def _ask(self, batch: list[str]) -> frozenset[str]:
        if self.http is None:
            raise RegistersUnavailable("no registers URL is configured")
        try:
            query = ProtectionQuery(personal_numbers=batch).model_dump(mode="json")  # type: ignore[arg-type]
        except ValidationError as exc:  # the registers would refuse it (422) just the same
            raise RegistersUnavailable("a personnummer the registers cannot be asked about") from exc
        last: Exception | None = None
        # A read, so it is safe to repeat once after a network error (not after an answer: a 503 is the register's).
        for _ in range(self.attempts):
            try:
                response = await self.http.post(PATH, json=query)
            except Exception as exc:  # noqa: BLE001 - network, timeout, or no service token: all mean "no answer"
                last = exc
                continue
            if response.status_code != 200:
                log.warning("registers refused the protection question", extra={"status": response.status_code})
                raise RegistersUnavailable(f"the registers answered {response.status_code}")
            try:
                answer = ProtectionAnswer.model_validate_json(response.content)
            except ValidationError as exc:
                raise RegistersUnavailable("the registers' answer is malformed") from exc
            # Only those asked about count: an answer naming anyone else is ignored, not trusted.
            return frozenset(batch) & frozenset(answer.protected)
        log.warning("registers unreachable", extra={"error": type(last).__name__})
        raise RegistersUnavailable(f"the registers are unreachable: {type(last).__name__}")
