"""The meetings service: Caseworker availability, booking, reminders, calendar export and statistics."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from kit.app import create_service_app
from services.meetings.settings import MeetingsSettings


def create_app(settings: MeetingsSettings | None = None, **kwargs: Any) -> FastAPI:
    return create_service_app(
        name="meetings",
        title="Bistånd meetings",
        description="Caseworker availability, booking, reminders, calendar export and statistics.",
        settings=settings or MeetingsSettings(),
        routers=[],
        **kwargs,
    )
