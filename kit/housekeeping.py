"""Housekeeping every service runs: the kit's tables keep nothing longer than they need to.

Idempotency rows are purged once their retry window has passed (a retry after that does the work again,
which is why the window is longer than any client's retry policy), and delivered outbox rows after a short
retention (kept a little for diagnosis). Both are sealed while they live (kit.sealing); purging bounds how
much a stolen key could open. Safe with many replicas: each pass is one DELETE per table.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.clock import Clock, utcnow

log = logging.getLogger("kit.housekeeping")





class Housekeeping:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, idempotency_window: dt.timedelta,
                 outbox_retention: dt.timedelta, every_seconds: float = 600.0, clock: Clock = utcnow) -> None:
        self.sessions = sessions
        self.idempotency_window = idempotency_window
        self.outbox_retention = outbox_retention
        self.every_seconds = every_seconds
        self.clock = clock  # the rows' times are the database's (now()); tests inject a later one

    async def run_once(self) -> tuple[int, int]:
        """One pass. Returns (idempotency rows, outbox rows) purged."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            keys = await session.execute(text("DELETE FROM idempotency_keys WHERE created_at < :t"),
                                         {"t": now - self.idempotency_window})
            sent = await session.execute(text("DELETE FROM outbox WHERE delivered_at < :t"),
                                         {"t": now - self.outbox_retention})
        purged = (keys.rowcount, sent.rowcount)  # type: ignore[attr-defined]
        if any(purged):
            log.info("purged", extra={"idempotency_keys": purged[0], "outbox": purged[1]})
        return purged

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("housekeeping pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.every_seconds)
