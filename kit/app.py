"""The app factory every service uses: the same skeleton, errors, health and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import migrations, tracing
from kit.auth import TokenVerifier
from kit.db import make_engine, make_sessionmaker, pool_status
from kit.health import identity_router
from kit.health import router as health_router
from kit.http import ServiceTokenProvider
from kit.logs import configure_logging
from kit.metrics import Metrics
from kit.middleware import BodyLimitMiddleware, RequestContextMiddleware
from kit.problems import install_problem_handlers
from kit.settings import KitSettings


@dataclass
class ServiceContext:
    """What a request handler may reach through ``request.app.state.kit``."""

    name: str
    settings: KitSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    verifier: TokenVerifier
    metrics: Metrics
    expected_heads: set[str]
    service_tokens: ServiceTokenProvider | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    background: list[asyncio.Task[Any]] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    def spawn(self, coro: Awaitable[Any], name: str) -> None:
        self.background.append(asyncio.ensure_future(coro))
        self.background[-1].set_name(name)


class ServiceApp(FastAPI):
    """FastAPI with the request-context middleware outermost, so that even the 500 answer
    from Starlette's error middleware carries the request id and is counted."""

    kit_metrics: Metrics | None = None

    def build_middleware_stack(self):  # type: ignore[no-untyped-def]
        return RequestContextMiddleware(super().build_middleware_stack(), metrics=self.kit_metrics)


Hook = Callable[[FastAPI, ServiceContext], contextlib.AbstractAsyncContextManager[None]]


def create_service_app(
    *,
    name: str,
    title: str,
    description: str,
    settings: KitSettings,
    routers: Sequence[APIRouter],
    hooks: Sequence[Hook] = (),
    verifier: TokenVerifier | None = None,
    version: str = "0.1.0",
) -> FastAPI:
    metrics = Metrics(name)
    tracing.setup(name)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(name, settings.log_level)
        engine = make_engine(settings.resolved_database_url(), settings)
        metrics.add_pool_gauges(lambda: pool_status(engine))
        tokens = None
        if settings.service_client_id and settings.service_client_secret:
            tokens = ServiceTokenProvider(settings.token_url, settings.service_client_id,
                                          settings.service_client_secret)
        ctx = ServiceContext(
            name=name,
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            verifier=verifier or TokenVerifier(
                issuer=settings.auth_issuer, audience=settings.auth_audience,
                jwks_url=settings.jwks_url, leeway_seconds=settings.auth_leeway_seconds),
            metrics=metrics,
            expected_heads=migrations.heads(name),
            service_tokens=tokens,
        )
        app.state.kit = ctx
        async with contextlib.AsyncExitStack() as stack:
            for hook in hooks:
                await stack.enter_async_context(hook(app, ctx))
            # What start-up made (modules, routes, norm tables, schemas) lives as long as the process: moved out
            # of the collector's reach, so its full collections stay short and do not stretch request latency.
            gc.collect()
            gc.freeze()
            try:
                yield
            finally:
                # Graceful: uvicorn has stopped taking requests and drained them; now stop
                # background loops between iterations, then close the pool.
                ctx.stop.set()
                for task in ctx.background:
                    task.cancel()
                await asyncio.gather(*ctx.background, return_exceptions=True)
        await engine.dispose()

    app = ServiceApp(title=title, description=description, version=version, lifespan=lifespan)
    app.kit_metrics = metrics
    install_problem_handlers(app)
    app.include_router(health_router)
    app.include_router(identity_router)
    for router in routers:
        app.include_router(router)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    tracing.instrument_app(app)
    return app
