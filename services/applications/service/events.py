"""Events to messaging: written to the outbox with the change, delivered by the relay (workers.py) with the event
id as Idempotency-Key (the receiver takes each event in once, however often it is delivered)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import APPLICATION_TOPICS, EventPayload
from kit import outbox
from services.applications.store.cases import CaseRecord


def enqueue(session: AsyncSession, topic: str, case: CaseRecord, *, caseworker_sub: str | None = None) -> None:
    """``topic``: one of contracts.events' application topics. The payload carries routing facts only: who to
    tell, never what the case says."""
    assert topic in APPLICATION_TOPICS, topic
    payload = EventPayload(
        case_id=case.id, unit=case.unit, recipients=case.recipients,  # type: ignore[arg-type]
        protected_identity=case.protected_identity,
        caseworker_sub=caseworker_sub if caseworker_sub is not None else case.assigned.get("caseworker"))
    outbox.enqueue(session, topic, payload.model_dump(mode="json"))
