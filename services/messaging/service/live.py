"""Live updates: PostgreSQL LISTEN/NOTIFY in, Server-Sent Events out, one fan-out per replica.

Whatever replica commits a change NOTIFYs (inside its transaction, so only committed work is heard).
Every replica LISTENs on one dedicated connection and hands each event to its own open streams whose
caller may see the thread (the same access rule as the API, on facts read fresh from the database).
Events carry ids only; the client fetches what it may read through the API.

A slow stream's queue is bounded: when it fills, the queue is replaced by one "resync" event, which tells
the client to refetch. After the listening connection is lost and comes back, every stream gets "resync"
too, since events may have been missed in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import orjson
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from services.messaging.domain.access import Party, can_read
from services.messaging.store import threads as threads_store
from services.messaging.store.live import NOTIFY_CHANNEL

log = logging.getLogger("messaging.live")

RESYNC: dict[str, Any] = {"type": "resync"}


@dataclass(eq=False)
class Subscriber:
    party: Party
    opened: float = 0.0
    queue: asyncio.Queue[dict[str, Any] | None] = field(default_factory=lambda: asyncio.Queue(256))

    def offer(self, event: dict[str, Any] | None) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            # Too slow to keep up: drop what is queued, tell the client to refetch (or to stop).
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RESYNC if event is not None else None)


class Hub:
    def __init__(self, dsn: str, sessions: async_sessionmaker[AsyncSession], *, max_per_user: int) -> None:
        self.dsn = dsn
        self.sessions = sessions
        self.max_per_user = max_per_user
        self.subscribers: set[Subscriber] = set()
        self._incoming: asyncio.Queue[str] = asyncio.Queue()
        self._conn: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self.listening = asyncio.Event()

    # -- subscriptions ---------------------------------------------------------------------------------------
    def subscribe(self, party: Party) -> Subscriber:
        """A new stream for this caller. At the cap, the caller's oldest stream is ended (told to reconnect)
        rather than the new one refused: an old one is most likely a tab or proxy connection long gone."""
        mine = [s for s in self.subscribers if s.party.sub == party.sub]
        while len(mine) >= self.max_per_user:
            oldest = min(mine, key=lambda s: s.opened)
            oldest.offer(None)
            self.unsubscribe(oldest)
            mine.remove(oldest)
        subscriber = Subscriber(party, opened=time.monotonic())
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    # -- listening -------------------------------------------------------------------------------------------
    async def connect(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        self._lost.clear()
        conn.add_termination_listener(lambda _c: self._lost.set())
        await conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
        self._conn = conn
        self.listening.set()

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self._incoming.put_nowait(payload)  # in order; one dispatcher keeps it that way

    async def run(self, stop: asyncio.Event) -> None:
        """Keep listening (reconnecting with backoff) and dispatching until stop."""
        dispatcher = asyncio.ensure_future(self._dispatch_forever())
        backoff = 0.5
        try:
            while not stop.is_set():
                if self._conn is None or self._conn.is_closed():
                    try:
                        await self.connect()
                    except (OSError, asyncpg.PostgresError) as exc:
                        log.warning("listen connection failed", extra={"error": type(exc).__name__})
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(stop.wait(), backoff)
                        backoff = min(backoff * 2, 10.0)
                        continue
                    backoff = 0.5
                    self._broadcast(RESYNC)  # we may have missed events while away
                waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._lost.wait())]
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()
                if self._lost.is_set():
                    log.warning("listen connection lost; reconnecting")
                    self.listening.clear()
                    self._conn = None
        finally:
            dispatcher.cancel()
            await self.close()

    async def close(self) -> None:
        self._broadcast(None)  # ends every open stream
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)

    async def _dispatch_forever(self) -> None:
        while True:
            payload = await self._incoming.get()
            try:
                await self.dispatch(orjson.loads(payload))
            except Exception:
                log.exception("live event dispatch failed")

    async def dispatch(self, event: dict[str, Any]) -> int:
        """Hand an event to the local streams that may see its thread. Returns how many got it."""
        if not self.subscribers:
            return 0
        thread_id = event.get("thread_id")
        if thread_id is None:
            return 0
        async with self.sessions() as session:
            facts = await threads_store.thread_facts(session, uuid.UUID(str(thread_id)))
        if facts is None:
            return 0
        count = 0
        for subscriber in list(self.subscribers):
            if can_read(subscriber.party, facts):
                subscriber.offer(event)
                count += 1
        return count

    def _broadcast(self, event: dict[str, Any] | None) -> None:
        for subscriber in list(self.subscribers):
            subscriber.offer(event)


def sse(event: dict[str, Any]) -> bytes:
    kind = event.get("type", "message")
    data = {k: v for k, v in event.items() if k != "type"}
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(data, default=str) + b"\n\n"


async def event_stream(hub: Hub, subscriber: Subscriber, *, heartbeat_seconds: float,
                       until: float) -> AsyncIterator[bytes]:
    """The body of one stream: a hello, events, heartbeat comments (so proxies keep it open), and an end at
    ``until`` (monotonic; at the latest when the token expires) with a "reconnect" event."""
    try:
        yield b"retry: 3000\n: connected\n\n"
        while True:
            remaining = until - time.monotonic()
            if remaining <= 0:
                yield b"event: reconnect\ndata: {}\n\n"
                return
            try:
                event = await asyncio.wait_for(subscriber.queue.get(), min(heartbeat_seconds, remaining))
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if event is None:
                yield b"event: reconnect\ndata: {}\n\n"
                return
            yield sse(event)
    finally:
        hub.unsubscribe(subscriber)
