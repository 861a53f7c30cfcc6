"""The registers service: look-ups in the national registers on other services' behalf, each one audited."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI

from kit.app import ServiceContext, create_service_app
from kit.auth import TokenVerifier
from kit.clock import Clock, utcnow
from services.registers.api import audit, internal, subject_access
from services.registers.domain.cache import ProtectionCache
from services.registers.integration.build import build_sources
from services.registers.integration.sources import Connection, Sources
from services.registers.service.observe import Observed
from services.registers.service.runtime import Runtime
from services.registers.settings import RegistersSettings
from values.errors import DomainError

SourcesFactory = Callable[[Connection], Sources]


def _hook(settings: RegistersSettings, clock: Clock, sources: Sources | None, factory: SourcesFactory) -> Any:
    @contextlib.asynccontextmanager
    async def hook(app: FastAPI, ctx: ServiceContext) -> AsyncIterator[None]:
        # Given sources belong to the caller (tests); those made here are closed here.
        own = sources is None
        adapters = factory(settings.connection()) if sources is None else sources
        assert ctx.sealer is not None  # set by the kit before any hook runs
        cache = ProtectionCache(dt.timedelta(seconds=settings.protection_cache_seconds),
                                settings.protection_cache_size)
        ctx.runtime = Runtime(settings=settings, clock=clock, sources=adapters, sealer=ctx.sealer, protection=cache,
                              observed=Observed(ctx.metrics.registry))
        try:
            yield
        finally:
            if own:
                await adapters.aclose()

    return hook


def create_app(settings: RegistersSettings | None = None, *, sources: Sources | None = None,
               sources_factory: SourcesFactory = build_sources, clock: Clock | None = None,
               verifier: TokenVerifier | None = None, **kwargs: Any) -> FastAPI:
    """``sources``: the register adapters to use (tests pass fakes); else ``sources_factory`` makes them from the
    settings' connection at start-up. ``clock``: tests pass a stepping one (look-up times, the protection cache)."""
    settings = settings or RegistersSettings()
    return create_service_app(
        name="registers",
        title="Bistånd registers",
        description="Look-ups in the national registers (incomes, population, protected identity), each audited.",
        settings=settings,
        routers=[internal.router, audit.router, subject_access.router],
        hooks=[_hook(settings, clock or utcnow, sources, sources_factory)],
        verifier=verifier,
        domain_errors=DomainError,
        **kwargs,
    )
