"""A unit's booking settings and meeting types: configured by its team lead (or an admin), read by everyone
who books with it (clients see only the active, self-bookable types). The use cases: service/units.py."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.db import session as db_session
from kit.representation import Scope, acts_for
from services.meetings.api import deps
from services.meetings.api.deps import Caller, Rt
from services.meetings.api.schemas import MeetingTypeIn, MeetingTypeOut, Unit, UnitSettingsIn, UnitSettingsOut
from services.meetings.domain.unit_settings import UnitMeetingSettings
from services.meetings.service import units

router = APIRouter(tags=["units"])


def _settings_out(s: UnitMeetingSettings) -> UnitSettingsOut:
    return UnitSettingsOut(unit=s.unit_id, client_change_cutoff_hours=s.client_change_cutoff_hours,
                           min_notice_hours=s.min_notice_hours,
                           reminder_offsets_minutes=list(s.reminder_offsets_minutes),
                           key_figures=list(s.key_figures) if s.key_figures is not None else None)


def _fields(body: MeetingTypeIn) -> dict[str, object]:
    return {**body.model_dump(), "channels": frozenset(body.channels)}


@router.get("/units/{unit}/settings", response_model=UnitSettingsOut, summary="The unit's booking settings")
async def get_settings(unit: Unit, session: AsyncSession = Depends(db_session),
                       c: Caller = Depends(deps.caller)) -> UnitSettingsOut:
    return _settings_out(await units.settings(session, unit))


@router.put("/units/{unit}/settings", response_model=UnitSettingsOut,
            summary="Team lead / admin: cut-off for client changes, minimum notice, reminder times, key figures")
async def put_settings(unit: Unit, body: UnitSettingsIn, rt: Rt,
                       session: AsyncSession = Depends(db_session),
                       c: Caller = Depends(deps.caller)) -> UnitSettingsOut:
    return _settings_out(await units.put_settings(
        session, rt, c, unit, client_change_cutoff_hours=body.client_change_cutoff_hours,
        min_notice_hours=body.min_notice_hours, reminder_offsets_minutes=body.reminder_offsets_minutes,
        key_figures=body.key_figures))


@router.get("/units/{unit}/meeting-types", response_model=list[MeetingTypeOut],
            summary="The unit's meeting types (clients: the active ones they may book themselves)")
@acts_for(Scope.MEETINGS)
async def list_types(unit: Unit, session: AsyncSession = Depends(db_session),
                     c: Caller = Depends(deps.caller)) -> list[MeetingTypeOut]:
    return [MeetingTypeOut.of(t) for t in await units.meeting_types(session, c, unit)]


@router.post("/units/{unit}/meeting-types", response_model=MeetingTypeOut, status_code=201,
             summary="Team lead / admin: offer a meeting type (kind, length, buffers, channels, office)")
async def create_type(unit: Unit, body: MeetingTypeIn, session: AsyncSession = Depends(db_session),
                      c: Caller = Depends(deps.caller)) -> MeetingTypeOut:
    return MeetingTypeOut.of(await units.create_type(session, c, unit, _fields(body)))


@router.put("/meeting-types/{type_id}", response_model=MeetingTypeOut,
            summary="Team lead / admin: change a type (existing bookings keep their times); active=false retires it")
async def update_type(type_id: uuid.UUID, body: MeetingTypeIn, session: AsyncSession = Depends(db_session),
                      c: Caller = Depends(deps.caller)) -> MeetingTypeOut:
    return MeetingTypeOut.of(await units.update_type(session, c, type_id, _fields(body)))
