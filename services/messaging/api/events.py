"""Events from other services' outboxes: taken in once per event id, whatever the number of deliveries."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import idempotency
from kit.auth import Principal, require_service_client
from kit.db import session as db_session
from kit.problems import Problem, validation_errors
from services.messaging import flows
from services.messaging.api import deps
from services.messaging.api.schemas import EventIn, EventOut, EventPayload, MeetingEventPayload
from services.messaging.domain import intake, notify

log = logging.getLogger("messaging.events")

router = APIRouter(tags=["events"])


M = TypeVar("M", bound=BaseModel)


def _payload(model: type[M], raw: dict[str, Any]) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = [{**e, "field": "payload." + e["field"]} for e in validation_errors(exc.errors())]
        raise Problem(422, "validation-error", "Invalid request", "The event payload is invalid.",
                      errors=errors) from None


@router.post("/events", status_code=202, response_model=EventOut,
             summary="Services only: an outbox event (a decision, a request for more, a meeting) to notify about")
async def receive_event(event: EventIn, request: Request,
                        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
                        session: AsyncSession = Depends(db_session),
                        principal: Principal = Depends(require_service_client(setting="event_senders")),
                        ) -> JSONResponse:
    sender = principal.client_id
    settings = deps.settings_of(request)
    rules = settings.topic_rules()
    # Checked before anything is stored: a refused event leaves no trace but the log.
    if sender not in intake.senders(rules):
        raise Problem(403, "event-sender-not-allowed", "Forbidden", "This service may not post events here.")
    if not intake.may_post(rules, sender, event.topic):
        log.warning("event topic refused for its sender", extra={"event_id": str(event.id), "topic": event.topic,
                                                                 "sender": sender})
        raise Problem(403, "event-topic-not-allowed", "Forbidden", "This service may not post events of this topic.")
    why = intake.occurred_at_problem(event.occurred_at, deps.clock(request),
                                     max_ahead=dt.timedelta(seconds=settings.event_max_ahead_seconds),
                                     max_age=dt.timedelta(days=settings.event_max_age_days))
    if why is not None:
        raise Problem(422, "event-time-out-of-range", "Unbelievable event time", why,
                      errors=[{"field": "occurred_at", "message": why, "code": "out_of_range"}])
    key = idempotency.check_key(idempotency_key) or str(event.id)
    # The event id names the event: its hash is the id and topic, so a re-serialised retry still matches.
    stored = await idempotency.claim(session, "events", key,
                                     idempotency.request_hash({"id": str(event.id), "topic": event.topic}))
    if stored is not None:
        return JSONResponse(stored.body, status_code=stored.status)
    known, _ = notify.kind_for_topic(event.topic)
    made = 0
    if not known:
        log.info("event topic not handled; ignored", extra={"event_id": str(event.id), "topic": event.topic,
                                                            "sender": sender})
    elif event.topic.startswith("meeting."):
        meeting = _payload(MeetingEventPayload, event.payload)
        made = await flows.take_in_meeting_event(
            session, event_id=event.id, topic=event.topic, recipients=sorted({r.value for r in meeting.recipients}),
            protected_identity=meeting.protected_identity, starts_at=meeting.starts_at, now=deps.clock(request))
        log.info("event taken in", extra={"event_id": str(event.id), "topic": event.topic, "notifications": made})
    else:
        payload = _payload(EventPayload, event.payload)
        made = await flows.take_in_event(
            session, event_id=event.id, topic=event.topic, occurred_at=event.occurred_at, case_id=payload.case_id,
            unit=payload.unit, recipients=sorted({r.value for r in payload.recipients}),
            protected_identity=payload.protected_identity, caseworker_sub=payload.caseworker_sub,
            now=deps.clock(request))
        log.info("event taken in", extra={"event_id": str(event.id), "topic": event.topic, "notifications": made})
    out = EventOut(id=event.id, status="accepted" if known else "ignored", notifications=made).model_dump(mode="json")
    await idempotency.complete(session, "events", key, 202, out)
    await session.commit()
    if made:
        deps.service_extra(request, "relay").wake()
    return JSONResponse(out, status_code=202)
