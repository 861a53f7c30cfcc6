"""The calculation service: Försörjningsstöd computed from sourced norm tables, every line explained."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from pydantic.json_schema import models_json_schema

from contracts.calculation import BatchRequest, CalculationRequest, TrialRequest
from kit.app import ServiceApp, ServiceContext, create_service_app
from kit.clock import Clock, utcnow
from services.calculation.api import calculations, norms
from services.calculation.service.calculator import Calculator
from services.calculation.service.pool import WorkerPool
from services.calculation.service.runtime import Runtime
from services.calculation.settings import CalculationSettings
from services.calculation.store import norm_tables
from services.calculation.store.ceilings import load_ceilings
from values.errors import DomainError


def _hook(settings: CalculationSettings, calculator: Calculator, clock: Clock) -> Any:
    @contextlib.asynccontextmanager
    async def hook(app: FastAPI, ctx: ServiceContext) -> AsyncIterator[None]:
        pool = WorkerPool(settings, settings.batch_workers) if settings.batch_workers > 0 else None
        ctx.runtime = Runtime(calculator, clock, batch_pool=pool)
        try:
            yield
        finally:
            if pool is not None:
                pool.close()

    return hook


def _with_request_schemas(app: FastAPI) -> None:
    """The routes read their bodies themselves (one error format for single, batch and trial); their
    request models are added to the OpenAPI components here so the document still describes them."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = ServiceApp.openapi(app)  # everything the kit would write, then our request bodies
            _, defs = models_json_schema([(m, "validation") for m in (CalculationRequest, BatchRequest, TrialRequest)],
                                         ref_template="#/components/schemas/{model}")
            schema.setdefault("components", {}).setdefault("schemas", {}).update(defs.get("$defs", {}))
            # Nothing is stored here: nothing a request could conflict with, nothing it could name that is missing
            # (but a norm year in the path).
            for path, item in schema["paths"].items():
                for operation in item.values():
                    operation.get("responses", {}).pop("409", None)
                    if "{" not in path:
                        operation.get("responses", {}).pop("404", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: CalculationSettings | None = None, *, clock: Clock | None = None, **kwargs: Any) -> FastAPI:
    """``clock`` (tests): the trial's default month comes from it."""
    settings = settings or CalculationSettings()
    # Loaded and validated before the app exists: a broken norm file or ceiling list stops the start.
    book = norm_tables.load(Path(settings.norms_dir) if settings.norms_dir else norm_tables.NORMS_DIR)
    calculator = Calculator(book, load_ceilings(settings.rent_ceilings, settings.rent_ceilings_file))
    app = create_service_app(
        name="calculation",
        title="Bistånd calculation",
        description="Försörjningsstöd computed from sourced norm tables, every line explained.",
        settings=settings,
        routers=[calculations.router, norms.router],
        hooks=[_hook(settings, calculator, clock or utcnow)],
        domain_errors=DomainError,  # a Rejected input (422), a batch too large (413)
        **kwargs,
    )
    _with_request_schemas(app)
    return app
