"""Messages: appending the next one (with its rate counts and live event), listing, retracting."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.db import driver_connection
from services.messaging.domain.access import Side
from services.messaging.store.attachments import AttachmentMeta, attachment_meta
from services.messaging.store.crypto import Keyring, aad
from services.messaging.store.live import NOTIFY_CHANNEL


@dataclass
class MessageRecord:
    id: uuid.UUID
    thread_id: uuid.UUID
    seq: int
    sender_sub: str
    sender_side: Side
    sender_name: str | None
    body: str | None
    created_at: dt.datetime
    retracted_at: dt.datetime | None
    attachments: list[AttachmentMeta] = field(default_factory=list)
    read_at: dt.datetime | None = None  # first read by the other side


# One round trip: the sender's recent count (for the rate limit), the next number under the thread's row lock,
# the message, and the NOTIFY (transactional, heard only if this commits). The row lock orders concurrent
# senders, so "read up to N" never covers a message that commits after N was seen. The count sees the snapshot
# before this message, as a separate query before it would. json_build_object keeps publish()'s key order.
_APPEND = (
    "WITH recent AS (SELECT created_at FROM messages WHERE sender_sub = $3 AND created_at > $10 "
    "ORDER BY created_at DESC LIMIT $11), "
    "rate AS (SELECT count(*) FILTER (WHERE created_at > $12) AS minute, count(*) AS hour FROM recent), "
    "s AS (UPDATE threads SET last_seq = last_seq + 1, last_message_at = $7 WHERE id = $2 RETURNING last_seq), "
    "m AS (INSERT INTO messages (id, thread_id, seq, sender_sub, sender_side, sender_name, key_id, body, created_at) "
    "SELECT $1, $2, s.last_seq, $3, $4, $5, $6, $8, $7 FROM s RETURNING seq) "
    "SELECT m.seq, rate.minute, rate.hour, pg_notify($9, json_build_object('type', 'message', 'thread_id', $2::text, "
    "'message_id', $1::text, 'seq', m.seq, 'side', $4::text)::text) FROM m, rate")


@dataclass(frozen=True)
class Appended:
    id: uuid.UUID
    seq: int
    sent_last_minute: int  # by this sender before this message, counted no further than the cap
    sent_last_hour: int


async def append_message(session: AsyncSession, keyring: Keyring, *, thread_id: uuid.UUID, sender_sub: str,
                         sender_side: Side, sender_name: str | None, body: str, now: dt.datetime,
                         count_cap: int) -> Appended:
    """Store a message as the thread's next one and announce it live. The caller checks the rate with the
    counts and raises when it is exceeded: the transaction then rolls back, message, number and NOTIFY alike.
    The counts stop at ``count_cap`` (a limit compares with them and nothing else, so counting further is work
    for nothing; newest first, so the last minute is always inside what is counted). Sealed before the row
    lock is taken, so the lock is held only for the database work."""
    message_id = uuid.uuid4()
    sealed = keyring.seal_text(body, aad("messages", "body", message_id))
    conn = await driver_connection(session)
    row = await conn.fetchrow(_APPEND, message_id, thread_id, sender_sub, sender_side.value, sender_name,
                              keyring.current_kid, now, sealed, NOTIFY_CHANNEL, now - dt.timedelta(hours=1),
                              count_cap, now - dt.timedelta(minutes=1))
    if row is None:
        raise LookupError(f"thread {thread_id} is gone")  # the caller loaded it in this transaction: a bug
    return Appended(message_id, int(row["seq"]), int(row["minute"]), int(row["hour"]))


async def list_messages(session: AsyncSession, keyring: Keyring, thread_id: uuid.UUID, *, after_seq: int = 0,
                        limit: int = 100, message_id: uuid.UUID | None = None) -> list[MessageRecord]:
    """Retracted messages come without their text and files, for everyone and every purpose (the export too):
    what a sender took back within the window is not part of the record; that it was sent and retracted is."""
    rows = (await session.execute(text(
        "SELECT m.*, r.read_at FROM messages m LEFT JOIN message_receipts r ON r.message_id = m.id "
        "WHERE m.thread_id = :t AND m.seq > :after AND (CAST(:mid AS uuid) IS NULL OR m.id = :mid) "
        "ORDER BY m.seq LIMIT :limit"),
        {"t": thread_id, "after": after_seq, "limit": limit, "mid": message_id})).all()
    if not rows:
        return []
    ids = [r.id for r in rows]
    files = (await session.execute(text(
        "SELECT id, message_id, uploaded_by, key_id, filename, media_type, size, sha256 FROM attachments "
        "WHERE message_id = ANY(CAST(:ids AS uuid[])) ORDER BY position"), {"ids": ids})).all()
    by_message: dict[uuid.UUID, list[AttachmentMeta]] = {}
    for f in files:
        by_message.setdefault(f.message_id, []).append(attachment_meta(keyring, f._mapping))
    out = []
    for r in rows:
        hidden = r.retracted_at is not None
        out.append(MessageRecord(
            id=r.id, thread_id=r.thread_id, seq=r.seq, sender_sub=r.sender_sub, sender_side=Side(r.sender_side),
            sender_name=r.sender_name,
            body=None if hidden else keyring.open_text(r.key_id, r.body, aad("messages", "body", r.id)),
            created_at=r.created_at, retracted_at=r.retracted_at,
            attachments=[] if hidden else by_message.get(r.id, []), read_at=r.read_at))
    return out


async def retract(session: AsyncSession, message_id: uuid.UUID, now: dt.datetime) -> None:
    await session.execute(text("UPDATE messages SET retracted_at = :now WHERE id = :id AND retracted_at IS NULL"),
                          {"id": message_id, "now": now})
    await session.execute(text(
        "UPDATE notifications SET status = 'cancelled', detail = 'message retracted' "
        "WHERE message_id = :id AND status = 'pending'"), {"id": message_id})
