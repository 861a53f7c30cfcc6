"""Notifications: made with an outbox entry each, read with the facts that decide them at delivery, finished
once."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import outbox
from kit.db import driver_connection
from services.messaging.domain.notify import Kind

NOTIFICATION_TOPIC = "notification.send"


async def create_notifications(session: AsyncSession, *, source: str, kind: Kind, recipients: list[str],
                               now: dt.datetime, thread_id: uuid.UUID | None = None,
                               message_id: uuid.UUID | None = None,
                               quiet_since: dt.datetime | None = None,
                               starts_at: dt.datetime | None = None) -> list[uuid.UUID]:
    """One notification per person and chosen channel (SMS, e-mail; a letter is the post room's, store/letters.py),
    once per source (a repeated source adds nothing), and an outbox entry for each. Protected persons and people
    without contact details get none. With ``quiet_since``, someone already notified about this thread since then
    is not notified again (five messages in a row make one SMS). The outbox payload carries only the id: contact
    details are read (and decrypted) at delivery."""
    if not recipients:
        return []
    # asyncpg directly: this runs for every message a caseworker sends (see kit.db.driver_connection).
    rows = await (await driver_connection(session)).fetch(
        "INSERT INTO notifications (id, source, person_ref, channel, kind, thread_id, message_id, created_at, "
        "starts_at) SELECT gen_random_uuid(), $1::text, c.person_ref, ch, $2::text, $3::uuid, $4::uuid, "
        "$5::timestamptz, $8::timestamptz "
        "FROM contacts c, unnest(c.channels) ch WHERE c.personal_number = ANY($7::text[]) AND ch <> 'letter' "
        "AND NOT EXISTS (SELECT 1 FROM protected_persons p WHERE p.personal_number = c.personal_number) "
        "AND ($6::timestamptz IS NULL OR NOT EXISTS (SELECT 1 FROM notifications n "
        "WHERE n.person_ref = c.person_ref AND n.channel = ch AND n.thread_id = $3::uuid "
        "AND n.kind = $2::text AND n.created_at > $6::timestamptz)) "
        "ORDER BY c.personal_number, ch ON CONFLICT DO NOTHING RETURNING id",
        source, kind.value, thread_id, message_id, now, quiet_since, recipients, starts_at)
    ids = [uuid.UUID(bytes=r["id"].bytes) for r in rows]
    for notification_id in ids:
        outbox.enqueue(session, NOTIFICATION_TOPIC, {"notification_id": str(notification_id)})
    return list(ids)


@dataclass(frozen=True)
class NotificationRecord:
    """A notification and the facts that decide it at delivery."""
    id: uuid.UUID
    person_ref: uuid.UUID
    channel: str
    kind: str
    status: str
    starts_at: dt.datetime | None
    person_protected: bool
    thread_protected: bool
    retracted: bool | None


async def get_notification(session: AsyncSession, notification_id: uuid.UUID) -> NotificationRecord | None:
    row = (await session.execute(text(
        "SELECT n.id, n.person_ref, n.channel, n.kind, n.status, n.starts_at, "
        "EXISTS (SELECT 1 FROM contacts c JOIN protected_persons p ON p.personal_number = "
        "c.personal_number WHERE c.person_ref = n.person_ref) AS person_protected, "
        "COALESCE((SELECT t.protected_identity FROM threads t WHERE t.id = n.thread_id), false) "
        "AS thread_protected, (SELECT m.retracted_at IS NOT NULL FROM messages m WHERE m.id = n.message_id) "
        "AS retracted FROM notifications n WHERE n.id = :id"), {"id": notification_id})).first()
    return None if row is None else NotificationRecord(**row._mapping)


async def finish_notification(session: AsyncSession, notification_id: uuid.UUID, status: str,
                              detail: str | None = None, now: dt.datetime | None = None) -> bool:
    """Move a pending notification to its end state; False when it was not pending (already handled)."""
    result = await session.execute(text(
        "UPDATE notifications SET status = :s, detail = :d, "
        "sent_at = CASE WHEN :s = 'sent' THEN CAST(:now AS timestamptz) END "
        "WHERE id = :id AND status = 'pending'"),
        {"s": status, "d": detail, "id": notification_id, "now": now or dt.datetime.now(dt.UTC)})
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]
