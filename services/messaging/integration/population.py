"""Envelope addresses from the population register, through its one owner here: the registers service's
``POST /internal/population`` (contracts.registers), with our service token (client_id messaging, audience registers).

Asked when a day's letters are collected (service/letters.py), purpose ``case_handling`` (sending the case's letters
to the client; contracts.registers has no purpose of its own for it), process ``messaging.letters``. The registers
service audits every person asked. A protected person's record carries no address (the registers never pass one
on): such letters go through Skatteverket's forwarding (domain/letters.py).
"""

from __future__ import annotations

import logging

import httpx
from pydantic import ValidationError

from contracts.registers import (
    MAX_PEOPLE,
    POPULATION_PATH,
    PopulationAnswer,
    PopulationQuery,
    PopulationRecord,
    Purpose,
)

log = logging.getLogger("messaging.letters")

PROCESS = "messaging.letters"
PURPOSE = Purpose.CASE_HANDLING


class AddressesUnavailable(Exception):
    """The register gave no usable answer (unreachable, 503, refused, malformed): no batch without addresses."""


class PopulationRegister:
    def __init__(self, client: httpx.AsyncClient, legal_basis: str) -> None:
        self.client = client
        self.legal_basis = legal_basis

    async def people(self, personal_numbers: list[str]) -> dict[str, PopulationRecord]:
        asked = sorted(set(personal_numbers))
        out: dict[str, PopulationRecord] = {}
        for start in range(0, len(asked), MAX_PEOPLE):
            chunk = asked[start:start + MAX_PEOPLE]
            try:
                query = PopulationQuery(personal_numbers=chunk, purpose=PURPOSE, process=PROCESS,  # type: ignore[arg-type]
                                        legal_basis=self.legal_basis)
                response = await self.client.post(POPULATION_PATH, json=query.model_dump(mode="json"))
            except (httpx.HTTPError, KeyError, ValueError) as exc:
                log.warning("population register unreachable", extra={"error": type(exc).__name__})
                raise AddressesUnavailable from None
            if response.status_code != 200:
                log.warning("population register refused", extra={"status": response.status_code})
                raise AddressesUnavailable
            try:
                answer = PopulationAnswer.model_validate_json(response.content)
            except ValidationError:
                log.warning("population register answered something else")
                raise AddressesUnavailable from None
            # Only those we asked about, each once: a record about someone else is never read as theirs.
            by_person = {r.personal_number: r for r in answer.people}
            if set(by_person) != set(chunk):
                log.warning("population register answered about other people")
                raise AddressesUnavailable
            out.update(by_person)
        return out
