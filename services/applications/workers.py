"""Background loops of the applications service, started by app.py's start-up hook: the outbox relay that
delivers events (service/events.py) to messaging, the relay of the service's own jobs (the decision proposal made
on every submission, service/proposals.py), which reads the same outbox but only the job topics, and gallring
(domain/retention.py, store/retention.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from kit.app import ServiceContext
from kit.clock import Clock
from kit.http import JsonPoster
from kit.outbox import EventDelivery, OutboxRelay
from kit.retention import configured
from kit.retention_job import RetentionJob
from kit.tables import OutboxMessage
from services.applications.domain import retention
from services.applications.service import proposals, registerutdrag
from services.applications.service.events import LOCAL_TOPICS, PROPOSAL_JOB
from services.applications.settings import ApplicationsSettings
from services.applications.store import retention as retention_store

log = logging.getLogger("applications")


def outbox_relay(ctx: ServiceContext, settings: ApplicationsSettings,
                 messaging: JsonPoster | None) -> OutboxRelay:
    """The relay of this service's outbox (tests call its ``run_once()``; the use cases ``wake()`` it). A claimed
    batch goes to messaging in one POST /events/batch."""
    delivery = EventDelivery(messaging)
    return OutboxRelay(ctx.sessions, delivery, deliver_batch=delivery.batch, poll_seconds=settings.relay_poll_seconds,
                       base_backoff_seconds=settings.relay_backoff_seconds,
                       max_backoff_seconds=settings.relay_max_backoff_seconds, skip_topics=LOCAL_TOPICS,
                       linger_seconds=settings.relay_linger_seconds)


def job_relay(ctx: ServiceContext, settings: ApplicationsSettings) -> OutboxRelay:
    """The relay that runs the service's own jobs. A job that raises stays in the outbox and is tried again with
    backoff; a job that ran is marked done. A crash after the job committed and before it was marked runs it again,
    which the job notices (it is keyed by the message id) and does nothing twice."""

    async def run(message: OutboxMessage) -> None:
        if message.topic == PROPOSAL_JOB:
            await proposals.run_proposal_job(ctx.runtime, message.id, message.payload)
        else:  # pragma: no cover - LOCAL_TOPICS lists only handled topics
            raise RuntimeError(f"no job for {message.topic}")

    def at_once() -> int:
        """Fewer jobs at once while requests are in flight: a job's work shares the event loop, the database pool
        and the cores with the answers people wait for (at 32 waiting clients, 16 jobs at once doubled p99)."""
        if ctx.metrics.in_flight:
            return min(settings.proposal_job_busy_concurrency, settings.proposal_job_concurrency)
        return settings.proposal_job_concurrency

    return OutboxRelay(ctx.sessions, run, poll_seconds=settings.relay_poll_seconds,
                       base_backoff_seconds=settings.relay_backoff_seconds,
                       max_backoff_seconds=settings.relay_max_backoff_seconds, topics=LOCAL_TOPICS,
                       batch_size=at_once, concurrent=True)


async def purge_extracts(ctx: ServiceContext, settings: ApplicationsSettings) -> None:
    """Drop gathered register extracts whose time is up (APPLICATIONS_REGISTERUTDRAG_KEEP_DAYS), now and then."""
    while not ctx.stop.is_set():
        try:
            await registerutdrag.purge(ctx.runtime)
        except Exception:  # the database may be away for a while; the next round tries again
            log.exception("registerutdrag purge failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ctx.stop.wait(), settings.registerutdrag_purge_seconds)


def retention_job(ctx: ServiceContext, settings: ApplicationsSettings, clock: Clock) -> RetentionJob:
    """Gallring of cases, client profiles and staff (a bad APPLICATIONS_RETENTION stops the start here)."""
    return RetentionJob("applications", ctx.sessions, configured(retention.RULES, settings.retention),
                        retention_store.PURGES, clock=clock, batch_size=settings.retention_batch_size,
                        every_seconds=settings.retention_interval_seconds)


def start(ctx: ServiceContext, settings: ApplicationsSettings, relay: OutboxRelay,
          messaging: JsonPoster | None, jobs: OutboxRelay, gallring: RetentionJob) -> None:
    """Start the loops (cancelled on shutdown; they watch ``ctx.stop``)."""
    if settings.registerutdrag_purge_seconds > 0:  # tests turn it off (0) and call the purge themselves
        ctx.spawn(purge_extracts(ctx, settings), "applications-registerutdrag-purge")
    if settings.retention_enabled:
        ctx.spawn(gallring.run_forever(ctx.stop), "applications-retention")
    if settings.relay_enabled:
        if messaging is None:
            log.warning("no messaging_url: events stay in the outbox until one is set")
        ctx.spawn(relay.run_forever(ctx.stop), "applications-events")
    if settings.proposal_jobs_enabled:
        ctx.spawn(jobs.run_forever(ctx.stop), "applications-jobs")
