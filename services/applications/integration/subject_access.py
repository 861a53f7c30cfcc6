"""Another service's part of a register extract, over HTTP (contracts.subject_access, POST /internal/subject-access
with this service's token for that service). Every way it can fail becomes a reason the extract shows."""

from __future__ import annotations

import logging

import httpx
from pydantic import ValidationError

from contracts.subject_access import PATH, SubjectAccessAnswer, SubjectAccessRequest
from services.applications.domain.subject_access import Missing

log = logging.getLogger("applications.registerutdrag")


class PartMissing(Exception):
    def __init__(self, reason: Missing) -> None:
        super().__init__(reason.value)
        self.reason = reason


async def ask(client: httpx.AsyncClient | None, service: str, request: SubjectAccessRequest) -> SubjectAccessAnswer:
    """The service's answer, or PartMissing with the reason (no address, no answer, an error, not the contract)."""
    if client is None:
        raise PartMissing(Missing.NOT_CONFIGURED)
    try:
        response = await client.post(PATH, json=request.model_dump(mode="json"))
    except httpx.HTTPError as exc:  # time-outs and refused connections, and a token the IdP would not give
        log.warning("registerutdrag: no answer", extra={"service": service, "error": type(exc).__name__})
        raise PartMissing(Missing.UNAVAILABLE) from exc
    if response.status_code != 200:
        log.warning("registerutdrag: refused", extra={"service": service, "status": response.status_code})
        raise PartMissing(Missing.REFUSED)
    try:
        answer = SubjectAccessAnswer.model_validate_json(response.content)
    except ValidationError as exc:
        raise PartMissing(Missing.INVALID_ANSWER) from exc
    if answer.service != service:
        raise PartMissing(Missing.INVALID_ANSWER)
    return answer
