"""Events from other services' outboxes: taken in once per event id, whatever the number of deliveries."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import EventBatchIn, EventBatchOut, EventIn, EventOut
from kit.db import session as db_session
from kit.idempotency import Idempotency, StoredAnswer
from kit.responses import JSONResponse
from services.messaging.api import deps
from services.messaging.service import events
from services.messaging.service.runtime import Runtime

router = APIRouter(tags=["events"])


@router.post("/events", status_code=202, response_model=EventOut,
             summary="Services only: an outbox event (a decision, a request for more, a meeting) to notify about")
async def receive_event(event: EventIn, sender: str = Depends(deps.event_sender),
                        session: AsyncSession = Depends(db_session), rt: Runtime = Depends(deps.current_runtime),
                        idem: Idempotency = Depends(deps.event_idempotency)) -> JSONResponse:
    result = await events.receive(session, rt, sender, event, idem)
    if isinstance(result, StoredAnswer):  # a redelivery: the first answer again
        return JSONResponse(result.body, status_code=result.status)
    return JSONResponse(result, status_code=202)


@router.post("/events/batch", status_code=200, response_model=EventBatchOut,
             summary="Services only: outbox events in one request, each taken in once as POST /events would; "
                     "one result per event, in order")
async def receive_events(batch: EventBatchIn, sender: str = Depends(deps.event_sender),
                         session: AsyncSession = Depends(db_session),
                         rt: Runtime = Depends(deps.current_runtime)) -> JSONResponse:
    return JSONResponse(await events.receive_batch(session, rt, sender, batch))
