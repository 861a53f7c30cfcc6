"""Who has protected identity, from its one owner: the registers service (POST /internal/protection), which asks the
population register.

Messaging keeps a sticky copy (protected_persons, cases, threads) fed by events, but before it starts a
thread, and so shows people to each other, it asks the owner. It fails closed: when the owner cannot
answer, no thread is started (503), whoever it is with, so the refusal says nothing about the person.
"""

from __future__ import annotations

import logging

import httpx
from pydantic import ValidationError

from contracts.protection import PATH, ProtectionAnswer, ProtectionQuery

log = logging.getLogger("messaging.protection")


class ProtectionUnavailable(Exception):
    """The owner did not give a usable answer (unreachable, refused, malformed)."""


class ProtectionOwner:
    """A client of the registers service's protection endpoint (our service token: client_id messaging, audience
    registers). A 503 (the population register unavailable) is no answer, like a timeout."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def protected_among(self, personal_numbers: list[str]) -> frozenset[str]:
        asked = sorted(set(personal_numbers))
        if not asked:
            return frozenset()
        try:
            query = ProtectionQuery(personal_numbers=asked)  # type: ignore[arg-type]  # validated here
            response = await self.client.post(PATH, json=query.model_dump(mode="json"))
        except (httpx.HTTPError, KeyError, ValueError) as exc:  # also: no service token from the IdP, a bad query
            log.warning("protection owner unreachable", extra={"error": type(exc).__name__})
            raise ProtectionUnavailable from None
        if response.status_code != 200:
            log.warning("protection owner refused", extra={"status": response.status_code})
            raise ProtectionUnavailable
        try:
            answer = ProtectionAnswer.model_validate_json(response.content)
        except ValidationError:
            log.warning("protection owner answered something else")
            raise ProtectionUnavailable from None
        # Only those we asked about count: an answer never adds people to our records.
        return frozenset(answer.protected) & frozenset(asked)
