"""The meetings service: Caseworker availability, booking, reminders, calendar export and statistics."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI

from kit.app import ServiceContext, create_service_app
from kit.clock import Clock, utcnow
from kit.http import service_client
from kit.problems import use_catalogs
from kit.representation import remote_representations
from services.meetings.api import availability, bookings, calendar, letters, stats, subject_access, units
from services.meetings.domain.labels import CATALOGS
from services.meetings.domain.rules import MeetingRuleError
from services.meetings.integration.registers import ProtectionOwner
from services.meetings.service.runtime import Runtime
from services.meetings.settings import DEV_LINK_SECRET, MeetingsSettings
from services.meetings.workers import (
    ReminderScheduler,
    TokenSource,
    Workers,
    messaging_delivery,
    relay_for,
    retention_job,
)

log = logging.getLogger("meetings")




def _hook(settings: MeetingsSettings, clock: Clock, tokens: TokenSource | None,
          messaging_transport: httpx.AsyncBaseTransport | None,
          registers_transport: httpx.AsyncBaseTransport | None) -> Any:
    @contextlib.asynccontextmanager
    async def hook(app: FastAPI, ctx: ServiceContext) -> AsyncIterator[None]:
        if settings.link_secret == DEV_LINK_SECRET:
            log.warning("meetings uses the DEVELOPMENT link secret: set MEETINGS_LINK_SECRET in production")
        http = None
        if settings.messaging_url:
            http = service_client(settings.messaging_url.rstrip("/"), tokens=tokens or ctx.tokens_for("messaging"),  # type: ignore[arg-type]
                                  timeout_seconds=settings.http_timeout_seconds, transport=messaging_transport)
        owner_http = None
        if settings.registers_url:
            owner_http = service_client(settings.registers_url.rstrip("/"),
                                        tokens=tokens or ctx.tokens_for("registers"),  # type: ignore[arg-type]
                                        timeout_seconds=settings.http_timeout_seconds,
                                        transport=registers_transport)
        else:
            log.warning("no registers URL: protected identity cannot be checked, meetings fails closed")
        owner = ProtectionOwner(owner_http, ttl_seconds=settings.protection_cache_seconds)
        relay = relay_for(ctx.sessions, messaging_delivery(http), settings)
        workers = Workers(ReminderScheduler(ctx.sessions, clock, owner), relay, settings.worker_poll_seconds)
        gallring = retention_job(ctx, settings, clock)
        ctx.runtime = Runtime(settings=settings, clock=clock, sessions=ctx.sessions, owner=owner, relay=relay,
                              workers=workers, retention=gallring)
        ctx.representations, applications = remote_representations(
            ctx, settings.applications_url, clock, timeout_seconds=settings.http_timeout_seconds)
        if settings.retention_enabled:
            ctx.spawn(gallring.run_forever(ctx.stop), "meetings-retention")
        if settings.worker_enabled:
            ctx.spawn(workers.run_forever(ctx.stop), "meetings-reminders")
            if http is not None:  # without a messaging URL, events wait in the outbox until one is set
                ctx.spawn(relay.run_forever(ctx.stop), "meetings-outbox")
        try:
            yield
        finally:
            for client in (http, owner_http, applications):
                if client is not None:
                    await client.aclose()

    return hook


def create_app(settings: MeetingsSettings | None = None, *, clock: Clock | None = None,
               tokens: TokenSource | None = None, messaging_transport: httpx.AsyncBaseTransport | None = None,
               registers_transport: httpx.AsyncBaseTransport | None = None, **kwargs: Any) -> FastAPI:
    """``clock``: tests pass a stepping clock. ``tokens``: where service tokens come from (default: the kit's
    client-credentials provider). ``messaging_transport``, ``registers_transport``: tests may route the calls to
    those services (in-process, or through a counting transport)."""
    settings = settings or MeetingsSettings()
    app = create_service_app(
        name="meetings",
        title="Bistånd meetings",
        description="Caseworker availability, booking, reminders, calendar export and statistics.",
        settings=settings,
        # calendar first: /bookings/{id}.ics must win over /bookings/{id}
        routers=[calendar.router, units.router, availability.router, bookings.router, stats.router,
                 subject_access.router, letters.router],
        hooks=[_hook(settings, clock or utcnow, tokens, messaging_transport, registers_transport)],
        domain_errors=MeetingRuleError,
        **kwargs,
    )
    use_catalogs(app, CATALOGS)  # problems a client sees, in the language they ask for (Accept-Language)
    return app
