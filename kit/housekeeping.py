"""Housekeeping every service runs: the kit's tables keep nothing longer than they need to.

Idempotency rows are purged once their retry window has passed (a retry after that does the work again,
which is why the window is longer than any client's retry policy), and delivered outbox rows after a short
retention (kept a little for diagnosis). Both are sealed while they live (kit.sealing); purging bounds how
much a stolen key could open. Safe with many replicas: each pass is one DELETE per table.

A service adds its own short-lived rows to the same pass with ``add`` (messaging: notifications already sent),
instead of running a loop of its own; the long periods of records people are in are kit.retention's.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.clock import Clock, utcnow

log = logging.getLogger("kit.housekeeping")

ShortPurge = Callable[[AsyncSession, dt.datetime], Awaitable[int]]
"""(session, now) -> rows purged; the session's transaction is open, the pass commits."""


class Housekeeping:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, idempotency_window: dt.timedelta,
                 outbox_retention: dt.timedelta, every_seconds: float = 600.0, clock: Clock = utcnow) -> None:
        self.sessions = sessions
        self.idempotency_window = idempotency_window
        self.outbox_retention = outbox_retention
        self.every_seconds = every_seconds
        self.clock = clock  # the rows' times are the database's (now()); tests inject a later one
        self.purges: dict[str, ShortPurge] = {"idempotency_keys": self._idempotency_keys, "outbox": self._outbox}

    def add(self, name: str, purge: ShortPurge) -> None:
        """Purge a service's own short-lived rows in the same pass (``name`` is what the log counts them as)."""
        if name in self.purges:
            raise ValueError(f"housekeeping already purges {name}")
        self.purges[name] = purge

    async def run_pass(self) -> dict[str, int]:
        """One pass: rows purged per table (the kit's and those added)."""
        now = self.clock()
        counts: dict[str, int] = {}
        # A copy: a service may add its purge while a pass that started with the process is under way.
        for name, purge in list(self.purges.items()):  # each its own transaction: one failing keeps none from the rest
            async with self.sessions() as session, session.begin():
                counts[name] = await purge(session, now)
        if any(counts.values()):
            log.info("purged", extra=counts)
        return counts

    async def run_once(self) -> tuple[int, int]:
        """One pass. Returns (idempotency rows, outbox rows) purged."""
        counts = await self.run_pass()
        return counts["idempotency_keys"], counts["outbox"]

    async def _idempotency_keys(self, session: AsyncSession, now: dt.datetime) -> int:
        result = await session.execute(text("DELETE FROM idempotency_keys WHERE created_at < :t"),
                                       {"t": now - self.idempotency_window})
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def _outbox(self, session: AsyncSession, now: dt.datetime) -> int:
        result = await session.execute(text("DELETE FROM outbox WHERE delivered_at < :t"),
                                       {"t": now - self.outbox_retention})
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("housekeeping pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.every_seconds)
