"""Threads and their messages: start, send, read, retract, take and assign.

Each use case runs in one transaction and commits it here: the message, its notifications (outbox), the audit
entry, the live event (NOTIFY) and the idempotent answer all happen, or none does.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.auth import Principal
from kit.i18n import N_
from kit.idempotency import Idempotency, StoredAnswer
from kit.problems import Problem, not_found
from services.messaging.domain import access, inbox, notify, rules
from services.messaging.domain.access import Party, Side
from services.messaging.domain.errors import MessagingError
from services.messaging.service.access import ThreadAccess
from services.messaging.service.protection import owner_protected
from services.messaging.service.runtime import Runtime
from services.messaging.store import attachments as attachments_store
from services.messaging.store import cases as cases_store
from services.messaging.store import contacts as contacts_store
from services.messaging.store import inbox as inbox_store
from services.messaging.store import live as live_store
from services.messaging.store import messages as messages_store
from services.messaging.store import notifications as notifications_store
from services.messaging.store import protection as protection_store
from services.messaging.store import reads as reads_store
from services.messaging.store import threads as threads_store
from services.messaging.store.messages import MessageRecord
from services.messaging.store.threads import ThreadRecord

__all__ = ["MessageRecord", "ThreadRecord", "assign", "messages", "read", "read_one", "retract", "send", "start",
           "take"]


class AttachmentUnknown(MessagingError):
    code = "attachment-unknown"
    status = 422
    title = N_("Unknown attachment")


# --- starting a thread ----------------------------------------------------------------------------------------

async def start(session: AsyncSession, rt: Runtime, p: Party, principal: Principal, *, subject: str,
                unit: str | None, case_id: uuid.UUID | None, personal_number: str | None, protected_identity: bool,
                body: str | None, idem: Idempotency, request: Any,
                answer: Callable[[ThreadRecord, Side], dict[str, Any]]) -> dict[str, Any] | StoredAnswer:
    """A client starts a thread with their unit or about their case; a caseworker with a client of their unit
    or about a case. ``request``: the parsed body (for the idempotent retry); ``answer``: the wire form of the
    thread, stored with the key. Returns it, or the first answer to a retry."""
    if (stored := await idem.claim(session, f"{p.sub}:threads", request)) is not None:
        return stored
    now = rt.now()
    subject = rules.check_subject(subject)
    case = await cases_store.get_case(session, case_id) if case_id else None
    if p.is_client:
        if personal_number is not None or protected_identity:
            raise Problem(422, "field-not-for-clients", N_("Not for clients"),
                          N_("personal_number and protected_identity are set by staff only."))
        assert p.personal_number is not None
        if case_id is not None:
            if case is None or p.personal_number not in case.recipients:
                raise not_found("case")
            unit, members, protected = case.unit, list(case.recipients), case.protected_identity
        elif unit is not None:
            members, protected = [p.personal_number], False
        else:
            raise Problem(422, "thread-needs-unit", N_("Say who the thread is with"), N_("Give a case_id or a unit."))
        owner_says = await owner_protected(rt, members)
        protected = protected or p.protected_identity or bool(owner_says)
        if p.protected_identity:
            await protection_store.mark_protected(session, [p.personal_number])
        if owner_says:
            await protection_store.mark_protected(session, sorted(owner_says))
        assignee = inbox.assignee_for_new_thread(case_caseworker=case.caseworker_sub if case else None,
                                                 created_by_staff=None)
        side = Side.CLIENT
    else:
        if case_id is not None:
            # Could the caller see the thread they are about to start? (An employment officer: as its starter.)
            if case is None or not access.is_unit_staff(p, access.ThreadFacts(
                    unit=case.unit, members=frozenset(case.recipients), protected_identity=case.protected_identity,
                    created_by=p.sub)):
                raise not_found("case")
            if not case.recipients:
                raise Problem(409, "case-without-household", "The case has no household yet",
                              "Messaging has not been told who the case is about yet; try again shortly.")
            unit, members, protected = case.unit, list(case.recipients), case.protected_identity
            owner_says = await owner_protected(rt, members)
            if owner_says and not p.protected_access:
                raise not_found("case")  # as for a protected case we already knew of
            protected = protected or bool(owner_says)
        elif personal_number is not None:
            unit = unit or (next(iter(p.units)) if len(p.units) == 1 else "")
            if unit not in p.units:
                raise Problem(422, "unit-not-yours", "Not your unit",
                              "Give one of your units for a thread without a case.")
            members = [personal_number]
            # Staff write only to clients their unit knows and they may see. A person nobody here knows, another
            # unit's client and a protected client (to an uncleared caller) get the very same 404: otherwise the
            # answer would tell who is protected.
            if not await contacts_store.known_in_units(session, members[0], [unit], p.protected_access, sub=p.sub,
                                                       work_only=p.work_only):
                raise not_found("client")
            owner_says = await owner_protected(rt, members)
            protected = (protected_identity or bool(owner_says)
                         or await protection_store.any_protected(session, members))
            if protected and not p.protected_access:
                raise not_found("client")
        else:
            raise Problem(422, "thread-needs-client", "Say who the thread is with",
                          "Give a case_id or the client's personal_number.")
        if protected:
            # Only cleared staff get here with it: the owner's word, our copy, or their own (audited) marking.
            await protection_store.mark_protected(session, members)
        assignee = inbox.assignee_for_new_thread(case_caseworker=case.caseworker_sub if case else None,
                                                 created_by_staff=p.sub)
        side = Side.STAFF
    thread_id = await threads_store.create_thread(session, rt.keyring, unit=unit, case_id=case_id, subject=subject,
                                                  members=members, protected_identity=protected, assigned_to=assignee,
                                                  created_by=p.sub, now=now)
    if side is Side.STAFF:
        audit.record(session, principal, "create", "thread", str(thread_id), subject=",".join(sorted(members)),
                     purpose="messaging")
    await live_store.publish(session, {"type": "thread", "thread_id": str(thread_id)})
    thread = await threads_store.get_thread(session, rt.keyring, thread_id, now)
    assert thread is not None
    made = 0
    if body is not None:
        _, made = await _append(session, rt, thread=thread, side=side, party=p, principal=principal, body=body,
                                attachment_ids=[], now=now)
        thread = await threads_store.get_thread(session, rt.keyring, thread_id, now)
        assert thread is not None
    out = answer(thread, side)
    await idem.complete(session, 201, out)
    await session.commit()
    if made:
        rt.relay.wake()
    return out


# --- sending ----------------------------------------------------------------------------------------------------

async def send(session: AsyncSession, rt: Runtime, t: ThreadAccess, *, body: str, attachment_ids: list[uuid.UUID],
               idem: Idempotency, request: Any,
               answer: Callable[[MessageRecord], dict[str, Any]]) -> dict[str, Any] | StoredAnswer:
    """Send a message (with files uploaded to the thread first); its notifications are delivered after the
    commit (the relay is woken). Returns the wire form of the message, or the first answer to a retry."""
    if (stored := await idem.claim(session, f"{t.party.sub}:messages:{t.thread.id}", request)) is not None:
        return stored
    message, made = await _append(session, rt, thread=t.thread, side=t.side, party=t.party, principal=t.principal,
                                  body=body, attachment_ids=attachment_ids, now=rt.now())
    out = answer(message)
    await idem.complete(session, 201, out)
    await session.commit()
    if made:
        rt.relay.wake()
    return out


async def _append(session: AsyncSession, rt: Runtime, *, thread: ThreadRecord, side: Side, party: Party,
                  principal: Principal, body: str, attachment_ids: list[uuid.UUID],
                  now: dt.datetime) -> tuple[MessageRecord, int]:
    """Store the message in the caller's transaction. Returns it as stored and how many notifications it made."""
    settings = rt.settings
    text = rules.check_body(body, settings.max_body_chars)
    ids = list(dict.fromkeys(attachment_ids))
    rules.check_attachment_count(len(ids), settings.max_attachments_per_message)
    limit = rules.RateLimit(settings.sender_rate_per_minute, settings.sender_rate_per_hour)
    # From here the thread's row is locked until the commit or the rollback: only quick work follows.
    appended = await messages_store.append_message(session, rt.keyring, thread_id=thread.id, sender_sub=party.sub,
                                                   sender_side=side, sender_name=party.name, body=text, now=now,
                                                   count_cap=max(limit.per_minute, limit.per_hour))
    # Over the limit: raising rolls the message back with the transaction (one round trip instead of two).
    rules.check_rate(appended.sent_last_minute, appended.sent_last_hour, limit)
    message_id, seq = appended.id, appended.seq
    attachments = await attachments_store.link_attachments(session, rt.keyring, thread_id=thread.id,
                                                           message_id=message_id, ids=ids, uploaded_by=party.sub)
    if len(attachments) != len(ids):
        raise AttachmentUnknown(N_("Attach only files you uploaded to this thread and have not sent yet."))
    made = 0
    if side is Side.STAFF:
        audit.record(session, principal, "create", "message", str(message_id),
                     subject=",".join(sorted(thread.members)), purpose="messaging",
                     details={"thread_id": str(thread.id), "seq": seq, "attachments": len(ids)})
        if notify.should_notify(protected_identity=thread.protected_identity,
                                channels=frozenset(notify.Channel)):
            quiet = settings.notify_quiet_minutes
            made = len(await notifications_store.create_notifications(
                session, source=f"message:{message_id}", kind=notify.Kind.MESSAGE, recipients=sorted(thread.members),
                now=now, thread_id=thread.id, message_id=message_id,
                quiet_since=now - dt.timedelta(minutes=quiet) if quiet > 0 else None))
    message = MessageRecord(id=message_id, thread_id=thread.id, seq=seq, sender_sub=party.sub, sender_side=side,
                            sender_name=party.name, body=text, created_at=now, retracted_at=None,
                            attachments=attachments)
    return message, made


async def retract(session: AsyncSession, rt: Runtime, t: ThreadAccess, message_id: uuid.UUID) -> MessageRecord:
    """Retract your own message within the window (it stays in the record and the audit)."""
    found = await messages_store.list_messages(session, rt.keyring, t.thread.id, message_id=message_id)
    if not found:
        raise not_found("message")
    message = found[0]
    now = rt.now()
    rules.check_retract(sender_sub=message.sender_sub, caller_sub=t.party.sub, sent_at=message.created_at,
                        retracted=message.retracted_at is not None, now=now, window=rt.retract_window)
    await messages_store.retract(session, message.id, now)
    audit.record(session, t.principal, "retract", "message", str(message.id),
                 subject=",".join(sorted(t.thread.members)), purpose="messaging",
                 details={"thread_id": str(t.thread.id), "seq": message.seq})
    await live_store.publish(session, {"type": "retracted", "thread_id": str(t.thread.id),
                                       "message_id": str(message.id), "seq": message.seq})
    await session.commit()
    return (await messages_store.list_messages(session, rt.keyring, t.thread.id, message_id=message_id))[0]


# --- reading ----------------------------------------------------------------------------------------------------

async def read_one(session: AsyncSession, t: ThreadAccess) -> ThreadRecord:
    """The thread with the caller's unread count (staff reads audited)."""
    t.thread.unread = await inbox_store.unread_in_thread(session, t.thread.id, side=t.side, reader=t.reader)
    t.audit_read(session, "thread")
    await session.commit()
    return t.thread


async def messages(session: AsyncSession, rt: Runtime, t: ThreadAccess, *, after_seq: int,
                   limit: int) -> list[MessageRecord]:
    """Messages in order (staff reads audited)."""
    found = await messages_store.list_messages(session, rt.keyring, t.thread.id, after_seq=after_seq, limit=limit)
    t.audit_read(session, "messages", after_seq=after_seq, count=len(found))
    await session.commit()
    return found


async def read(session: AsyncSession, rt: Runtime, t: ThreadAccess, up_to_seq: int | None) -> tuple[int, int]:
    """Mark the thread read up to a message (default: all so far); the other side sees when.
    Returns (read up to, how many messages were newly read)."""
    wanted = up_to_seq if up_to_seq is not None else t.thread.last_seq
    up_to = min(wanted, t.thread.last_seq)
    now = rt.now()
    newly = await reads_store.mark_read(session, thread_id=t.thread.id, reader=t.reader, reader_sub=t.party.sub,
                                        side=t.side, up_to_seq=up_to, now=now)
    if newly:
        await live_store.publish(session, {"type": "read", "thread_id": str(t.thread.id), "side": t.side.value,
                                           "up_to_seq": up_to, "read_at": now.isoformat(),
                                           "message_ids": [str(m) for m in newly[:100]]})
    await session.commit()
    return up_to, len(newly)


# --- the unit inbox: taking and handing over ----------------------------------------------------------------------

async def take(session: AsyncSession, rt: Runtime, t: ThreadAccess) -> ThreadRecord:
    """Take a thread from the unit inbox (or from a colleague who is away without a substitute)."""
    current = await threads_store.lock_assignee(session, t.thread.id)
    working = t.thread.effective_assignee if current == t.thread.assigned_to else current
    await threads_store.set_assignee(session, t.thread.id, inbox.take(working, t.party.sub))
    audit.record(session, t.principal, "assign", "thread", str(t.thread.id), purpose="messaging",
                 details={"from": current, "to": t.party.sub})
    await live_store.publish(session, {"type": "thread", "thread_id": str(t.thread.id)})
    await session.commit()
    return await _reloaded(session, rt, t)


async def assign(session: AsyncSession, rt: Runtime, t: ThreadAccess, to: str | None) -> ThreadRecord:
    """Hand a thread to a colleague, or back to the unit inbox (``to`` None)."""
    current = await threads_store.lock_assignee(session, t.thread.id)
    await threads_store.set_assignee(session, t.thread.id, to)
    audit.record(session, t.principal, "assign", "thread", str(t.thread.id), purpose="messaging",
                 details={"from": current, "to": to})
    await live_store.publish(session, {"type": "thread", "thread_id": str(t.thread.id)})
    await session.commit()
    return await _reloaded(session, rt, t)


async def _reloaded(session: AsyncSession, rt: Runtime, t: ThreadAccess) -> ThreadRecord:
    thread = await threads_store.get_thread(session, rt.keyring, t.thread.id, rt.now())
    assert thread is not None
    return thread
