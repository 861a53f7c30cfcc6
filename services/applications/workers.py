"""Background loops of the applications service, started by app.py's start-up hook: the outbox relay that
delivers events (service/events.py) to messaging."""

from __future__ import annotations

import logging

from kit.app import ServiceContext
from kit.http import JsonPoster
from kit.outbox import EventDelivery, OutboxRelay
from services.applications.settings import ApplicationsSettings

log = logging.getLogger("applications")


def outbox_relay(ctx: ServiceContext, settings: ApplicationsSettings,
                 messaging: JsonPoster | None) -> OutboxRelay:
    """The relay of this service's outbox (tests call its ``run_once()``; the use cases ``wake()`` it)."""
    return OutboxRelay(ctx.sessions, EventDelivery(messaging), poll_seconds=settings.relay_poll_seconds,
                       base_backoff_seconds=settings.relay_backoff_seconds,
                       max_backoff_seconds=settings.relay_max_backoff_seconds)


def start(ctx: ServiceContext, settings: ApplicationsSettings, relay: OutboxRelay,
          messaging: JsonPoster | None) -> None:
    """Start the loops (cancelled on shutdown; they watch ``ctx.stop``)."""
    if settings.relay_enabled:
        if messaging is None:
            log.warning("no messaging_url: events stay in the outbox until one is set")
        ctx.spawn(relay.run_forever(ctx.stop), "applications-events")
