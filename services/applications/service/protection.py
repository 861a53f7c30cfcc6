"""Protected identity (skyddade personuppgifter) as applications uses it: the population register decides, through
the registers service; this service asks.

A case is protected while any of its parties is (the applicant, and the co-applicant once joined). The case keeps
that as a copy (``cases.protected_identity``: the queue, access rules and events read it), taken from the registers
whenever the parties change (at creation, when the co-applicant joins, when the draft names another partner) and at
submit, when the case reaches staff. An answer is reused for up to a minute (integration/registers.py). When
the registers cannot answer, the write fails closed: 503, nothing is written. Neither a token claim nor a staff
field sets it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from kit.problems import Problem
from services.applications.integration.registers import RegistersUnavailable
from services.applications.service.runtime import Runtime

log = logging.getLogger("applications.protection")

UNAVAILABLE_SLUG = "protection-check-unavailable"


def unavailable() -> Problem:
    return Problem(503, UNAVAILABLE_SLUG, "Protected identity cannot be checked right now",
                   "Nothing was changed. Try again in a while.", headers={"Retry-After": "30"})


async def any_protected(rt: Runtime, personal_numbers: Iterable[str]) -> bool:
    """Whether the population register marks any of them protected (503 when it cannot tell)."""
    asked = [p for p in personal_numbers if p]
    if not asked:
        return False
    try:
        return bool(await rt.registers.protected_among(asked))
    except RegistersUnavailable as exc:
        log.warning("protected identity could not be checked", extra={"reason": str(exc)})
        raise unavailable() from None


def parties(applicant: str, co_applicant: str | None, co_applicant_status: str | None) -> list[str]:
    """Whose protection protects the case: the applicant, and the co-applicant once joined (an invitee's status is
    not looked up, so naming someone tells nothing about them)."""
    return [applicant, *([co_applicant] if co_applicant and co_applicant_status == "joined" else [])]
