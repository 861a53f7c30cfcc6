"""A unit's booking settings and its meeting types."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.meetings.domain.meeting_types import Channel, MeetingType
from services.meetings.domain.unit_settings import UnitMeetingSettings


async def get_unit_settings(session: AsyncSession, unit_id: str) -> UnitMeetingSettings:
    row = (await session.execute(text(
        "SELECT unit_id, client_change_cutoff_hours, min_notice_hours, reminder_offsets_minutes, key_figures "
        "FROM unit_settings WHERE unit_id = :u"), {"u": unit_id})).mappings().first()
    if row is None:
        return UnitMeetingSettings(unit_id=unit_id)  # the defaults until the unit sets its own
    return UnitMeetingSettings(
        unit_id=row["unit_id"], client_change_cutoff_hours=row["client_change_cutoff_hours"],
        min_notice_hours=row["min_notice_hours"], reminder_offsets_minutes=tuple(row["reminder_offsets_minutes"]),
        key_figures=tuple(row["key_figures"]) if row["key_figures"] is not None else None)


async def put_unit_settings(session: AsyncSession, settings: UnitMeetingSettings, by: str, now: dt.datetime) -> None:
    await session.execute(text(
        "INSERT INTO unit_settings (unit_id, client_change_cutoff_hours, min_notice_hours, reminder_offsets_minutes, "
        "key_figures, updated_at, updated_by) VALUES (:u, :c, :m, :r, :k, :now, :by) "
        "ON CONFLICT (unit_id) DO UPDATE SET client_change_cutoff_hours = EXCLUDED.client_change_cutoff_hours, "
        "min_notice_hours = EXCLUDED.min_notice_hours, reminder_offsets_minutes = EXCLUDED.reminder_offsets_minutes, "
        "key_figures = EXCLUDED.key_figures, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by"),
        {"u": settings.unit_id, "c": settings.client_change_cutoff_hours, "m": settings.min_notice_hours,
         "r": list(settings.reminder_offsets_minutes),
         "k": list(settings.key_figures) if settings.key_figures is not None else None, "now": now, "by": by})


_TYPE_COLUMNS = ("id, unit_id, name, kind, duration_minutes, buffer_before_minutes, buffer_after_minutes, channels, "
                 "office_address, client_self_bookable, client_change_cutoff_hours, active")


def _meeting_type(row: Any) -> MeetingType:
    values = dict(row)
    values["channels"] = frozenset(Channel(c) for c in values["channels"])
    return MeetingType(**values)


def _type_params(meeting_type: MeetingType) -> dict[str, Any]:
    values = meeting_type.model_dump()
    values["kind"] = meeting_type.kind.value
    values["channels"] = sorted(c.value for c in meeting_type.channels)
    return values


async def insert_meeting_type(session: AsyncSession, meeting_type: MeetingType) -> None:
    await session.execute(text(
        f"INSERT INTO meeting_types ({_TYPE_COLUMNS}) VALUES (:id, :unit_id, :name, :kind, :duration_minutes, "  # noqa: S608 - constant
        ":buffer_before_minutes, :buffer_after_minutes, :channels, :office_address, :client_self_bookable, "
        ":client_change_cutoff_hours, :active)"), _type_params(meeting_type))


async def update_meeting_type(session: AsyncSession, meeting_type: MeetingType) -> None:
    """Existing bookings keep their blocked ranges (copied at booking time): a new buffer moves nothing."""
    await session.execute(text(
        "UPDATE meeting_types SET name = :name, kind = :kind, duration_minutes = :duration_minutes, "
        "buffer_before_minutes = :buffer_before_minutes, buffer_after_minutes = :buffer_after_minutes, "
        "channels = :channels, office_address = :office_address, client_self_bookable = :client_self_bookable, "
        "client_change_cutoff_hours = :client_change_cutoff_hours, active = :active WHERE id = :id"),
        _type_params(meeting_type))


async def get_meeting_type(session: AsyncSession, type_id: uuid.UUID) -> MeetingType | None:
    row = (await session.execute(text(f"SELECT {_TYPE_COLUMNS} FROM meeting_types WHERE id = :id"),  # noqa: S608
                                 {"id": type_id})).mappings().first()
    return _meeting_type(row) if row else None


async def list_meeting_types(session: AsyncSession, unit_id: str) -> list[MeetingType]:
    rows = (await session.execute(text(
        f"SELECT {_TYPE_COLUMNS} FROM meeting_types WHERE unit_id = :u ORDER BY name, id"),  # noqa: S608 - constant
        {"u": unit_id})).mappings().all()
    return [_meeting_type(r) for r in rows]
