"""The background work: due reminders become outbox events; the outbox relay posts them to messaging.

Both steps are safe with several replicas. A reminder is claimed with FOR UPDATE SKIP LOCKED and marked
sent in the same transaction that writes its outbox row (whose id is the reminder's id), so exactly one
replica turns it into exactly one event. The kit's OutboxRelay claims events the same way, and messaging
deduplicates on the Idempotency-Key (the event id), so a crash between the POST and the commit repeats at
most a delivery the receiver ignores. What a due reminder becomes: service/reminders.py.

Gallring (domain/retention.py, store/retention.py) runs on its own schedule: past bookings anonymised, batch by batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.app import ServiceContext
from kit.clock import Clock
from kit.outbox import EventDelivery, OutboxRelay
from kit.retention import configured
from kit.retention_job import RetentionJob
from kit.tables import OutboxMessage
from services.meetings.domain import retention
from services.meetings.integration.registers import ProtectionOwner
from services.meetings.service import reminders
from services.meetings.store import retention as retention_store

log = logging.getLogger("meetings.worker")



class TokenSource(Protocol):
    async def token(self) -> str: ...


class ReminderScheduler:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock, owner: ProtectionOwner,
                 batch_size: int = 100) -> None:
        self.sessions = sessions
        self.clock = clock
        self.owner = owner
        self.batch_size = batch_size

    async def run_once(self) -> int:
        """Turn one batch of due reminders into outbox events. Returns how many events were written."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            return await reminders.send_due(session, self.owner, now, self.batch_size)


def _meeting_envelope(message: OutboxMessage) -> tuple[Any, dict[str, Any]]:
    """Meetings keep the event's own time (the app's clock, not the insert's) beside its data."""
    return message.payload["occurred_at"], message.payload["data"]


def messaging_delivery(http: httpx.AsyncClient | None) -> EventDelivery:
    """Outbox events to messaging's POST /events (a claimed batch: /events/batch); without a messaging URL they wait
    in the outbox."""
    return EventDelivery(http, _meeting_envelope)


class Workers:
    """The reminder scheduler and the outbox relay of one replica."""

    def __init__(self, scheduler: ReminderScheduler, relay: OutboxRelay, poll_seconds: float) -> None:
        self.scheduler = scheduler
        self.relay = relay
        self.poll_seconds = poll_seconds

    async def run_once(self) -> tuple[int, int]:
        reminders = await self.scheduler.run_once()
        delivered = 0
        while (n := await self.relay.run_once()) > 0:
            delivered += n
        return reminders, delivered

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.scheduler.run_once()
            except Exception:
                log.exception("reminder pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll_seconds)


def relay_for(sessions: async_sessionmaker[AsyncSession], delivery: EventDelivery, settings: Any) -> OutboxRelay:
    """A claimed batch goes to messaging in one POST /events/batch (the envelope per event as for POST /events)."""
    return OutboxRelay(sessions, delivery, deliver_batch=delivery.batch, poll_seconds=settings.worker_poll_seconds,
                       base_backoff_seconds=settings.outbox_backoff_seconds,
                       max_backoff_seconds=settings.outbox_max_backoff_seconds)


def retention_job(ctx: ServiceContext, settings: Any, clock: Clock) -> RetentionJob:
    """Gallring of bookings and protection claims (a bad MEETINGS_RETENTION stops the start here)."""
    return RetentionJob("meetings", ctx.sessions, configured(retention.RULES, settings.retention),
                        retention_store.PURGES, clock=clock, batch_size=settings.retention_batch_size,
                        every_seconds=settings.retention_interval_seconds)
