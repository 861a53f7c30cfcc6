"""Live updates over Server-Sent Events: ids of new messages, read receipts, retractions, thread changes.

Authenticated like every call (Authorization header; tokens never go in URLs). The stream ends when the
token expires (or after sse_max_stream_seconds) with an "event: reconnect"; clients reconnect with a fresh
token and refetch unread counts. The gateway lists this route in GATEWAY_STREAM_ROUTES (no read timeout there).
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from kit.auth import Principal, authenticate
from kit.representation import Scope, acts_for
from services.messaging.api import deps
from services.messaging.domain.access import Party
from services.messaging.service.live import event_stream
from services.messaging.service.runtime import Runtime

router = APIRouter(tags=["live"])


@router.get("/me/stream", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}},
            summary="My live updates (text/event-stream): message, read, retracted, thread, resync, reconnect")
@acts_for(Scope.MESSAGES)
async def stream(principal: Principal = Depends(authenticate), p: Party = Depends(deps.participant),
                 rt: Runtime = Depends(deps.current_runtime)) -> StreamingResponse:
    settings, hub = rt.settings, rt.hub
    subscriber = hub.subscribe(p)
    lifetime = settings.sse_max_stream_seconds
    if principal.expires_at:
        lifetime = min(lifetime, principal.expires_at - time.time())
    body = event_stream(hub, subscriber, heartbeat_seconds=settings.sse_heartbeat_seconds,
                        until=time.monotonic() + lifetime)
    return StreamingResponse(body, media_type="text/event-stream", headers={
        "Cache-Control": "no-store", "X-Accel-Buffering": "no"})
