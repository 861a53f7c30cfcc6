"""Threads, messages, attachments, read state, assignment and the caller's own inbox figures."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import uuid
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from kit import audit, idempotency
from kit.auth import Principal, authenticate
from kit.db import session as db_session
from kit.problems import Problem, not_found
from services.messaging import flows, store
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
from services.messaging.domain import access, inbox, rules
from services.messaging.domain.access import Party, Side
from values.files import EXTENSIONS, SNIFF_BYTES, AttachmentRejected, check_upload

router = APIRouter(tags=["threads"])

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key",
                                              description="Retry safely: the first answer is returned again.")]


def _window(request: Request) -> dt.timedelta:
    return dt.timedelta(minutes=deps.settings_of(request).retract_window_minutes)


async def _claim(session: AsyncSession, scope: str, key: str | None, body: object) -> JSONResponse | None:
    key = idempotency.check_key(key)
    if key is None:
        return None
    stored = await idempotency.claim(session, scope, key, idempotency.request_hash(body))
    return None if stored is None else JSONResponse(stored.body, status_code=stored.status)


async def _complete(session: AsyncSession, scope: str, key: str | None, status: int, body: object) -> None:
    if key is not None:
        await idempotency.complete(session, scope, key, status, body)


# --- threads ------------------------------------------------------------------------------------------------

@router.post("/threads", status_code=201, response_model=ThreadOut,
             summary="Start a thread (client: with their unit or about their case; staff: with a client)")
async def create_thread(body: ThreadCreate, request: Request, idempotency_key: IdempotencyKey = None,
                        session: AsyncSession = Depends(db_session), principal: Principal = Depends(authenticate),
                        p: Party = Depends(deps.participant)) -> Response:
    scope = f"{p.sub}:threads"
    if (answer := await _claim(session, scope, idempotency_key, body.model_dump(mode="json"))) is not None:
        return answer
    now = deps.clock(request)
    subject = rules.check_subject(body.subject)
    case = await store.get_case(session, body.case_id) if body.case_id else None
    if p.is_client:
        if body.personal_number is not None or body.protected_identity:
            raise Problem(422, "field-not-for-clients", "Not for clients",
                          "personal_number and protected_identity are set by staff only.")
        assert p.personal_number is not None
        if body.case_id is not None:
            if case is None or p.personal_number not in case.recipients:
                raise not_found("case")
            unit, members, protected = case.unit, list(case.recipients), case.protected_identity
        elif body.unit is not None:
            unit, members, protected = body.unit, [p.personal_number], False
        else:
            raise Problem(422, "thread-needs-unit", "Say who the thread is with", "Give a case_id or a unit.")
        owner_protected = await deps.owner_protected(request, members)
        protected = protected or p.protected_identity or bool(owner_protected)
        if p.protected_identity:
            await store.mark_protected(session, [p.personal_number])
        if owner_protected:
            await store.mark_protected(session, sorted(owner_protected))
        assignee = inbox.assignee_for_new_thread(case_caseworker=case.caseworker_sub if case else None,
                                                 created_by_staff=None)
        side = Side.CLIENT
    else:
        if not p.can_write_as_staff:
            raise Problem(403, "forbidden", "Forbidden", "Only caseworkers may start threads.")
        if body.case_id is not None:
            # Could the caller see the thread they are about to start? (An employment officer: as its starter.)
            if case is None or not access.is_unit_staff(p, access.ThreadFacts(
                    unit=case.unit, members=frozenset(case.recipients), protected_identity=case.protected_identity,
                    created_by=p.sub)):
                raise not_found("case")
            if not case.recipients:
                raise Problem(409, "case-without-household", "The case has no household yet",
                              "Messaging has not been told who the case is about yet; try again shortly.")
            unit, members, protected = case.unit, list(case.recipients), case.protected_identity
            owner_protected = await deps.owner_protected(request, members)
            if owner_protected and not p.protected_access:
                raise not_found("case")  # as for a protected case we already knew of
            protected = protected or bool(owner_protected)
        elif body.personal_number is not None:
            unit = body.unit or (next(iter(p.units)) if len(p.units) == 1 else "")
            if unit not in p.units:
                raise Problem(422, "unit-not-yours", "Not your unit",
                              "Give one of your units for a thread without a case.")
            members = [body.personal_number.value]
            # Staff write only to clients their unit knows and they may see. A person nobody here knows, another
            # unit's client and a protected client (to an uncleared caller) get the very same 404: otherwise the
            # answer would tell who is protected.
            if not await store.known_in_units(session, members[0], [unit], p.protected_access, sub=p.sub,
                                              work_only=p.work_only):
                raise not_found("client")
            owner_protected = await deps.owner_protected(request, members)
            protected = (body.protected_identity or bool(owner_protected)
                         or await store.any_protected(session, members))
            if protected and not p.protected_access:
                raise not_found("client")
        else:
            raise Problem(422, "thread-needs-client", "Say who the thread is with",
                          "Give a case_id or the client's personal_number.")
        if protected:
            # Only cleared staff get here with it: the owner's word, our copy, or their own (audited) marking.
            await store.mark_protected(session, members)
        assignee = inbox.assignee_for_new_thread(case_caseworker=case.caseworker_sub if case else None,
                                                 created_by_staff=p.sub)
        side = Side.STAFF
    keyring = deps.keyring_of(request)
    thread_id = await store.create_thread(session, keyring, unit=unit, case_id=body.case_id, subject=subject,
                                          members=members, protected_identity=protected, assigned_to=assignee,
                                          created_by=p.sub, now=now)
    if side is Side.STAFF:
        audit.record(session, principal, "create", "thread", str(thread_id), subject=",".join(sorted(members)),
                     purpose="messaging")
    await store.publish(session, {"type": "thread", "thread_id": str(thread_id)})
    thread = await store.get_thread(session, keyring, thread_id, now)
    assert thread is not None
    made = 0
    if body.body is not None:
        _, made = await flows.send_message(session, settings=deps.settings_of(request), keyring=keyring,
                                           thread=thread, side=side, party=p, principal=principal, body=body.body,
                                           attachment_ids=[], now=now)
        thread = await store.get_thread(session, keyring, thread_id, now)
        assert thread is not None
    out = ThreadOut.of(thread, side).model_dump(mode="json")
    await _complete(session, scope, idempotency.check_key(idempotency_key), 201, out)
    await session.commit()
    if made:
        deps.service_extra(request, "relay").wake()
    return JSONResponse(out, status_code=201)


@router.get("/threads", response_model=list[ThreadOut],
            summary="My threads (client), or the unit's: mine, the unit inbox, or all (staff)")
async def list_threads(request: Request, view: Literal["mine", "unit", "all"] = "all",
                       case_id: uuid.UUID | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100,
                       session: AsyncSession = Depends(db_session),
                       p: Party = Depends(deps.participant)) -> list[ThreadOut]:
    keyring = deps.keyring_of(request)
    if p.is_client:
        threads = await store.client_threads(session, keyring, personal_number=p.personal_number or "",
                                             reader=access.reader_key(p, Side.CLIENT), limit=limit)
        if case_id is not None:
            threads = [t for t in threads if t.case_id == case_id]
        return [ThreadOut.of(t, Side.CLIENT) for t in threads]
    threads = await store.staff_threads(
        session, keyring, sub=p.sub, units=sorted(p.units), protected_access=p.protected_access, view=view,
        reader=access.reader_key(p, Side.STAFF), now=deps.clock(request), case_id=case_id, limit=limit,
        work_only=p.work_only)
    return [ThreadOut.of(t, Side.STAFF) for t in threads]


@router.get("/threads/{thread_id}", response_model=ThreadOut, summary="One thread")
async def get_thread(t: ThreadAccess = Depends(deps.readable_thread),
                     session: AsyncSession = Depends(db_session)) -> ThreadOut:
    t.thread.unread = await store.unread_in_thread(session, t.thread.id, side=t.side, reader=t.reader)
    t.audit_read(session, "thread")
    await session.commit()
    return ThreadOut.of(t.thread, t.side)


# --- messages -----------------------------------------------------------------------------------------------

@router.get("/threads/{thread_id}/messages", response_model=list[MessageOut],
            summary="Messages in order (after_seq to page; retracted ones without their text)")
async def list_messages(request: Request, after_seq: Annotated[int, Query(ge=0)] = 0,
                        limit: Annotated[int, Query(ge=1, le=500)] = 100,
                        t: ThreadAccess = Depends(deps.readable_thread),
                        session: AsyncSession = Depends(db_session)) -> list[MessageOut]:
    messages = await store.list_messages(session, deps.keyring_of(request), t.thread.id, after_seq=after_seq,
                                         limit=limit)
    t.audit_read(session, "messages", after_seq=after_seq, count=len(messages))
    await session.commit()
    window = _window(request)
    return [MessageOut.of(m, caller_sub=t.party.sub, staff_view=t.staff_view, window=window) for m in messages]


@router.post("/threads/{thread_id}/messages", status_code=201, response_model=MessageOut,
             summary="Send a message (with files uploaded to the thread first)")
async def send_message(body: MessageCreate, request: Request, idempotency_key: IdempotencyKey = None,
                       t: ThreadAccess = Depends(deps.writable_thread),
                       session: AsyncSession = Depends(db_session)) -> Response:
    scope = f"{t.party.sub}:messages:{t.thread.id}"
    if (answer := await _claim(session, scope, idempotency_key, body.model_dump(mode="json"))) is not None:
        return answer
    message, made = await flows.send_message(
        session, settings=deps.settings_of(request), keyring=deps.keyring_of(request), thread=t.thread,
        side=t.side, party=t.party, principal=t.principal, body=body.body, attachment_ids=body.attachment_ids,
        now=deps.clock(request))
    out = MessageOut.of(message, caller_sub=t.party.sub, staff_view=t.staff_view,
                        window=_window(request)).model_dump(mode="json")
    await _complete(session, scope, idempotency.check_key(idempotency_key), 201, out)
    await session.commit()
    if made:
        deps.service_extra(request, "relay").wake()
    return JSONResponse(out, status_code=201)


@router.post("/threads/{thread_id}/messages/{message_id}/retract", response_model=MessageOut,
             summary="Retract your own message within the window (it stays in the record and the audit)")
async def retract_message(message_id: uuid.UUID, request: Request, t: ThreadAccess = Depends(deps.readable_thread),
                          session: AsyncSession = Depends(db_session)) -> MessageOut:
    keyring = deps.keyring_of(request)
    found = await store.list_messages(session, keyring, t.thread.id, message_id=message_id)
    if not found:
        raise not_found("message")
    message = found[0]
    now = deps.clock(request)
    window = _window(request)
    rules.check_retract(sender_sub=message.sender_sub, caller_sub=t.party.sub, sent_at=message.created_at,
                        retracted=message.retracted_at is not None, now=now, window=window)
    await store.retract(session, message.id, now)
    audit.record(session, t.principal, "retract", "message", str(message.id),
                 subject=",".join(sorted(t.thread.members)), purpose="messaging",
                 details={"thread_id": str(t.thread.id), "seq": message.seq})
    await store.publish(session, {"type": "retracted", "thread_id": str(t.thread.id),
                                  "message_id": str(message.id), "seq": message.seq})
    await session.commit()
    message = (await store.list_messages(session, keyring, t.thread.id, message_id=message_id))[0]
    return MessageOut.of(message, caller_sub=t.party.sub, staff_view=t.staff_view, window=window)


# --- attachments --------------------------------------------------------------------------------------------

_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def _filename(raw: str | None, media_type: str) -> str:
    name = _UNSAFE_NAME.sub("_", (raw or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip(" .")[:200]
    return name or f"bilaga.{EXTENSIONS[media_type]}"


def _disposition(name: str) -> str:
    """Always a download; an ASCII name for old clients, the real one (RFC 6266/5987) for the rest."""
    fallback = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


@router.post("/threads/{thread_id}/attachments", status_code=201, response_model=AttachmentOut,
             summary="Upload a file (PDF, JPEG or PNG, read from its bytes) to send with your next message")
async def upload_attachment(file: UploadFile, request: Request, t: ThreadAccess = Depends(deps.writable_thread),
                            session: AsyncSession = Depends(db_session)) -> AttachmentOut:
    settings = deps.settings_of(request)
    pending = await store.count_pending(session, t.thread.id, t.party.sub)
    rules.check_attachment_count(pending + 1, settings.max_attachments_per_message)
    content = await file.read(settings.attachment_max_bytes + 1)
    if len(content) > settings.attachment_max_bytes:
        raise AttachmentRejected(f"A file may be at most {settings.attachment_max_bytes // (1024 * 1024)} MB.",
                                 code="attachment-too-large", status=413)
    media_type = check_upload(content[:SNIFF_BYTES], len(content), existing_count=0)
    meta = await store.add_attachment(session, deps.keyring_of(request), thread_id=t.thread.id,
                                      uploaded_by=t.party.sub, filename=_filename(file.filename, media_type),
                                      media_type=media_type, content=content, now=deps.clock(request))
    await session.commit()
    return AttachmentOut.of(meta)


@router.get("/threads/{thread_id}/attachments/{attachment_id}", response_class=Response,
            responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
            summary="Download a file (always as a download, never shown inline)")
async def download_attachment(attachment_id: uuid.UUID, request: Request,
                              t: ThreadAccess = Depends(deps.readable_thread),
                              session: AsyncSession = Depends(db_session)) -> Response:
    found = await store.get_attachment(session, deps.keyring_of(request), t.thread.id, attachment_id)
    if found is None:
        raise not_found("attachment")
    unsent_and_not_mine = found.meta.message_id is None and found.meta.uploaded_by != t.party.sub
    if unsent_and_not_mine or (found.retracted and not t.staff_view):
        raise not_found("attachment")
    digest = hashlib.sha256(found.content).digest()
    if digest.hex() != found.meta.sha256:  # GCM already authenticates; this guards our own bugs
        raise Problem(500, "attachment-corrupt", "Internal error", "The stored file does not match its checksum.")
    t.audit_read(session, "attachment", str(attachment_id))
    await session.commit()
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
async def mark_read(request: Request, body: ReadIn | None = None, t: ThreadAccess = Depends(deps.readable_thread),
                    session: AsyncSession = Depends(db_session)) -> ReadOut:
    wanted = body.up_to_seq if body is not None and body.up_to_seq is not None else t.thread.last_seq
    up_to = min(wanted, t.thread.last_seq)
    now = deps.clock(request)
    newly = await store.mark_read(session, thread_id=t.thread.id, reader=t.reader, reader_sub=t.party.sub,
                                  side=t.side, up_to_seq=up_to, now=now)
    if newly:
        await store.publish(session, {"type": "read", "thread_id": str(t.thread.id), "side": t.side.value,
                                      "up_to_seq": up_to, "read_at": now.isoformat(),
                                      "message_ids": [str(m) for m in newly[:100]]})
    await session.commit()
    return ReadOut(thread_id=t.thread.id, last_read_seq=up_to, newly_read=len(newly))


@router.get("/me/unread", response_model=UnreadOut,
            summary="Unread counts: per thread (client), or mine and each unit inbox (staff)")
async def unread(request: Request, session: AsyncSession = Depends(db_session),
                 p: Party = Depends(deps.participant)) -> UnreadOut:
    if p.is_client:
        threads = await store.client_threads(session, deps.keyring_of(request), personal_number=p.personal_number or "",
                                             reader=access.reader_key(p, Side.CLIENT), limit=500)
        per = {str(t.id): t.unread for t in threads if t.unread}
        return UnreadOut(total=sum(per.values()), threads=per)
    mine, units = await store.staff_unread(session, sub=p.sub, units=sorted(p.units),
                                           protected_access=p.protected_access,
                                           reader=access.reader_key(p, Side.STAFF), now=deps.clock(request),
                                           work_only=p.work_only)
    return UnreadOut(total=mine + sum(units.values()), mine=mine, unit_inbox=units)


# --- the unit inbox: taking and handing over ------------------------------------------------------------------

async def _reloaded(session: AsyncSession, request: Request, t: ThreadAccess) -> ThreadOut:
    thread = await store.get_thread(session, deps.keyring_of(request), t.thread.id, deps.clock(request))
    assert thread is not None
    return ThreadOut.of(thread, t.side)


@router.post("/threads/{thread_id}/take", response_model=ThreadOut,
             summary="Take a thread from the unit inbox (or from a colleague who is away without a substitute)")
async def take_thread(request: Request, t: ThreadAccess = Depends(deps.managed_thread),
                      session: AsyncSession = Depends(db_session)) -> ThreadOut:
    current = await store.lock_assignee(session, t.thread.id)
    working = t.thread.effective_assignee if current == t.thread.assigned_to else current
    await store.set_assignee(session, t.thread.id, inbox.take(working, t.party.sub))
    audit.record(session, t.principal, "assign", "thread", str(t.thread.id), purpose="messaging",
                 details={"from": current, "to": t.party.sub})
    await store.publish(session, {"type": "thread", "thread_id": str(t.thread.id)})
    await session.commit()
    return await _reloaded(session, request, t)


@router.post("/threads/{thread_id}/assign", response_model=ThreadOut,
             summary="Hand a thread to a colleague, or back to the unit inbox (to: null)")
async def assign_thread(body: AssignIn, request: Request, t: ThreadAccess = Depends(deps.managed_thread),
                        session: AsyncSession = Depends(db_session)) -> ThreadOut:
    current = await store.lock_assignee(session, t.thread.id)
    await store.set_assignee(session, t.thread.id, body.to)
    audit.record(session, t.principal, "assign", "thread", str(t.thread.id), purpose="messaging",
                 details={"from": current, "to": body.to})
    await store.publish(session, {"type": "thread", "thread_id": str(t.thread.id)})
    await session.commit()
    return await _reloaded(session, request, t)


@router.get("/me/absence", response_model=AbsenceOut, summary="My absence, if I have one")
async def get_absence(session: AsyncSession = Depends(db_session),
                      p: Party = Depends(deps.staff_writer)) -> AbsenceOut:
    row = await store.get_absence(session, p.sub)
    if row is None:
        raise not_found("absence")
    return AbsenceOut(starts_at=row.starts_at, ends_at=row.ends_at, substitute=row.substitute_sub)


@router.put("/me/absence", response_model=AbsenceOut,
            summary="Be away: my threads go to the substitute (or the unit inbox) until I am back")
async def put_absence(body: AbsenceIn, session: AsyncSession = Depends(db_session),
                      principal: Principal = Depends(authenticate),
                      p: Party = Depends(deps.staff_writer)) -> AbsenceOut:
    absence = inbox.Absence(body.starts_at, body.ends_at, body.substitute)
    inbox.check_absence(absence, p.sub)
    await store.put_absence(session, p.sub, body.starts_at, body.ends_at, body.substitute)
    audit.record(session, principal, "update", "absence", p.sub, purpose="messaging",
                 details={"substitute": body.substitute})
    await session.commit()
    return AbsenceOut(starts_at=body.starts_at, ends_at=body.ends_at, substitute=body.substitute)


@router.delete("/me/absence", status_code=204, summary="Back: my threads are mine again")
async def delete_absence(session: AsyncSession = Depends(db_session),
                         p: Party = Depends(deps.staff_writer)) -> Response:
    await store.delete_absence(session, p.sub)
    await session.commit()
    return Response(status_code=204)
