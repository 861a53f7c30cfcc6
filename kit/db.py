"""Async SQLAlchemy engine on asyncpg, sessions, and creating/dropping databases."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator

import asyncpg
from fastapi import Request
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.settings import KitSettings


def async_url(url: str) -> str:
    """Any postgres URL as an asyncpg SQLAlchemy URL."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def plain_url(url: str) -> str:
    """The URL asyncpg itself takes (no SQLAlchemy driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def make_engine(url: str, settings: KitSettings | None = None) -> AsyncEngine:
    settings = settings or KitSettings()
    return create_async_engine(
        async_url(url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_recycle=1800,
        # Statement parameters are personnummer, names and notes: never in an error message or a log line.
        hide_parameters=True,
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under the session, inside the session's transaction (so what is done on it commits
    or rolls back with everything else). For a service's hottest statements only: there SQLAlchemy's
    per-statement work (compiling, caching, result wrapping) can cost more CPU than the query itself."""
    # The session keeps one connection for its transaction: found once per transaction (asking SQLAlchemy for it
    # again costs a greenlet switch and its connection bookkeeping, several times per request).
    # The transaction is remembered by a weak reference: the session's info holding the transaction, which holds
    # the session, was a reference cycle that left every request's session, transaction and connection objects
    # (40 of them) to the garbage collector instead of being freed when the request ended.
    transaction = session.sync_session.get_transaction()
    cached = session.info.get(_DRIVER)
    if (cached is not None and transaction is not None and cached[0]() is transaction
            and cached[1].is_in_transaction()):
        return cached[1]  # type: ignore[no-any-return]
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    if not driver.is_in_transaction():
        # Open the transaction SQLAlchemy will commit, as its own first execute would: BEGIN and nothing else.
        # (Its asyncpg adapter begins lazily; without that hook, a throwaway statement does it.)
        start = getattr(raw.dbapi_connection, "_start_transaction", None)
        if start is not None:
            await start()
        else:
            await session.execute(text("SELECT 1"))
    begun = session.sync_session.get_transaction()
    if begun is not None:  # (always, after session.connection(); without one there is nothing to remember)
        session.info[_DRIVER] = (weakref.ref(begun), driver)
    return driver


_DRIVER = "kit.db.driver"


def pool_status(engine: AsyncEngine) -> dict[str, int]:
    pool = engine.pool
    return {
        "size": pool.size(),  # type: ignore[attr-defined]
        "checked_out": pool.checkedout(),  # type: ignore[attr-defined]
        "idle": pool.checkedin(),  # type: ignore[attr-defined]
        "overflow": max(pool.overflow(), 0),  # type: ignore[attr-defined]
    }


async def session(request: Request) -> AsyncIterator[AsyncSession]:
    """FastAPI dependency: one session per request; the route commits what it means to keep."""
    async with request.app.state.kit.sessions() as s:
        yield s


async def create_database(server_url: str, name: str) -> bool:
    """Create a database if it is missing. True when it was created."""
    conn = await asyncpg.connect(plain_url(make_url(server_url).set(database="postgres")
                                           .render_as_string(hide_password=False)))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        await conn.execute(f'CREATE DATABASE "{_ident(name)}"')
        return True
    finally:
        await conn.close()


async def drop_database(server_url: str, name: str) -> None:
    conn = await asyncpg.connect(plain_url(make_url(server_url).set(database="postgres")
                                           .render_as_string(hide_password=False)))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{_ident(name)}" WITH (FORCE)')
    finally:
        await conn.close()


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unsafe database name {name!r}")
    return name
