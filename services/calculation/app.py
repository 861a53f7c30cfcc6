"""The calculation service: Försörjningsstöd computed from sourced norm tables, every line explained."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from kit.app import create_service_app
from services.calculation.settings import CalculationSettings


def create_app(settings: CalculationSettings | None = None, **kwargs: Any) -> FastAPI:
    return create_service_app(
        name="calculation",
        title="Bistånd calculation",
        description="Försörjningsstöd computed from sourced norm tables, every line explained.",
        settings=settings or CalculationSettings(),
        routers=[],
        **kwargs,
    )
