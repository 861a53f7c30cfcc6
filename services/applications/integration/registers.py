"""The registers service, over HTTP (contracts.registers): a person's incomes and benefits for a month, and the
population register's record. Every look-up carries the purpose, the legal basis, the process and the case, so the
registers service can log why it was made.

A look-up that gets no answer (no registers service configured, a timeout, an error, an answer outside the
contract) is None: the caller's checks are then "not available", never "nothing found".
"""

from __future__ import annotations

import logging
import uuid

import httpx
from pydantic import ValidationError

from contracts.registers import (
    LOOKUP_PATH,
    POPULATION_PATH,
    LookupAnswer,
    LookupRequest,
    PopulationAnswer,
    PopulationQuery,
    PopulationRecord,
    Purpose,
)
from values.personal_number import PersonalNumber

log = logging.getLogger("applications.registers")

PROCESS = "applications:decision_proposal"


async def lookup(client: httpx.AsyncClient | None, personal_number: str, *, case_id: uuid.UUID, period: str,
                 unit: str, legal_basis: str, purpose: Purpose = Purpose.DECISION_PROPOSAL,
                 process: str = PROCESS) -> LookupAnswer | None:
    if client is None:
        return None
    body = LookupRequest(personal_number=PersonalNumber(personal_number), case_id=case_id, period=period,
                         purpose=purpose, legal_basis=legal_basis, process=process, unit=unit)
    try:
        response = await client.post(LOOKUP_PATH, json=body.model_dump(mode="json", exclude_none=True))
        if response.status_code != 200:
            log.warning("register look-up refused", extra={"status": response.status_code, "case_id": str(case_id)})
            return None
        return LookupAnswer.model_validate(response.json())
    except (httpx.HTTPError, ValueError, ValidationError) as exc:
        log.warning("register look-up failed", extra={"error": type(exc).__name__, "case_id": str(case_id)})
        return None


async def population(client: httpx.AsyncClient | None, personal_number: str, *, case_id: uuid.UUID,
                     purpose: Purpose = Purpose.DECISION_PROPOSAL, process: str = PROCESS) -> PopulationRecord | None:
    if client is None:
        return None
    body = PopulationQuery(personal_numbers=[PersonalNumber(personal_number)], purpose=purpose, case_id=case_id,
                           process=process)
    try:
        response = await client.post(POPULATION_PATH, json=body.model_dump(mode="json", exclude_none=True))
        if response.status_code != 200:
            log.warning("population look-up refused", extra={"status": response.status_code, "case_id": str(case_id)})
            return None
        people = PopulationAnswer.model_validate(response.json()).people
    except (httpx.HTTPError, ValueError, ValidationError) as exc:
        log.warning("population look-up failed", extra={"error": type(exc).__name__, "case_id": str(case_id)})
        return None
    return next((p for p in people if p.personal_number == personal_number), None)
