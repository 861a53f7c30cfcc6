"""What a caller sees of many threads: a client's threads, a unit's (mine, the unit inbox, all), unread counts."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.messaging.domain.access import Side
from services.messaging.store.crypto import Keyring
from services.messaging.store.threads import EFFECTIVE_ASSIGNEE, PARTY_TO, ThreadRecord, thread_of_row


async def client_threads(session: AsyncSession, keyring: Keyring, *, personal_number: str, reader: str,
                         limit: int = 100) -> list[ThreadRecord]:
    rows = (await session.execute(text(
        "SELECT t.*, (SELECT count(*) FROM messages m WHERE m.thread_id = t.id AND m.sender_side = 'staff' "
        "AND m.retracted_at IS NULL AND m.seq > COALESCE(rs.last_read_seq, 0)) AS unread "
        "FROM threads t JOIN thread_members tm ON tm.thread_id = t.id AND tm.personal_number = :pnr "
        "LEFT JOIN read_state rs ON rs.thread_id = t.id AND rs.reader = :reader "
        "ORDER BY t.last_message_at DESC NULLS LAST, t.created_at DESC LIMIT :limit"),
        {"pnr": personal_number, "reader": reader, "limit": limit})).all()
    return [thread_of_row(keyring, r) for r in rows]


async def staff_threads(session: AsyncSession, keyring: Keyring, *, sub: str, units: list[str],
                        protected_access: bool, view: str, reader: str, now: dt.datetime,
                        case_id: uuid.UUID | None = None, limit: int = 100,
                        work_only: bool = False) -> list[ThreadRecord]:
    """view: "mine" (effectively mine, including as a substitute), "unit" (the unit inbox: nobody's, or their
    assignee is away without a substitute) or "all". Unread: for "unit" what no caseworker has read yet,
    otherwise what I have not read."""
    rows = (await session.execute(text(
        f"WITH v AS (SELECT t.*, {EFFECTIVE_ASSIGNEE} AS effective FROM threads t "  # noqa: S608 - a constant fragment
        "LEFT JOIN absences a ON a.sub = t.assigned_to "
        "WHERE (t.unit = ANY(CAST(:units AS text[])) OR t.assigned_to = :sub) "
        f"AND (NOT t.protected_identity OR :pa) AND {PARTY_TO} "
        "AND (CAST(:case AS uuid) IS NULL OR t.case_id = :case)) "
        "SELECT v.*, (SELECT count(*) FROM messages m WHERE m.thread_id = v.id AND m.sender_side = 'client' "
        "AND m.retracted_at IS NULL AND m.seq > CASE WHEN :view = 'unit' THEN v.staff_read_seq "
        "ELSE COALESCE(rs.last_read_seq, 0) END) AS unread "
        "FROM v LEFT JOIN read_state rs ON rs.thread_id = v.id AND rs.reader = :reader "
        "WHERE :view = 'all' OR (:view = 'mine' AND v.effective = :sub) OR (:view = 'unit' AND v.effective IS NULL) "
        "ORDER BY v.last_message_at DESC NULLS LAST, v.created_at DESC LIMIT :limit"),
        {"units": units, "sub": sub, "pa": protected_access, "view": view, "reader": reader, "now": now,
         "case": case_id, "limit": limit, "wo": work_only})).all()
    return [thread_of_row(keyring, r) for r in rows]


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
        f"WITH v AS (SELECT t.id, t.unit, t.staff_read_seq, {EFFECTIVE_ASSIGNEE} AS effective "  # noqa: S608 - constant
        "FROM threads t "
        "LEFT JOIN absences a ON a.sub = t.assigned_to "
        "WHERE (t.unit = ANY(CAST(:units AS text[])) OR t.assigned_to = :sub) AND (NOT t.protected_identity OR :pa) "
        f"AND {PARTY_TO}) "
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
