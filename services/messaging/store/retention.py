"""Gallring in SQL: one function per record type of domain/retention.py, each acting on one batch claimed with
FOR UPDATE SKIP LOCKED (two replicas take different rows; a thread someone is writing in right now is left for the
next pass), and the short-schedule purge of finished notifications (run by the kit's housekeeping)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.housekeeping import ShortPurge
from kit.retention import Rule
from services.messaging.domain import retention as policy

# A thread is quiet when its last message (or its start) and its case's last event are both before the cutoff.
_DUE_THREADS = text(
    "SELECT t.id FROM threads t LEFT JOIN cases c ON c.case_id = t.case_id "
    "WHERE COALESCE(t.last_message_at, t.created_at) < :cutoff AND t.created_at < :cutoff "
    "AND (c.case_id IS NULL OR c.last_event_at < :cutoff) "
    "ORDER BY t.created_at LIMIT :n FOR UPDATE OF t SKIP LOCKED")


async def cull_threads(session: AsyncSession, rule: Rule, cutoff: dt.datetime, now: dt.datetime, limit: int) -> int:
    ids = [r.id for r in (await session.execute(_DUE_THREADS, {"cutoff": cutoff, "n": limit})).all()]
    if not ids:
        return 0
    # Sent messages and attachments are immutable to everything else (migration messaging_0006).
    await session.execute(text("SET LOCAL bistand.gallring = 'on'"))
    for statement in (
        "DELETE FROM notifications WHERE thread_id = ANY(:ids)",
        "DELETE FROM message_receipts r USING messages m WHERE r.message_id = m.id AND m.thread_id = ANY(:ids)",
        "DELETE FROM attachments WHERE thread_id = ANY(:ids)",
        "DELETE FROM messages WHERE thread_id = ANY(:ids)",
        "DELETE FROM threads WHERE id = ANY(:ids)",  # members and read state cascade
    ):
        await session.execute(text(statement), {"ids": ids})
    await session.execute(text("SET LOCAL bistand.gallring = 'off'"))
    return len(ids)


async def cull_cases(session: AsyncSession, rule: Rule, cutoff: dt.datetime, now: dt.datetime, limit: int) -> int:
    result = await session.execute(text(
        "DELETE FROM cases WHERE case_id IN (SELECT c.case_id FROM cases c WHERE c.last_event_at < :cutoff "
        "AND NOT EXISTS (SELECT 1 FROM threads t WHERE t.case_id = c.case_id) "
        "LIMIT :n FOR UPDATE OF c SKIP LOCKED)"), {"cutoff": cutoff, "n": limit})
    return int(result.rowcount)  # type: ignore[attr-defined]


async def cull_contacts(session: AsyncSession, rule: Rule, cutoff: dt.datetime, now: dt.datetime,
                        limit: int) -> int:
    result = await session.execute(text(
        "DELETE FROM contacts WHERE personal_number IN (SELECT p.personal_number FROM contacts p "
        "WHERE p.updated_at < :cutoff "
        "AND NOT EXISTS (SELECT 1 FROM thread_members m WHERE m.personal_number = p.personal_number) "
        "AND NOT EXISTS (SELECT 1 FROM cases c WHERE p.personal_number = ANY(c.recipients)) "
        "LIMIT :n FOR UPDATE OF p SKIP LOCKED)"), {"cutoff": cutoff, "n": limit})
    return int(result.rowcount)  # type: ignore[attr-defined]


async def cull_absences(session: AsyncSession, rule: Rule, cutoff: dt.datetime, now: dt.datetime,
                        limit: int) -> int:
    result = await session.execute(text(
        "DELETE FROM absences WHERE sub IN (SELECT a.sub FROM absences a WHERE a.ends_at < :cutoff "
        "AND a.ends_at <= :now LIMIT :n FOR UPDATE SKIP LOCKED)"), {"cutoff": cutoff, "now": now, "n": limit})
    return int(result.rowcount)  # type: ignore[attr-defined]


async def cull_letters(session: AsyncSession, rule: Rule, cutoff: dt.datetime, now: dt.datetime,
                       limit: int) -> int:
    """Letters whose batch was collected before the cutoff, and letters that were never made (failed, cancelled)
    and are older than it. A stored letter not yet collected waits for its batch."""
    result = await session.execute(text(
        "DELETE FROM letters WHERE id IN (SELECT l.id FROM letters l WHERE (l.batched_at < :cutoff) "
        "OR (l.status IN ('failed', 'cancelled') AND l.created_at < :cutoff) "
        "LIMIT :n FOR UPDATE SKIP LOCKED)"), {"cutoff": cutoff, "n": limit})
    return int(result.rowcount)  # type: ignore[attr-defined]


PURGES = {policy.THREADS: cull_threads, policy.CASES: cull_cases, policy.CONTACTS: cull_contacts,
          policy.ABSENCES: cull_absences, policy.LETTERS: cull_letters}


def finished_notifications(retention: dt.timedelta) -> ShortPurge:
    """The housekeeping purge (kit.housekeeping.Housekeeping.add) of notifications done with ``retention`` ago."""

    async def purge(session: AsyncSession, now: dt.datetime) -> int:
        result = await session.execute(text(
            "DELETE FROM notifications WHERE status = ANY(CAST(:done AS text[])) AND created_at < :t"),
            {"done": list(policy.FINISHED_NOTIFICATIONS), "t": now - retention})
        return int(result.rowcount)  # type: ignore[attr-defined]

    return purge
