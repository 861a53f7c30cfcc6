"""Events from other services' outboxes: taken in once per event id, whatever the number of deliveries.

Each known topic updates our picture of the case (applications) and notifies the household if the topic calls
for it; a meeting's topics notify with the time only. The payloads are the shared wire contracts
(contracts.events), validated here.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import (
    EventBatchIn,
    EventBatchOut,
    EventIn,
    EventOut,
    EventPayload,
    EventProblem,
    EventResult,
    MeetingEventPayload,
)
from kit import idempotency, tracing
from kit.idempotency import Idempotency, StoredAnswer, request_hash
from kit.problems import TYPE_PREFIX, Problem, validation_errors
from services.messaging.domain import intake, notify
from services.messaging.domain import letters as letter_rules
from services.messaging.service.runtime import Runtime
from services.messaging.store import cases as cases_store
from services.messaging.store import letters as letters_store
from services.messaging.store import notifications as notifications_store
from services.messaging.store import protection as protection_store

log = logging.getLogger("messaging.events")

M = TypeVar("M", bound=BaseModel)

EVENTS_SCOPE = "events"  # the idempotency scope of every event, whichever path brought it


def _payload(model: type[M], raw: dict[str, Any]) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = [{**e, "field": "payload." + e["field"]} for e in validation_errors(exc.errors())]
        raise Problem(422, "validation-error", "Invalid request", "The event payload is invalid.",
                      errors=errors) from None


def _refusal(rt: Runtime, sender: str, event: EventIn) -> Problem | None:
    """Why the event may not be taken in from ``sender`` before anything is stored (its topic is not the sender's,
    its time is unbelievable), or None. A refused event leaves no trace but the log."""
    settings = rt.settings
    if not intake.may_post(settings.topic_rules(), sender, event.topic):
        log.warning("event topic refused for its sender", extra={"event_id": str(event.id), "topic": event.topic,
                                                                 "sender": sender})
        return Problem(403, "event-topic-not-allowed", "Forbidden", "This service may not post events of this topic.")
    why = intake.occurred_at_problem(event.occurred_at, rt.now(),
                                     max_ahead=dt.timedelta(seconds=settings.event_max_ahead_seconds),
                                     max_age=dt.timedelta(days=settings.event_max_age_days))
    if why is not None:
        return Problem(422, "event-time-out-of-range", "Unbelievable event time", why,
                       errors=[{"field": "occurred_at", "message": why, "code": "out_of_range"}])
    return None


Parsed = EventPayload | MeetingEventPayload | None  # None: a topic we do not handle (ignored)


def _parse(event: EventIn) -> Parsed:
    """The event's payload validated for its topic (raises the 422 Problem)."""
    known, _ = notify.kind_for_topic(event.topic)
    if not known:
        return None
    if event.topic.startswith("meeting."):
        return _payload(MeetingEventPayload, event.payload)
    return _payload(EventPayload, event.payload)


def _request(event: EventIn) -> dict[str, str]:
    # The idempotency record's request: the id and topic, so a re-serialised retry still matches.
    return {"id": str(event.id), "topic": event.topic}


async def _take_in(session: AsyncSession, rt: Runtime, sender: str, event: EventIn, parsed: Parsed) -> tuple[int, int]:
    """The event's side effects (case picture, notifications, letters). Returns notifications and letters made."""
    if parsed is None:
        log.info("event topic not handled; ignored", extra={"event_id": str(event.id), "topic": event.topic,
                                                            "sender": sender})
        return 0, 0
    if isinstance(parsed, MeetingEventPayload):
        made, posted = await _take_in_meeting_event(
            session, rt, event_id=event.id, booking_id=parsed.booking_id, topic=event.topic,
            recipients=sorted({r.value for r in parsed.recipients}),
            protected_identity=parsed.protected_identity, starts_at=parsed.starts_at, now=rt.now())
    else:
        made, posted = await _take_in_event(
            session, rt, event_id=event.id, topic=event.topic, occurred_at=event.occurred_at, case_id=parsed.case_id,
            unit=parsed.unit, recipients=sorted({r.value for r in parsed.recipients}),
            protected_identity=parsed.protected_identity, caseworker_sub=parsed.caseworker_sub, now=rt.now())
    log.info("event taken in", extra={"event_id": str(event.id), "topic": event.topic, "notifications": made,
                                      "letters": posted})
    return made, posted


def _answer(event: EventIn, parsed: Parsed, made: int) -> dict[str, Any]:
    return EventOut(id=event.id, status="ignored" if parsed is None else "accepted",
                    notifications=made).model_dump(mode="json")


async def receive(session: AsyncSession, rt: Runtime, sender: str, event: EventIn,
                  idem: Idempotency) -> dict[str, Any] | StoredAnswer:
    """Take in an event from ``sender`` (a service allowed to post events, api/deps.event_sender). Returns the
    answer (status accepted or ignored, notifications made), or the first answer to a redelivery."""
    # Checked before anything is stored: a refused event leaves no trace but the log.
    if (refused := _refusal(rt, sender, event)) is not None:
        raise refused
    idem = Idempotency(idem.key or str(event.id))  # without a key, the event id names the event
    # Its hash is the id and topic, so a re-serialised retry still matches.
    if (stored := await idem.claim(session, EVENTS_SCOPE, _request(event))) is not None:
        return stored
    parsed = _parse(event)
    made, posted = await _take_in(session, rt, sender, event, parsed)
    out = _answer(event, parsed, made)
    await idem.complete(session, 202, out)
    await session.commit()
    if made or posted:
        rt.relay.wake()
    return out


async def receive_batch(session: AsyncSession, rt: Runtime, sender: str, batch: EventBatchIn) -> dict[str, Any]:
    """Take in a batch of events from ``sender`` in one transaction, each exactly as ``receive`` would with its id
    as Idempotency-Key (the same records: an event taken in singly is a duplicate here, and the other way round).
    Every event is checked before anything is written; a refused one does not stop the others. Returns one result
    per event, in order."""
    results: list[EventResult | None] = [None] * len(batch.events)
    todo: list[tuple[int, EventIn, Parsed]] = []
    seen: set[uuid.UUID] = set()
    for i, event in enumerate(batch.events):
        if event.id in seen:  # twice in one batch: the second is a redelivery of the first
            results[i] = EventResult(id=event.id, status="duplicate")
            continue
        seen.add(event.id)
        refused = _refusal(rt, sender, event)
        if refused is None:
            try:
                todo.append((i, event, _parse(event)))
                continue
            except Problem as problem:
                refused = problem
        results[i] = _refused(event, refused)
    claims = await idempotency.claim_many(session, EVENTS_SCOPE,
                                          [(str(event.id), request_hash(_request(event))) for _, event, _ in todo])
    answers: list[tuple[str, int, Any]] = []
    woken = False
    for (i, event, parsed), claim in zip(todo, claims, strict=True):
        if isinstance(claim, Problem):
            results[i] = _refused(event, claim)
        elif claim == idempotency.TAKEN:
            results[i] = EventResult(id=event.id, status="duplicate")
        else:
            # Each event continues the trace of the change that made it, not the trace of the batch's request.
            with tracing.continued(event.trace, f"event taken in {event.topic}", consumer=True):
                made, posted = await _take_in(session, rt, sender, event, parsed)
            out = _answer(event, parsed, made)
            answers.append((str(event.id), 202, out))
            results[i] = EventResult(id=event.id, status=out["status"], notifications=made)
            woken = woken or bool(made or posted)
    await idempotency.complete_many(session, EVENTS_SCOPE, answers)
    await session.commit()
    if woken:
        rt.relay.wake()
    return EventBatchOut(results=[r for r in results if r is not None]).model_dump(mode="json", exclude_none=True)


def _refused(event: EventIn, problem: Problem) -> EventResult:
    log.info("event of a batch refused", extra={"event_id": str(event.id), "topic": event.topic,
                                               "problem": problem.slug})
    # Type, title and the fixed detail only: never the payload's values (a field error may quote them).
    return EventResult(id=event.id, status="refused", problem=EventProblem(
        type=TYPE_PREFIX + problem.slug, title=problem.title, status=problem.status, detail=problem.detail))


async def _take_in_event(session: AsyncSession, rt: Runtime, *, event_id: uuid.UUID, topic: str,
                         occurred_at: dt.datetime, case_id: uuid.UUID, unit: str, recipients: list[str],
                         protected_identity: bool, caseworker_sub: str | None, now: dt.datetime) -> tuple[int, int]:
    """Update our picture of the case and notify its household, if the topic calls for it. Returns how many
    notifications and letters were made (no notification for protected identity: they see it when they log in; a
    letter for a letter-only contact, through Skatteverket's forwarding)."""
    _, kind = notify.kind_for_topic(topic)
    await cases_store.apply_case_event(session, case_id=case_id, unit=unit, recipients=recipients,
                                       protected_identity=protected_identity, caseworker_sub=caseworker_sub,
                                       occurred_at=occurred_at)
    if kind is None:
        return 0, 0
    made: list[uuid.UUID] = []
    if notify.should_notify(protected_identity=protected_identity, channels=frozenset(notify.Channel)):
        made = await notifications_store.create_notifications(session, source=f"event:{event_id}", kind=kind,
                                                              recipients=recipients, now=now)
    else:
        log.info("no notification: protected identity", extra={"event_id": str(event_id), "topic": topic})
    # A letter even so, for a letter-only contact: it goes through Skatteverket's forwarding.
    return len(made), await _post(session, rt, event_id=event_id, kind=kind, ref=case_id, recipients=recipients,
                                  now=now)


async def _take_in_meeting_event(session: AsyncSession, rt: Runtime, *, event_id: uuid.UUID, booking_id: uuid.UUID,
                                 topic: str, recipients: list[str], protected_identity: bool, starts_at: dt.datetime,
                                 now: dt.datetime) -> tuple[int, int]:
    """A booking made, moved or cancelled, or a reminder due: tell the client when, never where. Protected
    identity: no notification, and from now on none either (protection is sticky); a letter for a letter-only
    contact, through Skatteverket's forwarding."""
    _, kind = notify.kind_for_topic(topic)
    if kind is None:
        return 0, 0
    made: list[uuid.UUID] = []
    if protected_identity:
        await protection_store.mark_protected(session, recipients)
        log.info("no notification: protected identity", extra={"event_id": str(event_id), "topic": topic})
    else:
        made = await notifications_store.create_notifications(session, source=f"event:{event_id}", kind=kind,
                                                              recipients=recipients, now=now, starts_at=starts_at)
    # A letter even so, for a letter-only contact: it goes through Skatteverket's forwarding.
    return len(made), await _post(session, rt, event_id=event_id, kind=kind, ref=booking_id, recipients=recipients,
                                  now=now)


async def _post(session: AsyncSession, rt: Runtime, *, event_id: uuid.UUID, kind: notify.Kind, ref: uuid.UUID,
                recipients: list[str], now: dt.datetime) -> int:
    """A letter for each recipient who wants letters, if the kind calls for one (domain/letters.py); in the event's
    transaction, with an outbox entry each (the relay fetches the PDF from its owner)."""
    letter_kind = letter_rules.letter_kind(kind)
    if letter_kind is None:
        return 0
    queued = await letters_store.queue_letters(session, rt.keyring, event_id=event_id, kind=letter_kind, ref=ref,
                                               recipients=recipients, now=now)
    return len(queued)
