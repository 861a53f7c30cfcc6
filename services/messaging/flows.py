"""Work that spans the domain, the store and the side effects: sending a message, taking in an event.

Both run inside the caller's transaction and never commit: the route commits once, so the message, its
notifications (outbox), the audit entry and the live event (NOTIFY) all happen, or none does.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.auth import Principal
from services.messaging import store
from services.messaging.domain import notify, rules
from services.messaging.domain.access import Party, Side
from services.messaging.domain.crypto import Keyring
from services.messaging.domain.errors import MessagingError
from services.messaging.settings import MessagingSettings

log = logging.getLogger("messaging.flows")


class AttachmentUnknown(MessagingError):
    code = "attachment-unknown"
    status = 422
    title = "Unknown attachment"


async def send_message(session: AsyncSession, *, settings: MessagingSettings, keyring: Keyring,
                       thread: store.ThreadRecord, side: Side, party: Party, principal: Principal, body: str,
                       attachment_ids: list[uuid.UUID], now: dt.datetime) -> tuple[store.MessageRecord, int]:
    """Returns the message as stored and how many notifications it made."""
    text = rules.check_body(body, settings.max_body_chars)
    ids = list(dict.fromkeys(attachment_ids))
    rules.check_attachment_count(len(ids), settings.max_attachments_per_message)
    limit = rules.RateLimit(settings.sender_rate_per_minute, settings.sender_rate_per_hour)
    # From here the thread's row is locked until the route commits or rolls back: only quick work follows.
    appended = await store.append_message(session, keyring, thread_id=thread.id, sender_sub=party.sub,
                                          sender_side=side, sender_name=party.name, body=text, now=now,
                                          count_cap=max(limit.per_minute, limit.per_hour))
    # Over the limit: raising rolls the message back with the transaction (one round trip instead of two).
    rules.check_rate(appended.sent_last_minute, appended.sent_last_hour, limit)
    message_id, seq = appended.id, appended.seq
    attachments = await store.link_attachments(session, keyring, thread_id=thread.id, message_id=message_id,
                                               ids=ids, uploaded_by=party.sub)
    if len(attachments) != len(ids):
        raise AttachmentUnknown("Attach only files you uploaded to this thread and have not sent yet.")
    made = 0
    if side is Side.STAFF:
        audit.record(session, principal, "create", "message", str(message_id),
                     subject=",".join(sorted(thread.members)), purpose="messaging",
                     details={"thread_id": str(thread.id), "seq": seq, "attachments": len(ids)})
        if notify.should_notify(protected_identity=thread.protected_identity,
                                channels=frozenset(notify.Channel)):
            quiet = settings.notify_quiet_minutes
            made = len(await store.create_notifications(
                session, source=f"message:{message_id}", kind=notify.Kind.MESSAGE, recipients=sorted(thread.members),
                now=now, thread_id=thread.id, message_id=message_id,
                quiet_since=now - dt.timedelta(minutes=quiet) if quiet > 0 else None))
    message = store.MessageRecord(id=message_id, thread_id=thread.id, seq=seq, sender_sub=party.sub, sender_side=side,
                                  sender_name=party.name, body=text, created_at=now, retracted_at=None,
                                  attachments=attachments)
    return message, made


async def take_in_event(session: AsyncSession, *, event_id: uuid.UUID, topic: str, occurred_at: dt.datetime,
                        case_id: uuid.UUID, unit: str, recipients: list[str], protected_identity: bool,
                        caseworker_sub: str | None, now: dt.datetime) -> int:
    """Update our picture of the case and notify its household, if the topic calls for it. Returns how many
    notifications were made (none for protected identity: they see it when they log in)."""
    _, kind = notify.kind_for_topic(topic)
    await store.apply_case_event(session, case_id=case_id, unit=unit, recipients=recipients,
                                 protected_identity=protected_identity, caseworker_sub=caseworker_sub,
                                 occurred_at=occurred_at)
    if kind is None:
        return 0
    if not notify.should_notify(protected_identity=protected_identity, channels=frozenset(notify.Channel)):
        log.info("no notification: protected identity", extra={"event_id": str(event_id), "topic": topic})
        return 0
    made = await store.create_notifications(session, source=f"event:{event_id}", kind=kind, recipients=recipients,
                                            now=now)
    return len(made)


async def take_in_meeting_event(session: AsyncSession, *, event_id: uuid.UUID, topic: str, recipients: list[str],
                                protected_identity: bool, starts_at: dt.datetime, now: dt.datetime) -> int:
    """A booking made, moved or cancelled, or a reminder due: tell the client when, never where. Protected
    identity: nothing at all, and from now on nothing else either (protection is sticky)."""
    _, kind = notify.kind_for_topic(topic)
    if kind is None:
        return 0
    if protected_identity:
        await store.mark_protected(session, recipients)
        log.info("no notification: protected identity", extra={"event_id": str(event_id), "topic": topic})
        return 0
    made = await store.create_notifications(session, source=f"event:{event_id}", kind=kind, recipients=recipients,
                                            now=now, starts_at=starts_at)
    return len(made)
