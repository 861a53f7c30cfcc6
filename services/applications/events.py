"""Events to messaging: written to the outbox with the change, delivered by a relay (kit.outbox.EventDelivery)
with the event id as Idempotency-Key (the receiver takes each event in once, however often it is delivered)."""

from __future__ import annotations

import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from kit import outbox
from services.applications.store import CaseRecord

log = logging.getLogger("applications.events")

SUBMITTED = "application.submitted"
ASSIGNED = "application.assigned"
INFO_REQUESTED = "application.info_requested"
DECIDED = "application.decided"


def enqueue(session: AsyncSession, topic: str, case: CaseRecord, *, caseworker_sub: str | None = None) -> None:
    """The payload carries routing facts only: who to tell, never what the case says."""
    outbox.enqueue(session, topic, {
        "case_id": str(case.id),
        "unit": case.unit,
        "recipients": case.recipients,
        "protected_identity": case.protected_identity,
        "caseworker_sub": caseworker_sub if caseworker_sub is not None else case.assigned.get("caseworker"),
    })
