"""The applications service: First and monthly applications, attachments, signing, the case from intake to decision."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from kit.app import create_service_app
from services.applications.settings import ApplicationsSettings


def create_app(settings: ApplicationsSettings | None = None, **kwargs: Any) -> FastAPI:
    return create_service_app(
        name="applications",
        title="Bistånd applications",
        description="First and monthly applications, attachments, signing, the case from intake to decision.",
        settings=settings or ApplicationsSettings(),
        routers=[],
        **kwargs,
    )
