"""Background loops of the applications service, started by app.py's start-up hook: the outbox relay that
delivers events (service/events.py) to messaging, and gallring (domain/retention.py, store/retention.py)."""

from __future__ import annotations

import logging

import httpx

from kit.app import ServiceContext
from kit.clock import Clock
from kit.outbox import EventDelivery, OutboxRelay
from kit.retention import configured
from kit.retention_job import RetentionJob
from services.applications.domain import retention
from services.applications.settings import ApplicationsSettings
from services.applications.store import retention as retention_store

log = logging.getLogger("applications")


def outbox_relay(ctx: ServiceContext, settings: ApplicationsSettings,
                 messaging: httpx.AsyncClient | None) -> OutboxRelay:
    """The relay of this service's outbox (tests call its ``run_once()``; the use cases ``wake()`` it)."""
    return OutboxRelay(ctx.sessions, EventDelivery(messaging), poll_seconds=settings.relay_poll_seconds,
                       base_backoff_seconds=settings.relay_backoff_seconds,
                       max_backoff_seconds=settings.relay_max_backoff_seconds)


def retention_job(ctx: ServiceContext, settings: ApplicationsSettings, clock: Clock) -> RetentionJob:
    """Gallring of cases, client profiles and staff (a bad APPLICATIONS_RETENTION stops the start here)."""
    return RetentionJob("applications", ctx.sessions, configured(retention.RULES, settings.retention),
                        retention_store.PURGES, clock=clock, batch_size=settings.retention_batch_size,
                        every_seconds=settings.retention_interval_seconds)


def start(ctx: ServiceContext, settings: ApplicationsSettings, relay: OutboxRelay,
          messaging: httpx.AsyncClient | None, gallring: RetentionJob) -> None:
    """Start the loops (cancelled on shutdown; they watch ``ctx.stop``)."""
    if settings.retention_enabled:
        ctx.spawn(gallring.run_forever(ctx.stop), "applications-retention")
    if settings.relay_enabled:
        if messaging is None:
            log.warning("no messaging_url: events stay in the outbox until one is set")
        ctx.spawn(relay.run_forever(ctx.stop), "applications-events")
