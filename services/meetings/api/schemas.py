"""Wire models (request and response bodies), separate from the domain's and the store's types."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.meetings.domain.availability import LocalOrAware, WeeklyHours
from services.meetings.domain.bookings import (
    AccessibilityNeed,
    BookingStatus,
    ExternalParticipant,
    ExternalRole,
    InterpreterNeed,
    Note,
    Outcome,
    UtcDatetime,
)
from services.meetings.domain.meeting_types import Channel, MeetingKind, MeetingType
from values.personal_number import PersonalNumber

Unit = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- unit settings and meeting types ------------------------------------------------------------------------

class UnitSettingsIn(Strict):
    client_change_cutoff_hours: int = Field(default=24, ge=0, le=14 * 24)
    min_notice_hours: int = Field(default=2, ge=0, le=14 * 24)
    reminder_offsets_minutes: list[Annotated[int, Field(gt=0, le=14 * 24 * 60)]] = Field(
        default_factory=lambda: [24 * 60, 120], max_length=5)
    key_figures: list[str] | None = Field(default=None, max_length=60,
                                          description="Names from the statistics' KEY_FIGURES; null: the defaults.")


class UnitSettingsOut(UnitSettingsIn):
    unit: str


class MeetingTypeIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    kind: MeetingKind
    duration_minutes: int
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    channels: list[Channel] = Field(min_length=1, max_length=3)
    office_address: str | None = None
    client_self_bookable: bool = False
    client_change_cutoff_hours: int | None = None
    active: bool = True


class MeetingTypeOut(BaseModel):
    id: uuid.UUID
    unit: str
    name: str
    kind: MeetingKind
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    channels: list[Channel]
    office_address: str | None
    client_self_bookable: bool
    client_change_cutoff_hours: int | None
    active: bool

    @classmethod
    def of(cls, t: MeetingType) -> MeetingTypeOut:
        return cls(id=t.id, unit=t.unit_id, name=t.name, kind=t.kind, duration_minutes=t.duration_minutes,
                   buffer_before_minutes=t.buffer_before_minutes, buffer_after_minutes=t.buffer_after_minutes,
                   channels=sorted(t.channels), office_address=t.office_address,
                   client_self_bookable=t.client_self_bookable,
                   client_change_cutoff_hours=t.client_change_cutoff_hours, active=t.active)


# --- availability -------------------------------------------------------------------------------------------

class WeeklyHoursIn(Strict):
    hours: list[WeeklyHours] = Field(max_length=50, description="Local wall times (Europe/Stockholm).")


class WeeklyHoursOut(BaseModel):
    caseworker_id: str
    unit: str
    hours: list[WeeklyHours]


class ExceptionIn(Strict):
    kind: Literal["absence", "extra"]
    start: LocalOrAware = Field(description="Without an offset: Stockholm wall time.")
    end: LocalOrAware


class ExceptionOut(BaseModel):
    id: uuid.UUID
    kind: str
    start: dt.datetime
    end: dt.datetime


class SlotOut(BaseModel):
    start: dt.datetime
    end: dt.datetime
    start_local: str = Field(description="Europe/Stockholm, ISO 8601 with offset.")
    caseworker_id: str


class SlotsOut(BaseModel):
    meeting_type_id: uuid.UUID
    slots: list[SlotOut]


# --- bookings -----------------------------------------------------------------------------------------------

class BookingCreate(Strict):
    meeting_type_id: uuid.UUID
    caseworker_id: str = Field(min_length=1, max_length=100)
    start: UtcDatetime
    channel: Channel | None = None
    personal_number: PersonalNumber | None = Field(
        default=None, description="Staff only: the client booked for (phone or visit bookings, no e-ID needed).")
    interpreter: InterpreterNeed | None = None
    accessibility: list[AccessibilityNeed] = Field(default_factory=list, max_length=6)
    accessibility_note: Note | None = None
    external_participants: list[ExternalParticipant] = Field(default_factory=list, max_length=6)


class ContactIn(Strict):
    """A contact that already happened: a drop-in visit, an unplanned call. Counted in the statistics as held."""

    meeting_type_id: uuid.UUID
    start: UtcDatetime
    minutes: int | None = Field(default=None, ge=1, le=8 * 60, description="Actual length; default: the type's.")
    channel: Channel | None = None
    personal_number: PersonalNumber | None = Field(default=None, description="Optional: a drop-in may be anonymous.")


class RescheduleIn(Strict):
    start: UtcDatetime
    reason: Reason | None = Field(default=None, description="Required from staff.")


class CancelIn(Strict):
    reason: Reason | None = Field(default=None, description="Required from staff.")


class ChannelIn(Strict):
    channel: Channel


class OutcomeIn(Strict):
    outcome: Outcome


class StaffIn(Strict):
    caseworker_id: str = Field(min_length=1, max_length=100)


class StaffOut(BaseModel):
    caseworker_id: str
    role: str


class ExternalIn(Strict):
    role: ExternalRole
    organisation: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None


class ExternalOut(BaseModel):
    id: uuid.UUID
    role: ExternalRole
    organisation: str | None
    used: bool


class JoinLinkOut(BaseModel):
    """Shown once: only the hash is kept. Send it to the participant; it works once."""

    role: ExternalRole
    organisation: str | None
    url: str


class BookingOut(BaseModel):
    id: uuid.UUID
    reference: str
    unit: str
    caseworker_id: str
    meeting_type_id: uuid.UUID
    kind: MeetingKind
    channel: Channel
    start: dt.datetime
    end: dt.datetime
    start_local: str
    status: BookingStatus
    outcome: Outcome | None
    location: str | None = Field(description="The office of an in-person meeting; never a home address.")
    video_url: str | None
    client_change_deadline: dt.datetime | None = Field(description="Until when the client may move or cancel online.")
    interpreter_language: str | None
    accessibility: list[AccessibilityNeed]
    accessibility_note: str | None
    version: int
    # Staff only (null for clients):
    personal_number: str | None = None
    protected_identity: bool | None = None
    staff: list[StaffOut] | None = None
    external_participants: list[ExternalOut] | None = None
    booked_by_staff: bool | None = None
    change_reason: str | None = None
    # Only in the answer that created them:
    join_links: list[JoinLinkOut] | None = None


class JoinOut(BaseModel):
    title: str = Field(description="What the meeting is, in the language asked for (Accept-Language).")
    lang: str = Field(description="The language of the title: sv, en or ar.")
    direction: Literal["ltr", "rtl"] = Field(description="The title's text direction (rtl for Arabic).")
    start: dt.datetime
    end: dt.datetime
    start_local: str
    video_url: str | None = None


class FeedTokenOut(BaseModel):
    url: str = Field(description="Shown once; a new one replaces (revokes) the previous.")
    expires_at: dt.datetime = Field(description="It stops working then (or earlier: a new unit, a lost clearance).")


class StatsRowOut(BaseModel):
    unit: str
    caseworker_id: str | None = Field(description="null: the unit's total for the week")
    week: str
    figures: dict[str, int]


class StatsOut(BaseModel):
    unit: str
    from_: dt.date = Field(alias="from")
    to: dt.date
    key_figures: list[str]
    rows: list[StatsRowOut]

    model_config = ConfigDict(populate_by_name=True)
