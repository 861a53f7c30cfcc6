"""A unit's booking settings: the cut-off for clients' own changes, minimum notice, reminder times, key figures.

Kept apart from meeting_types.py because the key figures are the statistics' (stats.py), which builds on
bookings and meeting types: meeting_types -> (nothing of ours), stats -> bookings -> meeting_types, and this
module on top of both, so no import runs in a circle.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.meetings.domain.meeting_types import (
    DEFAULT_CLIENT_CHANGE_CUTOFF_HOURS,
    DEFAULT_REMINDER_OFFSETS_MINUTES,
    MeetingType,
)
from services.meetings.domain.stats import check_key_figures


class UnitMeetingSettings(BaseModel):
    """A unit's booking settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit_id: str
    # A client may move or cancel online until this many hours before the start; after that they call.
    client_change_cutoff_hours: int = Field(default=DEFAULT_CLIENT_CHANGE_CUTOFF_HOURS, ge=0, le=14 * 24)
    # The earliest a client may book ahead of now (staff book phone appointments without this limit).
    min_notice_hours: int = Field(default=2, ge=0, le=14 * 24)
    reminder_offsets_minutes: tuple[int, ...] = DEFAULT_REMINDER_OFFSETS_MINUTES
    # The figures the team lead's weekly statistics shows; stats.KEY_FIGURES names them.
    key_figures: tuple[str, ...] | None = None

    @field_validator("key_figures")
    @classmethod
    def _known_figures(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        return check_key_figures(value)

    @property
    def min_notice(self) -> dt.timedelta:
        return dt.timedelta(hours=self.min_notice_hours)

    @property
    def reminder_offsets(self) -> tuple[dt.timedelta, ...]:
        return tuple(dt.timedelta(minutes=m) for m in self.reminder_offsets_minutes)


def client_change_cutoff(meeting_type: MeetingType, settings: UnitMeetingSettings) -> dt.timedelta:
    """How long before the start a client may still move or cancel online: the type's own value, else the unit's."""
    hours = meeting_type.client_change_cutoff_hours
    if hours is None:
        hours = settings.client_change_cutoff_hours
    return dt.timedelta(hours=hours)
