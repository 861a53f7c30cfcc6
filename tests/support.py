"""Test helpers: fresh databases, in-process apps, real servers in threads."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import ssl
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import uvicorn

from kit import migrations
from kit.auth import TokenVerifier
from kit.db import create_database, drop_database
from kit.settings import database_url_for
from simulators.idp.app import IdpSettings, Issuer
from simulators.idp.personas import PERSONAS

ISSUER = "http://idp.test"
AUDIENCE = "bistand"


def server_url() -> str:
    return os.environ["DATABASE_URL"]


@contextlib.asynccontextmanager
async def fresh_database(service: str, *, migrate: bool = True) -> AsyncIterator[str]:
    """A uniquely named database on the test server, migrated to head, dropped afterwards."""
    name = f"t_{service}_{uuid.uuid4().hex[:10]}"
    server = server_url()
    await create_database(server, name)
    url = database_url_for(server, name)
    try:
        if migrate:
            await migrations.upgrade_async(service, url)
        yield url
    finally:
        await drop_database(server, name)


def make_issuer() -> Issuer:
    return Issuer(IdpSettings(issuer=ISSUER, audience=AUDIENCE))


def verifier_for(issuer: Issuer, service: str | None = None, **kwargs: Any) -> TokenVerifier:
    """A verifier on ``issuer``'s keys. Given to a service app, it takes that service's tokens too (kit.app);
    ``service`` says which service's tokens it takes on its own."""
    async def fetch() -> dict[str, Any]:
        return issuer.keys.jwks()

    return TokenVerifier(issuer=ISSUER, audience=AUDIENCE, fetch_jwks=fetch,
                         service_audience=f"{AUDIENCE}:{service}" if service else None, **kwargs)


def token_for(issuer: Issuer, persona: str) -> str:
    return issuer.persona_token(PERSONAS[persona])


def auth(issuer: Issuer, persona: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(issuer, persona)}"}


@contextlib.asynccontextmanager
async def app_client(app: Any, base_url: str = "http://service") -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client with the app's lifespan run around it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_in_thread(app: Any, *, lifespan: str = "on", ssl_certfile: str | None = None,
                    ssl_keyfile: str | None = None, ssl_ca_certs: str | None = None,
                    ssl_cert_reqs: int = ssl.CERT_NONE) -> Iterator[str]:
    """A real uvicorn server for ``app`` on a free port, in a thread with its own loop. With ``ssl_certfile`` it
    speaks HTTPS (the URL says so); ``ssl_cert_reqs=ssl.CERT_REQUIRED`` with ``ssl_ca_certs`` asks for mutual TLS."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan=lifespan,
                            log_level="warning", access_log=False, proxy_headers=False,
                            ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile, ssl_ca_certs=ssl_ca_certs,
                            ssl_cert_reqs=ssl_cert_reqs)
    started = threading.Event()

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            started.set()

    server = Server(config)

    def run() -> None:
        asyncio.run(server.serve())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    if not started.wait(15):
        raise RuntimeError("server did not start")
    try:
        yield f"{'https' if ssl_certfile else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


@contextlib.contextmanager
def seeding_setup(issuer: Issuer, service: str, app: Any) -> Iterator[tuple[str, str, str]]:
    """What a demo seed talks to: the dev IdP, ``app`` served for ``service`` and a gateway in front of it (the
    other services' addresses closed). Yields (gateway URL, IdP URL, service URL)."""
    from gateway.app import Gateway
    from gateway.settings import GatewaySettings
    from simulators.idp.app import create_app as create_idp

    closed = f"http://127.0.0.1:{free_port()}"
    with serve_in_thread(create_idp(IdpSettings(issuer=ISSUER, audience=AUDIENCE), issuer)) as idp, \
            serve_in_thread(app) as served:
        urls = {f"{name}_url": served if name == service else closed
                for name in ("applications", "calculation", "messaging", "meetings", "registers")}
        settings = GatewaySettings(auth_issuer=ISSUER, auth_audience=AUDIENCE, **urls)
        with serve_in_thread(Gateway(settings, verifier_for(issuer))) as gateway:
            yield gateway, idp, served


async def outbox_rows(db_url: str, service: str, settings: Any = None) -> list[Any]:
    """The outbox as its relay sees it: (id, topic, payload, ...) with the payloads opened by the service's
    sealer (its settings' key ring; the development one by default). In the database they are sealed."""
    import importlib

    from sqlalchemy import text

    from kit.db import make_engine
    from kit.outbox import opened
    from kit.sealing import Sealer
    from kit.tables import OutboxMessage

    if settings is None:
        module = importlib.import_module(f"services.{service}.settings")
        cls = next(v for k, v in vars(module).items() if k.endswith("Settings") and k != "KitSettings")
        settings = cls(database_url=db_url)
    sealer = Sealer(settings.sealing_keyring(), service)
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT * FROM outbox ORDER BY created_at, topic"))).mappings().all()
    finally:
        await engine.dispose()
    return [opened(sealer, OutboxMessage(**row)) for row in rows]
