"""The messaging service: Secure two-way messages between client and caseworker, notifications without content."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from kit.app import create_service_app
from services.messaging.settings import MessagingSettings


def create_app(settings: MessagingSettings | None = None, **kwargs: Any) -> FastAPI:
    return create_service_app(
        name="messaging",
        title="Bistånd messaging",
        description="Secure two-way messages between client and caseworker, notifications without content.",
        settings=settings or MessagingSettings(),
        routers=[],
        **kwargs,
    )
