"""Threads, messages, attachments, read state, assignment and the caller's own inbox figures."""

from __future__ import annotations

import base64
import uuid
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, UploadFile
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from kit.auth import Principal, authenticate
from kit.db import session as db_session
from kit.idempotency import Idempotency, StoredAnswer
from kit.representation import Scope, acts_for
from kit.responses import JSONResponse
from services.messaging.api import deps
from services.messaging.api.deps import ThreadAccess
from services.messaging.api.schemas import (
    AbsenceIn,
    AbsenceOut,
    AssignIn,
    AttachmentOut,
    MessageCreate,
    MessageOut,
    ReadIn,
    ReadOut,
    ThreadCreate,
    ThreadOut,
    UnreadOut,
)
from services.messaging.domain.access import Party
from services.messaging.service import absences, attachments, inbox, threads
from services.messaging.service.runtime import Runtime

router = APIRouter(tags=["threads"])


def _answer(result: dict[str, Any] | StoredAnswer, status: int) -> JSONResponse:
    if isinstance(result, StoredAnswer):  # a retry: the first answer again
        return JSONResponse(result.body, status_code=result.status)
    return JSONResponse(result, status_code=status)


def _message_out(rt: Runtime, t: ThreadAccess, m: threads.MessageRecord) -> MessageOut:
    return MessageOut.of(m, caller_sub=t.party.sub, staff_view=t.staff_view, window=rt.retract_window)


# --- threads ------------------------------------------------------------------------------------------------

@router.post("/threads", status_code=201, response_model=ThreadOut,
             summary="Start a thread (client: with their unit or about their case; staff: with a client)")
@acts_for(Scope.MESSAGES)
async def create_thread(body: ThreadCreate, session: AsyncSession = Depends(db_session),
                        principal: Principal = Depends(authenticate), p: Party = Depends(deps.thread_starter),
                        rt: Runtime = Depends(deps.current_runtime),
                        idem: Idempotency = Depends(deps.idempotency)) -> Response:
    result = await threads.start(
        session, rt, p, principal, subject=body.subject, unit=body.unit, case_id=body.case_id,
        personal_number=body.personal_number.value if body.personal_number is not None else None,
        protected_identity=body.protected_identity, body=body.body, idem=idem, request=body.model_dump(mode="json"),
        answer=lambda thread, side: ThreadOut.of(thread, side).model_dump(mode="json"))
    return _answer(result, 201)


@router.get("/threads", response_model=list[ThreadOut],
            summary="My threads (client), or the unit's: mine, the unit inbox, or all (staff)")
@acts_for(Scope.MESSAGES)
async def list_threads(view: Literal["mine", "unit", "all"] = "all",
                       case_id: uuid.UUID | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100,
                       session: AsyncSession = Depends(db_session),
                       p: Party = Depends(deps.participant),
                       rt: Runtime = Depends(deps.current_runtime)) -> list[ThreadOut]:
    found, side = await inbox.threads_of(session, rt, p, view=view, case_id=case_id, limit=limit)
    return [ThreadOut.of(t, side) for t in found]


@router.get("/threads/{thread_id}", response_model=ThreadOut, summary="One thread")
@acts_for(Scope.MESSAGES)
async def get_thread(t: ThreadAccess = Depends(deps.readable_thread),
                     session: AsyncSession = Depends(db_session)) -> ThreadOut:
    return ThreadOut.of(await threads.read_one(session, t), t.side)


# --- messages -----------------------------------------------------------------------------------------------

@router.get("/threads/{thread_id}/messages", response_model=list[MessageOut],
            summary="Messages in order (after_seq to page; retracted ones without their text)")
@acts_for(Scope.MESSAGES)
async def list_messages(after_seq: Annotated[int, Query(ge=0)] = 0,
                        limit: Annotated[int, Query(ge=1, le=500)] = 100,
                        t: ThreadAccess = Depends(deps.readable_thread),
                        session: AsyncSession = Depends(db_session),
                        rt: Runtime = Depends(deps.current_runtime)) -> list[MessageOut]:
    found = await threads.messages(session, rt, t, after_seq=after_seq, limit=limit)
    return [_message_out(rt, t, m) for m in found]


@router.post("/threads/{thread_id}/messages", status_code=201, response_model=MessageOut,
             summary="Send a message (with files uploaded to the thread first)")
@acts_for(Scope.MESSAGES)
async def send_message(body: MessageCreate, t: ThreadAccess = Depends(deps.writable_thread),
                       session: AsyncSession = Depends(db_session), rt: Runtime = Depends(deps.current_runtime),
                       idem: Idempotency = Depends(deps.idempotency)) -> Response:
    result = await threads.send(session, rt, t, body=body.body, attachment_ids=body.attachment_ids, idem=idem,
                                request=body.model_dump(mode="json"),
                                answer=lambda m: _message_out(rt, t, m).model_dump(mode="json"))
    return _answer(result, 201)


@router.post("/threads/{thread_id}/messages/{message_id}/retract", response_model=MessageOut,
             summary="Retract your own message within the window (it stays in the record and the audit)")
@acts_for(Scope.MESSAGES)
async def retract_message(message_id: uuid.UUID, t: ThreadAccess = Depends(deps.readable_thread),
                          session: AsyncSession = Depends(db_session),
                          rt: Runtime = Depends(deps.current_runtime)) -> MessageOut:
    return _message_out(rt, t, await threads.retract(session, rt, t, message_id))


# --- attachments --------------------------------------------------------------------------------------------

def _disposition(name: str) -> str:
    """Always a download; an ASCII name for old clients, the real one (RFC 6266/5987) for the rest."""
    fallback = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


@router.post("/threads/{thread_id}/attachments", status_code=201, response_model=AttachmentOut,
             summary="Upload a file (PDF, JPEG or PNG, read from its bytes) to send with your next message")
@acts_for(Scope.MESSAGES)
async def upload_attachment(file: UploadFile, t: ThreadAccess = Depends(deps.writable_thread),
                            session: AsyncSession = Depends(db_session),
                            rt: Runtime = Depends(deps.current_runtime)) -> AttachmentOut:
    return AttachmentOut.of(await attachments.upload(session, rt, t, filename=file.filename, read=file.read))


@router.get("/threads/{thread_id}/attachments/{attachment_id}", response_class=Response,
            responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
            summary="Download a file (always as a download, never shown inline)")
@acts_for(Scope.MESSAGES)
async def download_attachment(attachment_id: uuid.UUID, t: ThreadAccess = Depends(deps.readable_thread),
                              session: AsyncSession = Depends(db_session),
                              rt: Runtime = Depends(deps.current_runtime)) -> Response:
    found, digest = await attachments.download(session, rt, t, attachment_id)
    return Response(found.content, media_type=found.meta.media_type, headers={
        "Content-Disposition": _disposition(found.meta.filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
        "Repr-Digest": f"sha-256=:{base64.b64encode(digest).decode()}:",
    })


# --- read state ---------------------------------------------------------------------------------------------

@router.post("/threads/{thread_id}/read", response_model=ReadOut,
             summary="Mark the thread read up to a message (the other side sees when)")
@acts_for(Scope.MESSAGES)
async def mark_read(body: ReadIn | None = None, t: ThreadAccess = Depends(deps.readable_thread),
                    session: AsyncSession = Depends(db_session),
                    rt: Runtime = Depends(deps.current_runtime)) -> ReadOut:
    up_to, newly = await threads.read(session, rt, t, body.up_to_seq if body is not None else None)
    return ReadOut(thread_id=t.thread.id, last_read_seq=up_to, newly_read=newly)


@router.get("/me/unread", response_model=UnreadOut,
            summary="Unread counts: per thread (client), or mine and each unit inbox (staff)")
@acts_for(Scope.MESSAGES)
async def unread(session: AsyncSession = Depends(db_session), p: Party = Depends(deps.participant),
                 rt: Runtime = Depends(deps.current_runtime)) -> UnreadOut:
    return UnreadOut(**await inbox.unread(session, rt, p))


# --- the unit inbox: taking and handing over ------------------------------------------------------------------

@router.post("/threads/{thread_id}/take", response_model=ThreadOut,
             summary="Take a thread from the unit inbox (or from a colleague who is away without a substitute)")
async def take_thread(t: ThreadAccess = Depends(deps.managed_thread), session: AsyncSession = Depends(db_session),
                      rt: Runtime = Depends(deps.current_runtime)) -> ThreadOut:
    return ThreadOut.of(await threads.take(session, rt, t), t.side)


@router.post("/threads/{thread_id}/assign", response_model=ThreadOut,
             summary="Hand a thread to a colleague, or back to the unit inbox (to: null)")
async def assign_thread(body: AssignIn, t: ThreadAccess = Depends(deps.managed_thread),
                        session: AsyncSession = Depends(db_session),
                        rt: Runtime = Depends(deps.current_runtime)) -> ThreadOut:
    return ThreadOut.of(await threads.assign(session, rt, t, body.to), t.side)


@router.get("/me/absence", response_model=AbsenceOut, summary="My absence, if I have one")
async def get_absence(session: AsyncSession = Depends(db_session),
                      p: Party = Depends(deps.staff_writer)) -> AbsenceOut:
    found = await absences.get(session, p)
    return AbsenceOut(starts_at=found.starts_at, ends_at=found.ends_at, substitute=found.substitute_sub)


@router.put("/me/absence", response_model=AbsenceOut,
            summary="Be away: my threads go to the substitute (or the unit inbox) until I am back")
async def put_absence(body: AbsenceIn, session: AsyncSession = Depends(db_session),
                      principal: Principal = Depends(authenticate),
                      p: Party = Depends(deps.staff_writer)) -> AbsenceOut:
    await absences.put(session, p, principal, starts_at=body.starts_at, ends_at=body.ends_at,
                       substitute=body.substitute)
    return AbsenceOut(starts_at=body.starts_at, ends_at=body.ends_at, substitute=body.substitute)


@router.delete("/me/absence", status_code=204, summary="Back: my threads are mine again")
async def delete_absence(session: AsyncSession = Depends(db_session),
                         p: Party = Depends(deps.staff_writer)) -> Response:
    await absences.delete(session, p)
    return Response(status_code=204)
