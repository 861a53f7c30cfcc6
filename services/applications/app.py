"""The applications service: First and monthly applications, attachments, signing, the case from intake to decision."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import httpx
from fastapi import FastAPI

from kit.app import ServiceContext, create_service_app
from kit.clock import Clock, utcnow
from kit.http import JsonPoster, service_client
from kit.problems import use_catalogs
from services.applications import workers
from services.applications.api import (
    admin,
    appeals,
    applications,
    documents,
    figures,
    letters,
    lifecycle,
    me,
    proposals,
    queue,
    registerutdrag,
    representations,
)
from services.applications.domain.texts import CATALOGS
from services.applications.integration.registers import Registers
from services.applications.service.representations import LocalRepresentations
from services.applications.service.runtime import Runtime
from services.applications.settings import ApplicationsSettings
from values.errors import DomainError

log = logging.getLogger("applications")


class TokenSource(Protocol):
    async def token(self) -> str: ...


def _hook(settings: ApplicationsSettings, clock: Clock, registers_tokens: TokenSource | None,
          registers_transport: httpx.AsyncBaseTransport | None, protection_clock: Callable[[], float]) -> Any:
    @contextlib.asynccontextmanager
    async def hook(app: FastAPI, ctx: ServiceContext) -> AsyncIterator[None]:
        timeout = settings.http_timeout_seconds
        calc = (service_client(settings.calculation_url.rstrip("/"), tokens=ctx.tokens_for("calculation"),
                               timeout_seconds=timeout) if settings.calculation_url else None)
        # The proposal job calculates on every submission: over kit's aiohttp poster (the caseworker's over httpx).
        calc_poster = (JsonPoster(settings.calculation_url, tokens=ctx.tokens_for("calculation"),
                                  timeout_seconds=timeout) if settings.calculation_url else None)
        # The relay posts an event per change: over kit's aiohttp poster, not httpx (kit.http.JsonPoster).
        messaging = (JsonPoster(settings.messaging_url, tokens=ctx.tokens_for("messaging"), timeout_seconds=timeout)
                     if settings.messaging_url else None)
        registers = None
        protection_poster = None
        if settings.registers_url:
            registers_auth = registers_tokens or ctx.tokens_for("registers")
            registers = service_client(settings.registers_url.rstrip("/"), tokens=registers_auth,  # type: ignore[arg-type]
                                       timeout_seconds=timeout, transport=registers_transport)
            if registers_transport is None:  # (a routed transport is httpx's: then everything goes through it)
                # The protection question is asked at every submit: over kit's aiohttp poster, not httpx.
                protection_poster = JsonPoster(settings.registers_url, tokens=registers_auth,  # type: ignore[arg-type]
                                               timeout_seconds=timeout)
        else:
            log.warning("no registers URL: protected identity cannot be checked, new applications answer 503")
        # The services asked for their part of a register extract (each at its <name>_url).
        parts = {}
        for name in settings.registerutdrag_service_list():
            url = getattr(settings, f"{name}_url", None)
            parts[name] = (service_client(url.rstrip("/"), tokens=ctx.tokens_for(name),
                                          timeout_seconds=settings.registerutdrag_timeout_seconds)
                           if url else None)
        relay = workers.outbox_relay(ctx, settings, messaging)
        jobs = workers.job_relay(ctx, settings)
        gallring = workers.retention_job(ctx, settings, clock)
        ctx.runtime = Runtime(settings=settings, clock=clock, sessions=ctx.sessions, relay=relay,
                              registers=Registers(registers, ttl_seconds=settings.protection_cache_seconds,
                                                  clock=protection_clock, poster=protection_poster),
                              calculation=calc, calculation_poster=calc_poster, jobs=jobs,
                              subject_access=parts, pdf_font=settings.pdf_font(), retention=gallring)
        ctx.representations = LocalRepresentations(ctx.runtime)
        workers.start(ctx, settings, relay, messaging, jobs, gallring)
        try:
            yield
        finally:
            for client in (calc, calc_poster, messaging, registers, protection_poster, *parts.values()):
                if client is not None:
                    await client.aclose()

    return hook


def create_app(settings: ApplicationsSettings | None = None, *, clock: Clock | None = None,
               registers_tokens: TokenSource | None = None,
               registers_transport: httpx.AsyncBaseTransport | None = None,
               protection_clock: Callable[[], float] = time.monotonic, **kwargs: Any) -> FastAPI:
    """``clock``: tests pass a fixed or stepping time. ``registers_tokens``: where the service tokens for the registers
    come from (default: the kit's client-credentials provider); ``registers_transport``: tests may route the calls;
    ``protection_clock``: what ages the reused protection answers (monotonic seconds; tests step their own)."""
    settings = settings or ApplicationsSettings()
    app = create_service_app(
        name="applications",
        title="Bistånd applications",
        description="First and monthly applications, attachments, signing, the case from intake to decision.",
        settings=settings,
        routers=[applications.router, documents.router, lifecycle.router, me.router, queue.router, proposals.router,
                 admin.router, figures.router, registerutdrag.router, representations.router, letters.router,
                 appeals.router],
        hooks=[_hook(settings, clock or utcnow, registers_tokens, registers_transport, protection_clock)],
        domain_errors=DomainError,
        **kwargs,
    )
    use_catalogs(app, CATALOGS)  # problems a client sees, in the language they ask for (Accept-Language)
    return app
