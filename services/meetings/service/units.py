"""A unit's booking settings and meeting types: configured by its team lead (or an admin), read by everyone
who books with it (clients see only the active, self-bookable types)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.problems import Problem, validation_errors
from services.meetings.domain.meeting_types import MeetingType
from services.meetings.domain.unit_settings import UnitMeetingSettings
from services.meetings.service.access import Caller, manages_unit
from services.meetings.service.runtime import Runtime
from services.meetings.store import units as units_store


def _invalid(exc: ValidationError) -> Problem:
    return Problem(422, "validation-error", "Invalid request", "One or more fields are invalid.",
                   errors=validation_errors(exc.errors()))


def _require_manager(c: Caller, unit: str) -> None:
    if not manages_unit(c.principal, unit):
        raise Problem(403, "unit-settings-forbidden", "Only the unit's team lead or an admin may do this")


async def meeting_type_or_404(session: AsyncSession, type_id: uuid.UUID) -> MeetingType:
    meeting_type = await units_store.get_meeting_type(session, type_id)
    if meeting_type is None:
        raise Problem(404, "meeting-type-not-found", "No such meeting type")
    return meeting_type


async def settings(session: AsyncSession, unit: str) -> UnitMeetingSettings:
    return await units_store.get_unit_settings(session, unit)


async def put_settings(session: AsyncSession, rt: Runtime, c: Caller, unit: str, *, client_change_cutoff_hours: int,
                       min_notice_hours: int, reminder_offsets_minutes: list[int],
                       key_figures: list[str] | None) -> UnitMeetingSettings:
    """Team lead / admin: cut-off for client changes, minimum notice, reminder times, key figures."""
    _require_manager(c, unit)
    try:
        unit_settings = UnitMeetingSettings(unit_id=unit, client_change_cutoff_hours=client_change_cutoff_hours,
                                            min_notice_hours=min_notice_hours,
                                            reminder_offsets_minutes=tuple(reminder_offsets_minutes),
                                            key_figures=tuple(key_figures) if key_figures is not None else None)
    except ValidationError as exc:
        raise _invalid(exc) from None
    await units_store.put_unit_settings(session, unit_settings, c.principal.sub, rt.now())
    audit.record(session, c.principal, "update", "unit_meeting_settings", unit)
    await session.commit()
    return unit_settings


async def meeting_types(session: AsyncSession, c: Caller, unit: str) -> list[MeetingType]:
    """The unit's meeting types (clients and other units' staff: the active ones clients may book themselves)."""
    types = await units_store.list_meeting_types(session, unit)
    if not (c.is_staff and unit in c.actor.units) and not manages_unit(c.principal, unit):
        types = [t for t in types if t.active and t.client_self_bookable]
    return types


def _build(unit: str, fields: dict[str, Any], type_id: uuid.UUID | None = None) -> MeetingType:
    try:
        return MeetingType(id=type_id or uuid.uuid4(), unit_id=unit, **fields)
    except ValidationError as exc:
        raise _invalid(exc) from None


async def create_type(session: AsyncSession, c: Caller, unit: str, fields: dict[str, Any]) -> MeetingType:
    """Team lead / admin: offer a meeting type (kind, length, buffers, channels, office)."""
    _require_manager(c, unit)
    meeting_type = _build(unit, fields)
    await units_store.insert_meeting_type(session, meeting_type)
    audit.record(session, c.principal, "create", "meeting_type", str(meeting_type.id), details={"unit": unit})
    await session.commit()
    return meeting_type


async def update_type(session: AsyncSession, c: Caller, type_id: uuid.UUID, fields: dict[str, Any]) -> MeetingType:
    """Team lead / admin: change a type (existing bookings keep their times); active=false retires it."""
    current = await units_store.get_meeting_type(session, type_id)
    if current is None or not manages_unit(c.principal, current.unit_id):
        raise Problem(404, "meeting-type-not-found", "No such meeting type")
    meeting_type = _build(current.unit_id, fields, type_id)
    await units_store.update_meeting_type(session, meeting_type)
    audit.record(session, c.principal, "update", "meeting_type", str(type_id), details={"unit": current.unit_id})
    await session.commit()
    return meeting_type
