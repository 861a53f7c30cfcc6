"""The applications service: First and monthly applications, attachments, signing, the case from intake to decision."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from kit.app import ServiceContext, create_service_app
from kit.clock import Clock, utcnow
from kit.http import JsonPoster, service_client
from services.applications import workers
from services.applications.api import applications, documents, internal, lifecycle, me, protection, queue
from services.applications.service.runtime import Runtime
from services.applications.settings import ApplicationsSettings
from values.errors import DomainError


def _hook(settings: ApplicationsSettings, clock: Clock) -> Any:
    @contextlib.asynccontextmanager
    async def hook(app: FastAPI, ctx: ServiceContext) -> AsyncIterator[None]:
        timeout = settings.http_timeout_seconds
        calc = (service_client(settings.calculation_url.rstrip("/"), tokens=ctx.tokens_for("calculation"),
                               timeout_seconds=timeout) if settings.calculation_url else None)
        # The relay posts an event per change: over kit's aiohttp poster, not httpx (kit.http.JsonPoster).
        messaging = (JsonPoster(settings.messaging_url, tokens=ctx.tokens_for("messaging"), timeout_seconds=timeout)
                     if settings.messaging_url else None)
        relay = workers.outbox_relay(ctx, settings, messaging)
        ctx.runtime = Runtime(settings=settings, clock=clock, sessions=ctx.sessions, relay=relay, calculation=calc)
        workers.start(ctx, settings, relay, messaging)
        try:
            yield
        finally:
            for client in (calc, messaging):
                if client is not None:
                    await client.aclose()

    return hook


def create_app(settings: ApplicationsSettings | None = None, *, clock: Clock | None = None,
               **kwargs: Any) -> FastAPI:
    """``clock``: tests pass a fixed or stepping time."""
    settings = settings or ApplicationsSettings()
    app = create_service_app(
        name="applications",
        title="Bistånd applications",
        description="First and monthly applications, attachments, signing, the case from intake to decision.",
        settings=settings,
        routers=[applications.router, documents.router, internal.router, lifecycle.router, me.router, protection.router,
                 queue.router],
        hooks=[_hook(settings, clock or utcnow)],
        domain_errors=DomainError,
        **kwargs,
    )
    return app
