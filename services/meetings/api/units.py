"""A unit's booking settings and meeting types: configured by its team lead (or an admin), read by everyone
who books with it (clients see only the active, self-bookable types)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.db import session as db_session
from kit.problems import Problem, validation_errors
from services.meetings import store
from services.meetings.api import deps
from services.meetings.api.deps import Caller
from services.meetings.api.schemas import MeetingTypeIn, MeetingTypeOut, Unit, UnitSettingsIn, UnitSettingsOut
from services.meetings.domain.meeting_types import MeetingType, UnitMeetingSettings

router = APIRouter(tags=["units"])


def _invalid(exc: ValidationError) -> Problem:
    return Problem(422, "validation-error", "Invalid request", "One or more fields are invalid.",
                   errors=validation_errors(exc.errors()))


def _require_manager(c: Caller, unit: str) -> None:
    if not deps.manages_unit(c.principal, unit):
        raise Problem(403, "unit-settings-forbidden", "Only the unit's team lead or an admin may do this")


def _settings_out(s: UnitMeetingSettings) -> UnitSettingsOut:
    return UnitSettingsOut(unit=s.unit_id, client_change_cutoff_hours=s.client_change_cutoff_hours,
                           min_notice_hours=s.min_notice_hours,
                           reminder_offsets_minutes=list(s.reminder_offsets_minutes),
                           key_figures=list(s.key_figures) if s.key_figures is not None else None)


@router.get("/units/{unit}/settings", response_model=UnitSettingsOut, summary="The unit's booking settings")
async def get_settings(unit: Unit, session: AsyncSession = Depends(db_session),
                       c: Caller = Depends(deps.caller)) -> UnitSettingsOut:
    return _settings_out(await store.get_unit_settings(session, unit))


@router.put("/units/{unit}/settings", response_model=UnitSettingsOut,
            summary="Team lead / admin: cut-off for client changes, minimum notice, reminder times, key figures")
async def put_settings(unit: Unit, body: UnitSettingsIn, request: Request,
                       session: AsyncSession = Depends(db_session),
                       c: Caller = Depends(deps.caller)) -> UnitSettingsOut:
    _require_manager(c, unit)
    try:
        settings = UnitMeetingSettings(unit_id=unit, client_change_cutoff_hours=body.client_change_cutoff_hours,
                                       min_notice_hours=body.min_notice_hours,
                                       reminder_offsets_minutes=tuple(body.reminder_offsets_minutes),
                                       key_figures=tuple(body.key_figures) if body.key_figures is not None else None)
    except ValidationError as exc:
        raise _invalid(exc) from None
    await store.put_unit_settings(session, settings, c.principal.sub, deps.clock(request))
    audit.record(session, c.principal, "update", "unit_meeting_settings", unit)
    await session.commit()
    return _settings_out(settings)


@router.get("/units/{unit}/meeting-types", response_model=list[MeetingTypeOut],
            summary="The unit's meeting types (clients: the active ones they may book themselves)")
async def list_types(unit: Unit, session: AsyncSession = Depends(db_session),
                     c: Caller = Depends(deps.caller)) -> list[MeetingTypeOut]:
    types = await store.list_meeting_types(session, unit)
    if not (c.is_staff and unit in c.actor.units) and not deps.manages_unit(c.principal, unit):
        types = [t for t in types if t.active and t.client_self_bookable]
    return [MeetingTypeOut.of(t) for t in types]


def _build(unit: str, body: MeetingTypeIn, type_id: uuid.UUID | None = None) -> MeetingType:
    try:
        return MeetingType(id=type_id or uuid.uuid4(), unit_id=unit, **{
            **body.model_dump(), "channels": frozenset(body.channels)})
    except ValidationError as exc:
        raise _invalid(exc) from None


@router.post("/units/{unit}/meeting-types", response_model=MeetingTypeOut, status_code=201,
             summary="Team lead / admin: offer a meeting type (kind, length, buffers, channels, office)")
async def create_type(unit: Unit, body: MeetingTypeIn, session: AsyncSession = Depends(db_session),
                      c: Caller = Depends(deps.caller)) -> MeetingTypeOut:
    _require_manager(c, unit)
    meeting_type = _build(unit, body)
    await store.insert_meeting_type(session, meeting_type)
    audit.record(session, c.principal, "create", "meeting_type", str(meeting_type.id), details={"unit": unit})
    await session.commit()
    return MeetingTypeOut.of(meeting_type)


@router.put("/meeting-types/{type_id}", response_model=MeetingTypeOut,
            summary="Team lead / admin: change a type (existing bookings keep their times); active=false retires it")
async def update_type(type_id: uuid.UUID, body: MeetingTypeIn, session: AsyncSession = Depends(db_session),
                      c: Caller = Depends(deps.caller)) -> MeetingTypeOut:
    current = await store.get_meeting_type(session, type_id)
    if current is None or not deps.manages_unit(c.principal, current.unit_id):
        raise Problem(404, "meeting-type-not-found", "No such meeting type")
    meeting_type = _build(current.unit_id, body, type_id)
    await store.update_meeting_type(session, meeting_type)
    audit.record(session, c.principal, "update", "meeting_type", str(type_id), details={"unit": current.unit_id})
    await session.commit()
    return MeetingTypeOut.of(meeting_type)
