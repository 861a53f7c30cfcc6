"""Outbox events, as messaging's POST /events takes them: the envelope and each topic's payload.

The producer builds the payload with the model here and sends ``model_dump(mode="json")``; the consumer
validates with the same model. Payloads carry routing facts only (who to tell, when), never what a case or
a meeting says.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from values.personal_number import PersonalNumber

Unit = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]

# applications.* : a case moved
APPLICATION_SUBMITTED = "application.submitted"
APPLICATION_ASSIGNED = "application.assigned"
APPLICATION_INFO_REQUESTED = "application.info_requested"
APPLICATION_DECIDED = "application.decided"
APPLICATION_TOPICS = frozenset({APPLICATION_SUBMITTED, APPLICATION_ASSIGNED, APPLICATION_INFO_REQUESTED,
                                APPLICATION_DECIDED})

# meeting.* : a booking changed, or a reminder is due
MEETING_BOOKED = "meeting.booked"
MEETING_CHANGED = "meeting.changed"
MEETING_CANCELLED = "meeting.cancelled"
MEETING_REMINDER = "meeting.reminder"
MEETING_TOPICS = frozenset({MEETING_BOOKED, MEETING_CHANGED, MEETING_CANCELLED, MEETING_REMINDER})


# The envelope: the id is the receiver's idempotency key, whatever the number of deliveries. (No docstring:
# it would change the published schema.)
# The W3C trace context (traceparent, tracestate) of the change that made the event, when tracing is on: in a
# batch each event continues its own trace, not the trace of the batch's request.
TraceCarrier = Annotated[dict[Annotated[str, StringConstraints(max_length=32)],
                              Annotated[str, StringConstraints(max_length=512)]], Field(max_length=4)]


class EventIn(BaseModel):
    id: uuid.UUID
    topic: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    occurred_at: AwareDatetime
    payload: dict[str, Any] = Field(default_factory=dict)
    trace: TraceCarrier | None = None


class EventOut(BaseModel):
    id: uuid.UUID
    status: Literal["accepted", "ignored"]
    notifications: int


# POST /events/batch: several events in one request (an outbox relay's claimed batch), each taken in once by its id
# exactly as POST /events would (the same idempotency record), answered one result per event in order.
EVENT_BATCH_MAX = 100


class EventBatchIn(BaseModel):
    """Events in the order they happened; one that is refused does not stop the others."""

    events: list[EventIn] = Field(min_length=1, max_length=EVENT_BATCH_MAX)


class EventProblem(BaseModel):
    """Why one event of a batch was refused: the ``type`` POST /events would answer with (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str | None = None


class EventResult(BaseModel):
    """``accepted`` / ``ignored`` as POST /events answers; ``duplicate``: taken in before (a redelivery), nothing
    done now; ``refused``: not taken in, see ``problem`` (the sender keeps it and may send it again)."""

    id: uuid.UUID
    status: Literal["accepted", "ignored", "duplicate", "refused"]
    notifications: int = 0
    problem: EventProblem | None = None


class EventBatchOut(BaseModel):
    """One result per event of the batch, in the batch's order."""

    results: list[EventResult]


class EventPayload(BaseModel):
    """application.* events: the case, its unit, who to tell, and the caseworker to tell (if any)."""

    model_config = ConfigDict(extra="allow")

    case_id: uuid.UUID
    unit: Unit
    recipients: list[PersonalNumber] = Field(default_factory=list, max_length=20)
    protected_identity: bool = False
    caseworker_sub: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class MeetingEventPayload(BaseModel):
    """meeting.* events: who to tell and when the meeting is. A location sent here is ignored, never stored."""

    model_config = ConfigDict(extra="ignore")

    booking_id: uuid.UUID
    unit: Unit
    recipients: list[PersonalNumber] = Field(default_factory=list, max_length=20)
    protected_identity: bool = False
    starts_at: AwareDatetime
    channel: Annotated[str, StringConstraints(max_length=40)] | None = None


def utc_iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()
