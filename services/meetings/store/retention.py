"""Gallring in SQL: one function per record type of domain/retention.py, each acting on one batch claimed with
FOR UPDATE SKIP LOCKED (two replicas take different rows; a booking being moved right now is left for later)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.retention import Action, Rule
from services.meetings.domain import retention as policy

# Only meetings that are over: end_at <= now, whatever the period says.
_DUE = text("SELECT id FROM bookings WHERE anonymised_at IS NULL AND end_at < :cutoff AND end_at <= :now "
            "ORDER BY end_at LIMIT :n FOR UPDATE SKIP LOCKED")


async def cull_bookings(session: AsyncSession, rule: Rule, cutoff: dt.datetime, now: dt.datetime,
                        limit: int) -> int:
    ids = [r.id for r in (await session.execute(_DUE, {"cutoff": cutoff, "now": now, "n": limit})).all()]
    if not ids:
        return 0
    # Links for guests and reminders are the client's and the guests' data, and are of no use afterwards.
    for statement in ("DELETE FROM join_grants WHERE booking_id = ANY(:ids)",
                      "DELETE FROM reminders WHERE booking_id = ANY(:ids)"):
        await session.execute(text(statement), {"ids": ids})
    if rule.action is Action.DELETE:
        await session.execute(text("DELETE FROM bookings WHERE id = ANY(:ids)"), {"ids": ids})  # staff rows cascade
    else:
        await session.execute(text(
            "UPDATE bookings SET client_personal_number = NULL, location = NULL, interpreter_language = NULL, "
            "accessibility = '{}', accessibility_note = NULL, video_link_hash = NULL, video_room = NULL, "
            "booked_by = NULL, change_reason = NULL, reference = 'anonymised:' || id::text, anonymised_at = :now "
            "WHERE id = ANY(:ids)"), {"ids": ids, "now": now})
    return len(ids)


async def cull_protected_clients(session: AsyncSession, rule: Rule, cutoff: dt.datetime, now: dt.datetime,
                                 limit: int) -> int:
    result = await session.execute(text(
        "DELETE FROM protected_clients WHERE personal_number IN (SELECT p.personal_number FROM protected_clients p "
        "WHERE p.since < :cutoff AND NOT EXISTS (SELECT 1 FROM bookings b "
        "WHERE b.client_personal_number = p.personal_number) LIMIT :n FOR UPDATE OF p SKIP LOCKED)"),
        {"cutoff": cutoff, "n": limit})
    return int(result.rowcount)  # type: ignore[attr-defined]


PURGES = {policy.BOOKINGS: cull_bookings, policy.PROTECTED_CLIENTS: cull_protected_clients}
