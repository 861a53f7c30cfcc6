"""Weekly hours, absences and extra hours, and the busy ranges the slot search reads."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.meetings.domain.availability import Absence, Availability, ExtraHours, Interval, WeeklyHours


async def replace_weekly_hours(session: AsyncSession, caseworker_id: str, hours: Sequence[WeeklyHours]) -> None:
    await session.execute(text("DELETE FROM weekly_hours WHERE caseworker_id = :c"), {"c": caseworker_id})
    for h in hours:
        await session.execute(text(
            "INSERT INTO weekly_hours (caseworker_id, weekday, start_time, end_time, valid_from, valid_to) "
            "VALUES (:c, :w, :s, :e, :f, :t)"),
            {"c": caseworker_id, "w": h.weekday, "s": h.start, "e": h.end, "f": h.valid_from, "t": h.valid_to})


async def get_weekly_hours(session: AsyncSession, caseworker_id: str) -> list[WeeklyHours]:
    rows = (await session.execute(text(
        "SELECT weekday, start_time, end_time, valid_from, valid_to FROM weekly_hours WHERE caseworker_id = :c "
        "ORDER BY weekday, start_time"), {"c": caseworker_id})).all()
    return [WeeklyHours(weekday=r.weekday, start=r.start_time, end=r.end_time, valid_from=r.valid_from,
                        valid_to=r.valid_to) for r in rows]


@dataclass(frozen=True)
class ExceptionRow:
    id: uuid.UUID
    caseworker_id: str
    kind: str  # absence | extra
    start: dt.datetime
    end: dt.datetime


async def add_exception(session: AsyncSession, caseworker_id: str, kind: str, start: dt.datetime,
                        end: dt.datetime) -> ExceptionRow:
    row = ExceptionRow(uuid.uuid4(), caseworker_id, kind, start, end)
    await session.execute(text(
        "INSERT INTO availability_exceptions (id, caseworker_id, kind, start_at, end_at) VALUES (:id, :c, :k, :s, :e)"),
        {"id": row.id, "c": caseworker_id, "k": kind, "s": start, "e": end})
    return row


async def delete_exception(session: AsyncSession, caseworker_id: str, exception_id: uuid.UUID) -> bool:
    result = await session.execute(text(
        "DELETE FROM availability_exceptions WHERE id = :id AND caseworker_id = :c RETURNING id"),
        {"id": exception_id, "c": caseworker_id})
    return result.first() is not None


async def list_exceptions(session: AsyncSession, caseworker_id: str, since: dt.datetime) -> list[ExceptionRow]:
    rows = (await session.execute(text(
        "SELECT id, caseworker_id, kind, start_at, end_at FROM availability_exceptions "
        "WHERE caseworker_id = :c AND end_at > :since ORDER BY start_at"), {"c": caseworker_id, "since": since})).all()
    return [ExceptionRow(r.id, r.caseworker_id, r.kind, r.start_at, r.end_at) for r in rows]


async def availabilities(session: AsyncSession, caseworker_ids: Sequence[str], start: dt.datetime,
                         end: dt.datetime) -> dict[str, Availability]:
    """Each caseworker's weekly hours plus the absences and extra hours touching [start, end)."""
    ids = list(caseworker_ids)
    weekly: dict[str, list[WeeklyHours]] = defaultdict(list)
    absences: dict[str, list[Absence]] = defaultdict(list)
    extra: dict[str, list[ExtraHours]] = defaultdict(list)
    for r in (await session.execute(text(
            "SELECT caseworker_id, weekday, start_time, end_time, valid_from, valid_to FROM weekly_hours "
            "WHERE caseworker_id = ANY(CAST(:ids AS text[]))"), {"ids": ids})).all():
        weekly[r.caseworker_id].append(WeeklyHours(weekday=r.weekday, start=r.start_time, end=r.end_time,
                                                   valid_from=r.valid_from, valid_to=r.valid_to))
    for r in (await session.execute(text(
            "SELECT caseworker_id, kind, start_at, end_at FROM availability_exceptions "
            "WHERE caseworker_id = ANY(CAST(:ids AS text[])) AND end_at > :s AND start_at < :e"),
            {"ids": ids, "s": start, "e": end})).all():
        if r.kind == "absence":
            absences[r.caseworker_id].append(Absence(start=r.start_at, end=r.end_at))
        else:
            extra[r.caseworker_id].append(ExtraHours(start=r.start_at, end=r.end_at))
    return {cid: Availability(caseworker_id=cid, weekly=tuple(weekly[cid]), absences=tuple(absences[cid]),
                              extra=tuple(extra[cid])) for cid in ids}


async def busy_intervals(session: AsyncSession, caseworker_ids: Sequence[str], start: dt.datetime, end: dt.datetime,
                         *, exclude_booking: uuid.UUID | None = None) -> dict[str, list[Interval]]:
    """The blocked ranges of active bookings: exactly the rows the exclusion constraint compares."""
    rows = (await session.execute(text(
        "SELECT caseworker_id, blocked_start, blocked_end FROM booking_staff WHERE active "
        "AND caseworker_id = ANY(CAST(:ids AS text[])) AND blocked_end > :s AND blocked_start < :e "
        "AND (CAST(:x AS uuid) IS NULL OR booking_id <> CAST(:x AS uuid))"),
        {"ids": list(caseworker_ids), "s": start, "e": end, "x": exclude_booking})).all()
    busy: dict[str, list[Interval]] = defaultdict(list)
    for r in rows:
        busy[r.caseworker_id].append((r.blocked_start, r.blocked_end))
    return busy
