"""What the weekly statistics reads: meetings without any client."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.meetings.domain.bookings import (
    BookingStatus,
    Outcome,
)
from services.meetings.domain.meeting_types import Channel, MeetingKind
from services.meetings.domain.stats import MeetingRecord


async def meeting_records(session: AsyncSession, unit_id: str, start: dt.datetime, end: dt.datetime,
                          caseworker_id: str | None = None) -> list[MeetingRecord]:
    """What the statistics needs, no client at all."""
    rows = (await session.execute(text(
        "SELECT unit_id, caseworker_id, kind, channel, start_at, end_at, status, outcome FROM bookings "
        "WHERE unit_id = :u AND start_at >= :s AND start_at < :e AND (CAST(:c AS text) IS NULL OR caseworker_id = :c)"),
        {"u": unit_id, "s": start, "e": end, "c": caseworker_id})).all()
    return [MeetingRecord(unit_id=r.unit_id, caseworker_id=r.caseworker_id, kind=MeetingKind(r.kind),
                          channel=Channel(r.channel), start=r.start_at,
                          minutes=int((r.end_at - r.start_at) / dt.timedelta(minutes=1)),
                          status=BookingStatus(r.status), outcome=Outcome(r.outcome) if r.outcome else None)
            for r in rows]
