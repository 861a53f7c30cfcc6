"""The messaging service: Secure two-way messages between client and caseworker, notifications without content."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI

from kit.app import ServiceContext, create_service_app
from kit.clock import Clock, utcnow
from kit.db import plain_url
from kit.http import service_client
from kit.outbox import OutboxRelay
from kit.problems import use_catalogs
from kit.representation import remote_representations
from services.messaging import workers
from services.messaging.api import contacts, events, export, letters, stream, subject_access, threads
from services.messaging.domain.errors import DomainError
from services.messaging.domain.notify import CATALOGS
from services.messaging.integration.letters import LetterOwners
from services.messaging.integration.population import PopulationRegister
from services.messaging.integration.protection import ProtectionOwner
from services.messaging.service.letters import LetterPost
from services.messaging.service.live import Hub
from services.messaging.service.notifications import Notifier
from services.messaging.service.runtime import Runtime
from services.messaging.settings import MessagingSettings
from services.messaging.store.crypto import Keyring

log = logging.getLogger("messaging")


def _hook(settings: MessagingSettings, keyring: Keyring, clock: Clock,
          sms_transport: httpx.AsyncBaseTransport | None,
          registers_transport: httpx.AsyncBaseTransport | None,
          owners_transport: httpx.AsyncBaseTransport | None) -> Any:
    @contextlib.asynccontextmanager
    async def hook(app: FastAPI, ctx: ServiceContext) -> AsyncIterator[None]:
        if keyring.is_development:
            log.warning("messaging uses the DEVELOPMENT encryption key: set MESSAGING_ENCRYPTION_KEYS in production")
        sms = None
        if settings.sms_url:
            sms = httpx.AsyncClient(base_url=settings.sms_url.rstrip("/"), transport=sms_transport,
                                    timeout=httpx.Timeout(settings.http_timeout_seconds, connect=2.0))
        registers = None
        if settings.registers_url:
            registers = service_client(settings.registers_url.rstrip("/"), tokens=ctx.tokens_for("registers"),
                                       timeout_seconds=settings.http_timeout_seconds, transport=registers_transport)
        else:
            log.warning("no registers_url: protected identity comes from messaging's own copy only")
        # The owners of letters' content (POST /internal/letters), each with a token for its audience.
        owners = {name: service_client(url.rstrip("/"), tokens=ctx.tokens_for(name),
                                       timeout_seconds=settings.http_timeout_seconds, transport=owners_transport)
                  for name, url in (("applications", settings.applications_url), ("meetings", settings.meetings_url))
                  if url}
        notifier = Notifier(settings, ctx.sessions, keyring, sms, clock)
        post = LetterPost(settings, ctx.sessions, keyring, LetterOwners(owners), clock)
        relay = OutboxRelay(ctx.sessions, workers.deliver_by_topic(notifier.deliver, post.deliver),
                            poll_seconds=settings.notify_poll_seconds,
                            base_backoff_seconds=settings.notify_backoff_seconds,
                            max_backoff_seconds=settings.notify_max_backoff_seconds)
        hub = Hub(plain_url(settings.resolved_database_url()), ctx.sessions,
                  max_per_user=settings.sse_max_streams_per_user)
        try:
            await hub.connect()  # listening before the first request, so no early event is missed
        except Exception as exc:  # the database may come later; run() keeps trying
            log.warning("live updates not listening yet", extra={"error": type(exc).__name__})
        rt = Runtime(settings=settings, keyring=keyring, clock=clock, sessions=ctx.sessions, relay=relay, hub=hub,
                     notifier=notifier, protection=ProtectionOwner(registers) if registers is not None else None,
                     retention=workers.retention_job(ctx, settings, clock), letters=post,
                     population=PopulationRegister(registers, settings.letter_legal_basis)
                     if registers is not None else None)
        ctx.runtime = rt
        ctx.representations, applications = remote_representations(
            ctx, settings.applications_url, clock, timeout_seconds=settings.http_timeout_seconds)
        workers.start(ctx, rt)
        try:
            yield
        finally:
            for client in (sms, registers, applications, *owners.values()):
                if client is not None:
                    await client.aclose()

    return hook


def create_app(settings: MessagingSettings | None = None, *, clock: Clock | None = None,
               sms_transport: httpx.AsyncBaseTransport | None = None,
               registers_transport: httpx.AsyncBaseTransport | None = None,
               owners_transport: httpx.AsyncBaseTransport | None = None, **kwargs: Any) -> FastAPI:
    """``clock`` (tests: a fixed or stepping time), ``sms_transport`` (tests: an in-process SMS gateway),
    ``registers_transport`` (tests: a way to the registers, the owner of protected identity), ``owners_transport``
    (tests: a way to the owners of letters)."""
    settings = settings or MessagingSettings()
    keyring = Keyring.parse(settings.encryption_keys)  # bad keys stop the start, not the first message
    app = create_service_app(
        name="messaging",
        title="Bistånd messaging",
        description="Secure two-way messages between client and caseworker, notifications without content.",
        settings=settings,
        routers=[threads.router, contacts.router, events.router, stream.router, export.router,
                 subject_access.router, letters.router],
        hooks=[_hook(settings, keyring, clock or utcnow, sms_transport, registers_transport, owners_transport)],
        domain_errors=DomainError,
        **kwargs,
    )
    use_catalogs(app, CATALOGS)  # problems a client sees, in the language they ask for (Accept-Language)
    return app
