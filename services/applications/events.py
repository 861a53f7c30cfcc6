"""Events to messaging: written to the outbox with the change, delivered by a relay with the event id as
Idempotency-Key (the receiver takes each event in once, however often it is delivered)."""

from __future__ import annotations

import logging

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import outbox
from kit.tables import OutboxMessage
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


class MessagingDelivery:
    """POST {messaging_url}/events for each outbox message; any non-2xx is a failure the relay retries."""

    def __init__(self, client: httpx.AsyncClient | None) -> None:
        self.client = client

    async def __call__(self, message: OutboxMessage) -> None:
        if self.client is None:
            raise RuntimeError("no messaging_url configured")  # kept in the outbox until one is
        body = {"id": str(message.id), "topic": message.topic,
                "occurred_at": message.created_at.isoformat() if message.created_at else None,
                "payload": message.payload}
        response = await self.client.post("/events", json=body, headers={"Idempotency-Key": str(message.id)})
        if response.status_code >= 300:
            raise RuntimeError(f"messaging answered {response.status_code}")
        log.info("event delivered", extra={"event_id": str(message.id), "topic": message.topic})
