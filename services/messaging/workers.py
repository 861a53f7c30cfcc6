"""Background loops of the messaging service, started with it (app.py) and stopped with it (``ctx.stop``):

    live updates     the hub's LISTEN connection and its fan-out to open streams (service/live.py)
    notifications    the outbox relay, each entry handed to Notifier.deliver (service/notifications.py), or for a
                     letter to LetterPost.deliver (service/letters.py): ``deliver_by_topic``
    sweep            uploads never sent with a message, dropped after a day
    retention        gallring (domain/retention.py, store/retention.py): quiet threads, cases, contacts, absences
    housekeeping     the kit's short schedule also purges finished notifications (store/retention.py)
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from kit.app import ServiceContext
from kit.clock import Clock
from kit.outbox import Deliver
from kit.retention import configured
from kit.retention_job import RetentionJob
from kit.tables import OutboxMessage
from services.messaging.domain import retention
from services.messaging.service.runtime import Runtime
from services.messaging.settings import MessagingSettings
from services.messaging.store import attachments as attachments_store
from services.messaging.store import retention as retention_store
from services.messaging.store.letters import LETTER_TOPIC

log = logging.getLogger("messaging")


def retention_job(ctx: ServiceContext, settings: MessagingSettings, clock: Clock) -> RetentionJob:
    """Gallring of threads, cases, contacts and absences (a bad MESSAGING_RETENTION stops the start here)."""
    return RetentionJob("messaging", ctx.sessions, configured(retention.RULES, settings.retention),
                        retention_store.PURGES, clock=clock, batch_size=settings.retention_batch_size,
                        every_seconds=settings.retention_interval_seconds)


def deliver_by_topic(notifications: Deliver, letters: Deliver) -> Deliver:
    """The relay's one handler: a letter to fetch goes to the post room, everything else to the notifier."""

    async def deliver(message: OutboxMessage) -> None:
        await (letters if message.topic == LETTER_TOPIC else notifications)(message)

    return deliver


def start(ctx: ServiceContext, rt: Runtime) -> None:
    if ctx.housekeeping is not None:
        ctx.housekeeping.add("notifications", retention_store.finished_notifications(
            dt.timedelta(days=rt.settings.notification_retention_days)))
    if rt.settings.retention_enabled:
        ctx.spawn(rt.retention.run_forever(ctx.stop), "messaging-retention")
    ctx.spawn(rt.hub.run(ctx.stop), "messaging-live")
    if rt.settings.notify_relay_enabled:
        ctx.spawn(rt.relay.run_forever(ctx.stop), "messaging-notifications")
    ctx.spawn(sweep_forever(ctx, rt), "messaging-sweep")


async def sweep_forever(ctx: ServiceContext, rt: Runtime, every_seconds: float = 3600) -> None:
    """Drop uploads never sent with a message after a day."""
    while not ctx.stop.is_set():
        try:
            async with rt.sessions() as session:
                await attachments_store.sweep_pending_attachments(session, rt.now() - dt.timedelta(days=1))
                await session.commit()
        except Exception:
            log.exception("sweeping unsent attachments failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ctx.stop.wait(), every_seconds)
