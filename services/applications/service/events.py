"""Events to messaging: written to the outbox with the change, delivered by the relay (workers.py) with the event
id as Idempotency-Key (the receiver takes each event in once, however often it is delivered)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import APPLICATION_TOPICS, EventPayload
from kit import outbox
from services.applications.store.cases import CaseRecord

# Jobs this service runs itself from its own outbox (workers.py keeps them apart from the events to messaging):
# written with the change that calls for them, so a crash between the commit and the job loses nothing.
PROPOSAL_JOB = "applications.job.decision_proposal"
LOCAL_TOPICS = frozenset({PROPOSAL_JOB})


def enqueue_proposal(session: AsyncSession, case: CaseRecord) -> None:
    """Ask for the decision proposal of a case just submitted (the job reads the case itself: ids only here)."""
    outbox.enqueue(session, PROPOSAL_JOB, {"case_id": str(case.id)})


def enqueue(session: AsyncSession, topic: str, case: CaseRecord, *, caseworker_sub: str | None = None) -> None:
    """``topic``: one of contracts.events' application topics. The payload carries routing facts only: who to
    tell, never what the case says."""
    assert topic in APPLICATION_TOPICS, topic
    payload = EventPayload(
        case_id=case.id, unit=case.unit, recipients=case.recipients,  # type: ignore[arg-type]
        protected_identity=case.protected_identity,
        caseworker_sub=caseworker_sub if caseworker_sub is not None else case.assigned.get("caseworker"))
    outbox.enqueue(session, topic, payload.model_dump(mode="json"))
