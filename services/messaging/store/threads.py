"""Threads: creating, loading (with members and the effective assignee), the facts access depends on,
assignment."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.messaging.domain.access import ThreadFacts
from services.messaging.store.crypto import Keyring, aad
from services.messaging.store.protection import any_protected


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


def thread_of_row(keyring: Keyring, row: Any, members: frozenset[str] = frozenset()) -> ThreadRecord:
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
    await session.execute(text(
        "INSERT INTO threads (id, unit, case_id, key_id, subject, protected_identity, assigned_to, created_by, "
        "created_at, last_seq, staff_read_seq, client_read_seq) "
        "VALUES (:id, :unit, :case, :k, :subject, :p, :assignee, :by, :now, 0, 0, 0)"),
        {"id": thread_id, "unit": unit, "case": case_id, "k": keyring.current_kid,
         "subject": keyring.seal_text(subject, aad("threads", "subject", thread_id)), "p": protected,
         "assignee": assigned_to, "by": created_by, "now": now})
    await session.execute(text(
        "INSERT INTO thread_members (thread_id, personal_number) SELECT :t, unnest(CAST(:m AS text[]))"),
        {"t": thread_id, "m": sorted(set(members))})
    return thread_id


EFFECTIVE_ASSIGNEE = ("CASE WHEN a.sub IS NOT NULL AND a.starts_at <= :now AND :now < a.ends_at "
              "THEN a.substitute_sub ELSE t.assigned_to END")


async def get_thread(session: AsyncSession, keyring: Keyring, thread_id: uuid.UUID,
                     now: dt.datetime | None = None) -> ThreadRecord | None:
    row = (await session.execute(text(
        f"SELECT t.*, {EFFECTIVE_ASSIGNEE} AS effective, "  # noqa: S608 - a constant fragment, no input
        "ARRAY(SELECT personal_number FROM thread_members WHERE thread_id = t.id) AS members "
        "FROM threads t LEFT JOIN absences a ON a.sub = t.assigned_to WHERE t.id = :id"),
        {"id": thread_id, "now": now or dt.datetime.now(dt.UTC)})).first()
    if row is None:
        return None
    return thread_of_row(keyring, row, frozenset(row.members))


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


# An employment officer (work_only) sees only the threads they are a party to (domain.access.is_unit_staff).
PARTY_TO = "(NOT :wo OR t.created_by = :sub OR t.assigned_to = :sub)"
