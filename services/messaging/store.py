"""Tables and queries of the messaging service.

Encryption happens here and nowhere else: above this module there is only plaintext, in the database
only ciphertext (message bodies, subjects, file names and content, contact details), each row with the
id of the key that sealed it. Functions take the session first and never commit: the route does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    Text,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import outbox
from kit.db import driver_connection
from services.messaging.domain.access import Side, ThreadFacts
from services.messaging.domain.crypto import Keyring, aad
from services.messaging.domain.notify import Channel, Contact, Kind

NOTIFY_CHANNEL = "messaging_events"
NOTIFICATION_TOPIC = "notification.send"

def _ts() -> Any:
    return DateTime(timezone=True)


# --- tables (the migration 0002 is the source of truth; these mirror it for inserts) ---------------------

class CaseRow(SQLModel, table=True):
    __tablename__ = "cases"
    case_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True))
    unit: str = Field(sa_column=Column(Text, nullable=False))
    caseworker_sub: str | None = Field(default=None, sa_column=Column(Text))
    protected_identity: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    recipients: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False))
    last_event_at: dt.datetime = Field(sa_column=Column(_ts(), nullable=False))


class ThreadRow(SQLModel, table=True):
    __tablename__ = "threads"
    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True))
    unit: str = Field(sa_column=Column(Text, nullable=False))
    case_id: uuid.UUID | None = Field(default=None, sa_column=Column(UUID(as_uuid=True)))
    key_id: str = Field(sa_column=Column(Text, nullable=False))
    subject: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    protected_identity: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    assigned_to: str | None = Field(default=None, sa_column=Column(Text))
    created_by: str = Field(sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = Field(sa_column=Column(_ts(), nullable=False))
    last_seq: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    last_message_at: dt.datetime | None = Field(default=None, sa_column=Column(_ts()))
    staff_read_seq: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    client_read_seq: int = Field(default=0, sa_column=Column(Integer, nullable=False))


class ThreadMemberRow(SQLModel, table=True):
    __tablename__ = "thread_members"
    thread_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), ForeignKey("threads.id"), primary_key=True))
    personal_number: str = Field(sa_column=Column(Text, primary_key=True))


class MessageRow(SQLModel, table=True):
    __tablename__ = "messages"
    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True))
    thread_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), ForeignKey("threads.id"), nullable=False))
    seq: int = Field(sa_column=Column(Integer, nullable=False))
    sender_sub: str = Field(sa_column=Column(Text, nullable=False))
    sender_side: str = Field(sa_column=Column(Text, nullable=False))
    sender_name: str | None = Field(default=None, sa_column=Column(Text))
    key_id: str = Field(sa_column=Column(Text, nullable=False))
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: dt.datetime = Field(sa_column=Column(_ts(), nullable=False))
    retracted_at: dt.datetime | None = Field(default=None, sa_column=Column(_ts()))


class AttachmentRow(SQLModel, table=True):
    __tablename__ = "attachments"
    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True))
    thread_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), ForeignKey("threads.id"), nullable=False))
    message_id: uuid.UUID | None = Field(default=None, sa_column=Column(UUID(as_uuid=True),
                                                                        ForeignKey("messages.id")))
    position: int | None = Field(default=None, sa_column=Column(SmallInteger))
    uploaded_by: str = Field(sa_column=Column(Text, nullable=False))
    key_id: str = Field(sa_column=Column(Text, nullable=False))
    filename: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    media_type: str = Field(sa_column=Column(Text, nullable=False))
    size: int = Field(sa_column=Column(Integer, nullable=False))
    sha256: str = Field(sa_column=Column(Text, nullable=False))
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: dt.datetime = Field(sa_column=Column(_ts(), nullable=False))


class ContactRow(SQLModel, table=True):
    __tablename__ = "contacts"
    personal_number: str = Field(sa_column=Column(Text, primary_key=True))
    key_id: str = Field(sa_column=Column(Text, nullable=False))
    details: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    channels: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False))
    language: str = Field(default="sv", sa_column=Column(Text, nullable=False))
    updated_at: dt.datetime = Field(sa_column=Column(_ts(), nullable=False))
    updated_by: str = Field(sa_column=Column(Text, nullable=False))
    # What notifications name the person by (migration 0004): random and stable, never the personnummer.
    person_ref: uuid.UUID | None = Field(default=None, sa_column=Column(UUID(as_uuid=True)))


# --- cases (a projection of the applications service's events) --------------------------------------------

async def apply_case_event(session: AsyncSession, *, case_id: uuid.UUID, unit: str, recipients: list[str],
                           protected_identity: bool, caseworker_sub: str | None, occurred_at: dt.datetime) -> bool:
    """Bring our picture of the case up to date, unless a newer event already did (events may come out of order).
    Threads of the case follow: its unit, household, protection and caseworker. Protection is sticky: lifting it
    is a deliberate manual step, never a side effect of a late event."""
    applied = (await session.execute(text(
        "INSERT INTO cases (case_id, unit, caseworker_sub, protected_identity, recipients, last_event_at) "
        "VALUES (:id, :unit, :cw, :p, CAST(:r AS text[]), :at) "
        "ON CONFLICT (case_id) DO UPDATE SET unit = EXCLUDED.unit, caseworker_sub = EXCLUDED.caseworker_sub, "
        "protected_identity = cases.protected_identity OR EXCLUDED.protected_identity, "
        "recipients = CASE WHEN cardinality(EXCLUDED.recipients) > 0 THEN EXCLUDED.recipients "
        "ELSE cases.recipients END, last_event_at = EXCLUDED.last_event_at "
        "WHERE cases.last_event_at <= EXCLUDED.last_event_at RETURNING protected_identity"),
        {"id": case_id, "unit": unit, "cw": caseworker_sub, "p": protected_identity, "r": recipients,
         "at": occurred_at})).first()
    if protected_identity:
        await mark_protected(session, recipients)
    if applied is None:
        return False
    await session.execute(text(
        "UPDATE threads SET unit = :unit, protected_identity = protected_identity OR :p, "
        "assigned_to = COALESCE(CAST(:cw AS text), assigned_to) WHERE case_id = :id"),
        {"unit": unit, "p": bool(applied.protected_identity), "cw": caseworker_sub, "id": case_id})
    if recipients:
        await session.execute(text(
            "DELETE FROM thread_members tm USING threads t WHERE tm.thread_id = t.id AND t.case_id = :id "
            "AND tm.personal_number <> ALL(CAST(:r AS text[]))"), {"id": case_id, "r": recipients})
        await session.execute(text(
            "INSERT INTO thread_members (thread_id, personal_number) SELECT t.id, p FROM threads t, "
            "unnest(CAST(:r AS text[])) p WHERE t.case_id = :id ON CONFLICT DO NOTHING"),
            {"id": case_id, "r": recipients})
    return True


async def get_case(session: AsyncSession, case_id: uuid.UUID) -> CaseRow | None:
    return await session.get(CaseRow, case_id)


async def mark_protected(session: AsyncSession, personal_numbers: list[str]) -> None:
    """From now on: no contact details kept, no notification sent, every thread of theirs protected."""
    if not personal_numbers:
        return
    params = {"r": personal_numbers}
    await session.execute(text(
        "INSERT INTO protected_persons (personal_number) SELECT unnest(CAST(:r AS text[])) "
        "ON CONFLICT DO NOTHING"), params)
    await session.execute(text(
        "UPDATE notifications SET status = 'cancelled', detail = 'protected identity' "
        "WHERE status = 'pending' AND person_ref IN "
        "(SELECT person_ref FROM contacts WHERE personal_number = ANY(CAST(:r AS text[])))"), params)
    await session.execute(text("DELETE FROM contacts WHERE personal_number = ANY(CAST(:r AS text[]))"), params)
    await session.execute(text(
        "UPDATE threads SET protected_identity = true WHERE NOT protected_identity AND id IN "
        "(SELECT thread_id FROM thread_members WHERE personal_number = ANY(CAST(:r AS text[])))"), params)


async def any_protected(session: AsyncSession, personal_numbers: list[str]) -> bool:
    row = (await session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM protected_persons WHERE personal_number = ANY(CAST(:r AS text[])))"),
        {"r": personal_numbers})).scalar_one()
    return bool(row)


# --- threads ------------------------------------------------------------------------------------------------

@dataclass
class ThreadRecord:
    id: uuid.UUID
    unit: str
    case_id: uuid.UUID | None
    subject: str
    protected_identity: bool
    assigned_to: str | None
    created_by: str
    created_at: dt.datetime
    last_seq: int
    last_message_at: dt.datetime | None
    staff_read_seq: int
    client_read_seq: int
    members: frozenset[str] = field(repr=False, default=frozenset())
    effective_assignee: str | None = None
    unread: int = 0

    def facts(self) -> ThreadFacts:
        return ThreadFacts(unit=self.unit, members=self.members, protected_identity=self.protected_identity,
                           assigned_to=self.assigned_to, created_by=self.created_by)


def _thread(keyring: Keyring, row: Any, members: frozenset[str] = frozenset()) -> ThreadRecord:
    m = row._mapping
    return ThreadRecord(
        id=m["id"], unit=m["unit"], case_id=m["case_id"],
        subject=keyring.open_text(m["key_id"], m["subject"], aad("threads", "subject", m["id"])),
        protected_identity=m["protected_identity"], assigned_to=m["assigned_to"], created_by=m["created_by"],
        created_at=m["created_at"], last_seq=m["last_seq"], last_message_at=m["last_message_at"],
        staff_read_seq=m["staff_read_seq"], client_read_seq=m["client_read_seq"], members=members,
        effective_assignee=m.get("effective", m["assigned_to"]), unread=m.get("unread", 0) or 0,
    )


async def create_thread(session: AsyncSession, keyring: Keyring, *, unit: str, case_id: uuid.UUID | None,
                        subject: str, members: list[str], protected_identity: bool, assigned_to: str | None,
                        created_by: str, now: dt.datetime) -> uuid.UUID:
    thread_id = uuid.uuid4()
    protected = protected_identity or await any_protected(session, members)
    await session.execute(insert(ThreadRow).values(
        id=thread_id, unit=unit, case_id=case_id, key_id=keyring.current_kid,
        subject=keyring.seal_text(subject, aad("threads", "subject", thread_id)),
        protected_identity=protected, assigned_to=assigned_to, created_by=created_by, created_at=now,
        last_seq=0, staff_read_seq=0, client_read_seq=0))
    await session.execute(insert(ThreadMemberRow), [{"thread_id": thread_id, "personal_number": p}
                                                    for p in sorted(set(members))])
    return thread_id


_EFFECTIVE = ("CASE WHEN a.sub IS NOT NULL AND a.starts_at <= :now AND :now < a.ends_at "
              "THEN a.substitute_sub ELSE t.assigned_to END")


async def get_thread(session: AsyncSession, keyring: Keyring, thread_id: uuid.UUID,
                     now: dt.datetime | None = None) -> ThreadRecord | None:
    row = (await session.execute(text(
        f"SELECT t.*, {_EFFECTIVE} AS effective, "  # noqa: S608 - a constant fragment, no input
        "ARRAY(SELECT personal_number FROM thread_members WHERE thread_id = t.id) AS members "
        "FROM threads t LEFT JOIN absences a ON a.sub = t.assigned_to WHERE t.id = :id"),
        {"id": thread_id, "now": now or dt.datetime.now(dt.UTC)})).first()
    if row is None:
        return None
    return _thread(keyring, row, frozenset(row.members))


async def thread_facts(session: AsyncSession, thread_id: uuid.UUID) -> ThreadFacts | None:
    """Only what access depends on (no decryption): for fanning live events out to the right streams."""
    row = (await session.execute(text(
        "SELECT unit, protected_identity, assigned_to, created_by, "
        "ARRAY(SELECT personal_number FROM thread_members WHERE thread_id = t.id) AS members "
        "FROM threads t WHERE id = :id"), {"id": thread_id})).first()
    if row is None:
        return None
    return ThreadFacts(unit=row.unit, members=frozenset(row.members), protected_identity=row.protected_identity,
                       assigned_to=row.assigned_to, created_by=row.created_by)


async def set_assignee(session: AsyncSession, thread_id: uuid.UUID, assignee: str | None) -> None:
    await session.execute(text("UPDATE threads SET assigned_to = :a WHERE id = :id"),
                          {"a": assignee, "id": thread_id})


async def lock_assignee(session: AsyncSession, thread_id: uuid.UUID) -> str | None:
    """The current assignee, with the row locked until commit (two caseworkers taking at once: one wins)."""
    return (await session.execute(text("SELECT assigned_to FROM threads WHERE id = :id FOR UPDATE"),
                                  {"id": thread_id})).scalar_one()


async def client_threads(session: AsyncSession, keyring: Keyring, *, personal_number: str, reader: str,
                         limit: int = 100) -> list[ThreadRecord]:
    rows = (await session.execute(text(
        "SELECT t.*, (SELECT count(*) FROM messages m WHERE m.thread_id = t.id AND m.sender_side = 'staff' "
        "AND m.retracted_at IS NULL AND m.seq > COALESCE(rs.last_read_seq, 0)) AS unread "
        "FROM threads t JOIN thread_members tm ON tm.thread_id = t.id AND tm.personal_number = :pnr "
        "LEFT JOIN read_state rs ON rs.thread_id = t.id AND rs.reader = :reader "
        "ORDER BY t.last_message_at DESC NULLS LAST, t.created_at DESC LIMIT :limit"),
        {"pnr": personal_number, "reader": reader, "limit": limit})).all()
    return [_thread(keyring, r) for r in rows]


# An employment officer (work_only) sees only the threads they are a party to (domain.access.is_unit_staff).
_PARTY_TO = "(NOT :wo OR t.created_by = :sub OR t.assigned_to = :sub)"


async def staff_threads(session: AsyncSession, keyring: Keyring, *, sub: str, units: list[str],
                        protected_access: bool, view: str, reader: str, now: dt.datetime,
                        case_id: uuid.UUID | None = None, limit: int = 100,
                        work_only: bool = False) -> list[ThreadRecord]:
    """view: "mine" (effectively mine, including as a substitute), "unit" (the unit inbox: nobody's, or their
    assignee is away without a substitute) or "all". Unread: for "unit" what no caseworker has read yet,
    otherwise what I have not read."""
    rows = (await session.execute(text(
        f"WITH v AS (SELECT t.*, {_EFFECTIVE} AS effective FROM threads t "  # noqa: S608 - a constant fragment
        "LEFT JOIN absences a ON a.sub = t.assigned_to "
        "WHERE (t.unit = ANY(CAST(:units AS text[])) OR t.assigned_to = :sub) "
        f"AND (NOT t.protected_identity OR :pa) AND {_PARTY_TO} "
        "AND (CAST(:case AS uuid) IS NULL OR t.case_id = :case)) "
        "SELECT v.*, (SELECT count(*) FROM messages m WHERE m.thread_id = v.id AND m.sender_side = 'client' "
        "AND m.retracted_at IS NULL AND m.seq > CASE WHEN :view = 'unit' THEN v.staff_read_seq "
        "ELSE COALESCE(rs.last_read_seq, 0) END) AS unread "
        "FROM v LEFT JOIN read_state rs ON rs.thread_id = v.id AND rs.reader = :reader "
        "WHERE :view = 'all' OR (:view = 'mine' AND v.effective = :sub) OR (:view = 'unit' AND v.effective IS NULL) "
        "ORDER BY v.last_message_at DESC NULLS LAST, v.created_at DESC LIMIT :limit"),
        {"units": units, "sub": sub, "pa": protected_access, "view": view, "reader": reader, "now": now,
         "case": case_id, "limit": limit, "wo": work_only})).all()
    return [_thread(keyring, r) for r in rows]


async def unread_in_thread(session: AsyncSession, thread_id: uuid.UUID, *, side: Side, reader: str) -> int:
    return int((await session.execute(text(
        "SELECT count(*) FROM messages m WHERE m.thread_id = :t AND m.sender_side <> :side "
        "AND m.retracted_at IS NULL AND m.seq > COALESCE((SELECT last_read_seq FROM read_state "
        "WHERE thread_id = :t AND reader = :r), 0)"),
        {"t": thread_id, "side": side.value, "r": reader})).scalar_one())


async def staff_unread(session: AsyncSession, *, sub: str, units: list[str], protected_access: bool,
                       reader: str, now: dt.datetime, work_only: bool = False) -> tuple[int, dict[str, int]]:
    """(unread in my threads, unread per unit inbox) without decrypting anything."""
    rows = (await session.execute(text(
        f"WITH v AS (SELECT t.id, t.unit, t.staff_read_seq, {_EFFECTIVE} AS effective "  # noqa: S608 - constant
        "FROM threads t "
        "LEFT JOIN absences a ON a.sub = t.assigned_to "
        "WHERE (t.unit = ANY(CAST(:units AS text[])) OR t.assigned_to = :sub) AND (NOT t.protected_identity OR :pa) "
        f"AND {_PARTY_TO}) "
        "SELECT v.unit, v.effective, (SELECT count(*) FROM messages m WHERE m.thread_id = v.id "
        "AND m.sender_side = 'client' AND m.retracted_at IS NULL AND m.seq > CASE WHEN v.effective IS NULL "
        "THEN v.staff_read_seq ELSE COALESCE(rs.last_read_seq, 0) END) AS unread "
        "FROM v LEFT JOIN read_state rs ON rs.thread_id = v.id AND rs.reader = :reader "
        "WHERE v.effective = :sub OR v.effective IS NULL"),
        {"units": units, "sub": sub, "pa": protected_access, "reader": reader, "now": now, "wo": work_only})).all()
    mine = 0
    inbox = dict.fromkeys(sorted(units), 0)
    for row in rows:
        if row.effective == sub:
            mine += row.unread
        elif row.unit in inbox:
            inbox[row.unit] += row.unread
    return mine, inbox


# --- messages -----------------------------------------------------------------------------------------------

@dataclass
class AttachmentMeta:
    id: uuid.UUID
    filename: str
    media_type: str
    size: int
    sha256: str
    message_id: uuid.UUID | None = None
    uploaded_by: str = ""


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


def _meta(keyring: Keyring, m: Any) -> AttachmentMeta:
    return AttachmentMeta(
        id=m["id"], filename=keyring.open_text(m["key_id"], m["filename"], aad("attachments", "filename", m["id"])),
        media_type=m["media_type"], size=m["size"], sha256=m["sha256"], message_id=m["message_id"],
        uploaded_by=m["uploaded_by"])


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
        by_message.setdefault(f.message_id, []).append(_meta(keyring, f._mapping))
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


# --- attachments ---------------------------------------------------------------------------------------------

async def count_pending(session: AsyncSession, thread_id: uuid.UUID, uploaded_by: str) -> int:
    return int((await session.execute(text(
        "SELECT count(*) FROM attachments WHERE thread_id = :t AND uploaded_by = :u AND message_id IS NULL"),
        {"t": thread_id, "u": uploaded_by})).scalar_one())


async def add_attachment(session: AsyncSession, keyring: Keyring, *, thread_id: uuid.UUID, uploaded_by: str,
                         filename: str, media_type: str, content: bytes, now: dt.datetime) -> AttachmentMeta:
    attachment_id = uuid.uuid4()
    digest = hashlib.sha256(content).hexdigest()  # of the plaintext: the client can check what it sent
    await session.execute(insert(AttachmentRow).values(
        id=attachment_id, thread_id=thread_id, uploaded_by=uploaded_by, key_id=keyring.current_kid,
        filename=keyring.seal_text(filename, aad("attachments", "filename", attachment_id)),
        media_type=media_type, size=len(content), sha256=digest,
        content=keyring.seal(content, aad("attachments", "content", attachment_id)), created_at=now))
    return AttachmentMeta(attachment_id, filename, media_type, len(content), digest, None, uploaded_by)


async def link_attachments(session: AsyncSession, keyring: Keyring, *, thread_id: uuid.UUID,
                           message_id: uuid.UUID, ids: list[uuid.UUID], uploaded_by: str) -> list[AttachmentMeta]:
    """Attach the sender's own pending uploads in this thread to the message, in the order given; the caller
    compares the count to see whether all of them were."""
    if not ids:
        return []
    rows = (await session.execute(text(
        "UPDATE attachments SET message_id = :m, position = array_position(CAST(:ids AS uuid[]), id) "
        "WHERE id = ANY(CAST(:ids AS uuid[])) AND thread_id = :t AND uploaded_by = :u AND message_id IS NULL "
        "RETURNING id, message_id, uploaded_by, key_id, filename, media_type, size, sha256, position"),
        {"m": message_id, "ids": ids, "t": thread_id, "u": uploaded_by})).all()
    return [_meta(keyring, r._mapping) for r in sorted(rows, key=lambda r: r.position)]


@dataclass
class AttachmentFile:
    meta: AttachmentMeta
    content: bytes = field(repr=False)
    retracted: bool


async def get_attachment(session: AsyncSession, keyring: Keyring, thread_id: uuid.UUID,
                         attachment_id: uuid.UUID) -> AttachmentFile | None:
    row = (await session.execute(text(
        "SELECT a.*, m.retracted_at FROM attachments a LEFT JOIN messages m ON m.id = a.message_id "
        "WHERE a.id = :id AND a.thread_id = :t"), {"id": attachment_id, "t": thread_id})).first()
    if row is None:
        return None
    m = row._mapping
    content = keyring.open(m["key_id"], m["content"], aad("attachments", "content", m["id"]))
    return AttachmentFile(_meta(keyring, m), content, m["retracted_at"] is not None)


async def sweep_pending_attachments(session: AsyncSession, older_than: dt.datetime) -> int:
    """Uploads never sent with a message are dropped after a day (they were never part of the record)."""
    result = await session.execute(text(
        "DELETE FROM attachments WHERE message_id IS NULL AND created_at < :t"), {"t": older_than})
    return result.rowcount  # type: ignore[attr-defined, no-any-return]


# --- read state ----------------------------------------------------------------------------------------------

_SIDE_READ = {
    Side.STAFF: text("UPDATE threads SET staff_read_seq = GREATEST(staff_read_seq, :s) WHERE id = :t"),
    Side.CLIENT: text("UPDATE threads SET client_read_seq = GREATEST(client_read_seq, :s) WHERE id = :t"),
}


async def mark_read(session: AsyncSession, *, thread_id: uuid.UUID, reader: str, reader_sub: str, side: Side,
                    up_to_seq: int, now: dt.datetime) -> list[uuid.UUID]:
    """Read up to ``up_to_seq``: per reader, per side (for the unit inbox) and, the first time the other side's
    messages are read, a receipt ("read by the caseworker at ..."). Returns the messages newly receipted."""
    await session.execute(text(
        "INSERT INTO read_state (thread_id, reader, last_read_seq, read_at) VALUES (:t, :r, :s, :now) "
        "ON CONFLICT (thread_id, reader) DO UPDATE SET "
        "read_at = CASE WHEN EXCLUDED.last_read_seq > read_state.last_read_seq THEN EXCLUDED.read_at "
        "ELSE read_state.read_at END, last_read_seq = GREATEST(read_state.last_read_seq, EXCLUDED.last_read_seq)"),
        {"t": thread_id, "r": reader, "s": up_to_seq, "now": now})
    await session.execute(_SIDE_READ[side], {"t": thread_id, "s": up_to_seq})
    rows = (await session.execute(text(
        "INSERT INTO message_receipts (message_id, read_by_side, reader_sub, read_at) "
        "SELECT id, CAST(:side AS text), CAST(:sub AS text), CAST(:now AS timestamptz) FROM messages "
        "WHERE thread_id = :t AND seq <= :s AND sender_side <> :side "
        "ON CONFLICT DO NOTHING RETURNING message_id"),
        {"t": thread_id, "s": up_to_seq, "side": side.value, "sub": reader_sub, "now": now})).scalars().all()
    return list(rows)


# --- contacts ------------------------------------------------------------------------------------------------

async def put_contact(session: AsyncSession, keyring: Keyring, personal_number: str, contact: Contact, *,
                      updated_by: str, now: dt.datetime) -> None:
    details = orjson.dumps({"phone": contact.phone, "email": contact.email})
    sealed = keyring.seal(details, aad("contacts", "details", personal_number))
    await session.execute(text(
        "INSERT INTO contacts (personal_number, key_id, details, channels, language, updated_at, updated_by) "
        "VALUES (:p, :k, :d, CAST(:c AS text[]), :l, :now, :by) ON CONFLICT (personal_number) DO UPDATE SET "
        "key_id = EXCLUDED.key_id, details = EXCLUDED.details, channels = EXCLUDED.channels, "
        "language = EXCLUDED.language, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by"),
        {"p": personal_number, "k": keyring.current_kid, "d": sealed, "c": sorted(contact.channels),
         "l": contact.language, "now": now, "by": updated_by})


async def get_contact(session: AsyncSession, keyring: Keyring, personal_number: str) -> Contact | None:
    return _contact(keyring, await session.get(ContactRow, personal_number))


async def get_contact_by_ref(session: AsyncSession, keyring: Keyring, person_ref: uuid.UUID) -> Contact | None:
    """A notification's person: its contact details, found by the reference it keeps instead of a personnummer."""
    row = (await session.execute(select(ContactRow).where(ContactRow.person_ref == person_ref))).scalars().first()
    return _contact(keyring, row)


def _contact(keyring: Keyring, row: ContactRow | None) -> Contact | None:
    if row is None:
        return None
    details = orjson.loads(keyring.open(row.key_id, row.details, aad("contacts", "details", row.personal_number)))
    return Contact(details.get("phone"), details.get("email"), frozenset(Channel(c) for c in row.channels),
                   row.language)  # type: ignore[arg-type]


async def delete_contact(session: AsyncSession, personal_number: str) -> None:
    await session.execute(text("DELETE FROM contacts WHERE personal_number = :p"), {"p": personal_number})


async def known_in_units(session: AsyncSession, personal_number: str, units: list[str],
                         protected_access: bool, *, sub: str = "", work_only: bool = False) -> bool:
    """Is this person a client of one of these units (a thread or a case there) whom the caller may see?
    Staff act only for them. An employment officer: only people in threads they are a party to."""
    row = (await session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM thread_members tm JOIN threads t ON t.id = tm.thread_id "  # noqa: S608
        "WHERE tm.personal_number = :p AND t.unit = ANY(CAST(:u AS text[])) AND (NOT t.protected_identity OR :pa) "
        f"AND {_PARTY_TO}) "
        "OR (NOT :wo AND EXISTS (SELECT 1 FROM cases c WHERE :p = ANY(c.recipients) "
        "AND c.unit = ANY(CAST(:u AS text[])) AND (NOT c.protected_identity OR :pa)))"),
        {"p": personal_number, "u": units, "pa": protected_access, "sub": sub, "wo": work_only})).scalar_one()
    return bool(row)


# --- absences ------------------------------------------------------------------------------------------------

async def put_absence(session: AsyncSession, sub: str, starts_at: dt.datetime, ends_at: dt.datetime,
                      substitute: str | None) -> None:
    await session.execute(text(
        "INSERT INTO absences (sub, starts_at, ends_at, substitute_sub) VALUES (:s, :a, :b, :sub2) "
        "ON CONFLICT (sub) DO UPDATE SET starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, "
        "substitute_sub = EXCLUDED.substitute_sub"), {"s": sub, "a": starts_at, "b": ends_at, "sub2": substitute})


async def get_absence(session: AsyncSession, sub: str) -> Any:
    return (await session.execute(text("SELECT starts_at, ends_at, substitute_sub FROM absences WHERE sub = :s"),
                                  {"s": sub})).first()


async def delete_absence(session: AsyncSession, sub: str) -> None:
    await session.execute(text("DELETE FROM absences WHERE sub = :s"), {"s": sub})


# --- notifications -------------------------------------------------------------------------------------------

async def create_notifications(session: AsyncSession, *, source: str, kind: Kind, recipients: list[str],
                               now: dt.datetime, thread_id: uuid.UUID | None = None,
                               message_id: uuid.UUID | None = None,
                               quiet_since: dt.datetime | None = None,
                               starts_at: dt.datetime | None = None) -> list[uuid.UUID]:
    """One notification per person and chosen channel, once per source (a repeated source adds nothing), and
    an outbox entry for each. Protected persons and people without contact details get none. With
    ``quiet_since``, someone already notified about this thread since then is not notified again (five
    messages in a row make one SMS). The outbox payload carries only the id: contact details are read
    (and decrypted) at delivery."""
    if not recipients:
        return []
    # asyncpg directly: this runs for every message a caseworker sends (see kit.db.driver_connection).
    rows = await (await driver_connection(session)).fetch(
        "INSERT INTO notifications (id, source, person_ref, channel, kind, thread_id, message_id, created_at, "
        "starts_at) SELECT gen_random_uuid(), $1::text, c.person_ref, ch, $2::text, $3::uuid, $4::uuid, "
        "$5::timestamptz, $8::timestamptz "
        "FROM contacts c, unnest(c.channels) ch WHERE c.personal_number = ANY($7::text[]) "
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


async def get_notification(session: AsyncSession, notification_id: uuid.UUID) -> Any:
    return (await session.execute(text(
        "SELECT n.*, EXISTS (SELECT 1 FROM contacts c JOIN protected_persons p ON p.personal_number = "
        "c.personal_number WHERE c.person_ref = n.person_ref) AS person_protected, "
        "COALESCE((SELECT t.protected_identity FROM threads t WHERE t.id = n.thread_id), false) "
        "AS thread_protected, (SELECT m.retracted_at IS NOT NULL FROM messages m WHERE m.id = n.message_id) "
        "AS retracted FROM notifications n WHERE n.id = :id"), {"id": notification_id})).first()


async def finish_notification(session: AsyncSession, notification_id: uuid.UUID, status: str,
                              detail: str | None = None, now: dt.datetime | None = None) -> bool:
    """Move a pending notification to its end state; False when it was not pending (already handled)."""
    result = await session.execute(text(
        "UPDATE notifications SET status = :s, detail = :d, "
        "sent_at = CASE WHEN :s = 'sent' THEN CAST(:now AS timestamptz) END "
        "WHERE id = :id AND status = 'pending'"),
        {"s": status, "d": detail, "id": notification_id, "now": now or dt.datetime.now(dt.UTC)})
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


# --- live events ---------------------------------------------------------------------------------------------

async def publish(session: AsyncSession, event: dict[str, Any]) -> None:
    """NOTIFY is transactional: listeners on every replica hear it when (and only if) the work commits.
    The payload holds ids only, never content or personal data."""
    await session.execute(text("SELECT pg_notify(:c, :p)"),
                          {"c": NOTIFY_CHANNEL, "p": orjson.dumps(event, default=str).decode()})


# --- re-keying -----------------------------------------------------------------------------------------------

async def rekey_batch(session: AsyncSession, keyring: Keyring, limit: int = 200) -> int:
    """Re-seal up to ``limit`` rows per table that an older key sealed under the current key. Run it after adding
    a new first key; when it returns 0, the old key can be removed from the settings."""
    done = 0
    current = keyring.current_kid
    params = {"k": current, "n": limit}
    for row in (await session.execute(text(
            "SELECT id, key_id, subject FROM threads WHERE key_id <> :k LIMIT :n FOR UPDATE SKIP LOCKED"),
            params)).all():
        subject = keyring.open(row.key_id, row.subject, aad("threads", "subject", row.id))
        await session.execute(text("UPDATE threads SET key_id = :k, subject = :s WHERE id = :id"), {
            "k": current, "s": keyring.seal(subject, aad("threads", "subject", row.id)), "id": row.id})
        done += 1
    for row in (await session.execute(text(
            "SELECT id, key_id, body FROM messages WHERE key_id <> :k LIMIT :n FOR UPDATE SKIP LOCKED"),
            params)).all():
        body = keyring.open(row.key_id, row.body, aad("messages", "body", row.id))
        await session.execute(text("UPDATE messages SET key_id = :k, body = :b WHERE id = :id"), {
            "k": current, "b": keyring.seal(body, aad("messages", "body", row.id)), "id": row.id})
        done += 1
    for row in (await session.execute(text(
            "SELECT id, key_id, filename, content FROM attachments WHERE key_id <> :k LIMIT :n "
            "FOR UPDATE SKIP LOCKED"), params)).all():
        name = keyring.open(row.key_id, row.filename, aad("attachments", "filename", row.id))
        content = keyring.open(row.key_id, row.content, aad("attachments", "content", row.id))
        await session.execute(text("UPDATE attachments SET key_id = :k, filename = :f, content = :c WHERE id = :id"), {
            "k": current, "f": keyring.seal(name, aad("attachments", "filename", row.id)),
            "c": keyring.seal(content, aad("attachments", "content", row.id)), "id": row.id})
        done += 1
    for row in (await session.execute(text(
            "SELECT personal_number, key_id, details FROM contacts WHERE key_id <> :k LIMIT :n "
            "FOR UPDATE SKIP LOCKED"), params)).all():
        where = aad("contacts", "details", row.personal_number)
        details = keyring.open(row.key_id, row.details, where)
        await session.execute(text("UPDATE contacts SET key_id = :k, details = :d WHERE personal_number = :p"), {
            "k": current, "d": keyring.seal(details, where), "p": row.personal_number})
        done += 1
    return done
