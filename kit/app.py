"""The app factory every service uses: the same skeleton, errors, health and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import collector, migrations, tracing
from kit.auth import TokenVerifier, authenticate
from kit.db import make_engine, make_sessionmaker, pool_status
from kit.health import identity_router
from kit.health import router as health_router
from kit.housekeeping import Housekeeping
from kit.http import AudienceTokens, ServiceTokenProvider
from kit.logs import configure_logging
from kit.metrics import Metrics
from kit.middleware import BodyLimitMiddleware, RequestContextMiddleware
from kit.problems import document_problems, domain_problem, install_problem_handlers
from kit.sealing import Sealer, bind
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
    sealer: Sealer | None = None
    housekeeping: Housekeeping | None = None
    # The service's own typed runtime (its clock, relay, clients...), set by its start-up hook and read through
    # a typed accessor in its api/deps.py.
    runtime: Any = None
    # Who may act for whom (kit.representation.Representations), set by the start-up hook of a service whose
    # client routes take representatives; None: every representative is refused (403).
    representations: Any = None

    def tokens_for(self, service: str) -> AudienceTokens | None:
        """Service tokens for calls to ``service`` (None without client credentials)."""
        if self.service_tokens is None:
            return None
        return self.service_tokens.for_audience(self.settings.service_audience(service))

    def spawn(self, coro: Awaitable[Any], name: str) -> None:
        self.background.append(asyncio.ensure_future(coro))
        self.background[-1].set_name(name)


class ServiceApp(FastAPI):
    """FastAPI with the request-context middleware outermost, so that even the 500 answer
    from Starlette's error middleware carries the request id and is counted."""

    kit_metrics: Metrics | None = None
    kit_routers: Sequence[APIRouter] = ()

    def build_middleware_stack(self):  # type: ignore[no-untyped-def]
        return RequestContextMiddleware(super().build_middleware_stack(), metrics=self.kit_metrics)

    def openapi(self) -> dict[str, Any]:
        """FastAPI's document with every operation's problem answers (kit.problems.document_problems)."""
        if self.openapi_schema is None:
            self.openapi_schema = document_problems(super().openapi(), _authenticated_operations(self))
        return self.openapi_schema


def _authenticated_operations(app: ServiceApp) -> set[tuple[str, str]]:
    """(method, path) of the routes that depend, at any depth, on a dependency of kit.auth (authenticate,
    require_roles(...)): they check a token. Read from the routers (included without a prefix) rather than
    app.routes, whose shape differs between FastAPI versions."""

    def checks_token(dependant: Any) -> bool:
        return any(getattr(d.call, "__module__", None) == authenticate.__module__ or checks_token(d)
                   for d in dependant.dependencies)

    return {(method.lower(), route.path) for router in app.kit_routers for route in router.routes
            if isinstance(route, APIRoute) and checks_token(route.dependant) for method in route.methods}


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
    domain_errors: type[Exception] | None = None,
) -> FastAPI:
    """``domain_errors``: the service's broken-rule exception, answered by kit.problems.domain_problem."""
    settings.check_production()  # a missing or development secret in production stops the start, here
    sealer = Sealer(settings.sealing_keyring(), name)  # and so does a malformed key ring
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
            verifier=_own_verifier(verifier, settings),
            metrics=metrics,
            expected_heads=migrations.heads(name),
            service_tokens=tokens,
        )
        bind(ctx.sessions, sealer)
        housekeeping = Housekeeping(
            ctx.sessions, idempotency_window=dt.timedelta(hours=settings.idempotency_window_hours),
            outbox_retention=dt.timedelta(hours=settings.outbox_retention_hours),
            every_seconds=settings.housekeeping_interval_seconds)
        ctx.sealer, ctx.housekeeping = sealer, housekeeping
        if settings.housekeeping_enabled:
            ctx.spawn(housekeeping.run_forever(ctx.stop), f"{name}-housekeeping")
        app.state.kit = ctx
        async with contextlib.AsyncExitStack() as stack:
            for hook in hooks:
                await stack.enter_async_context(hook(app, ctx))
            # The OpenAPI document is built now, before the service says ready, not by the first caller: a large
            # service takes seconds on a busy CPU, longer than the gateway waits when it merges the documents.
            app.openapi()
            collector.settle(settings.gc_threshold)  # start-up's objects out of the collector's reach
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

    # (No default_response_class: FastAPI serializes a route's response model in pydantic's core only with its own.)
    app = ServiceApp(title=title, description=description, version=version, lifespan=lifespan)
    app.kit_metrics = metrics
    install_problem_handlers(app)
    if domain_errors is not None:
        app.add_exception_handler(domain_errors, domain_problem)
    app.kit_routers = [health_router, identity_router, *routers]
    for router in app.kit_routers:
        # The routes themselves, not include_router: FastAPI now wraps an included router in a branch that every
        # request walks (and re-walks to dispatch), about 8 % of a submit's instructions. The routers carry no
        # prefix or dependencies of their own (only tags, which their routes already hold), so the app, its
        # OpenAPI document included, is the same.
        if router.prefix or router.dependencies or router.responses or router.callbacks:
            raise ValueError(f"router {router.tags}: a prefix, dependencies, responses or callbacks would be lost")
        app.router.routes.extend(router.routes)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    tracing.instrument_app(app)
    return app


def _own_verifier(given: TokenVerifier | None, settings: KitSettings) -> TokenVerifier:
    """Persons' tokens with the common audience; service tokens only with this service's own audience."""
    own = settings.service_audience()
    if given is None:
        return TokenVerifier(issuer=settings.auth_issuer, audience=settings.auth_audience, service_audience=own,
                             jwks_url=settings.jwks_url, leeway_seconds=settings.auth_leeway_seconds)
    return given if given.service_audience is not None else given.for_service(own)
