"""The retention job: runs a service's gallring rules (kit.retention) in batches and logs counts only.

A store function takes the session, the rule, the rule's cutoff (now minus the period), now, and a batch size; it
claims due rows with ``FOR UPDATE SKIP LOCKED`` (two replicas never act on the same row), acts on them and returns
how many. Each batch is its own transaction: a crash loses at most one batch's work, never half of one.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.clock import Clock, utcnow
from kit.retention import Rule

log = logging.getLogger("kit.retention")

Purge = Callable[[AsyncSession, Rule, dt.datetime, dt.datetime, int], Awaitable[int]]
"""(session, rule, cutoff, now, batch size) -> rows acted on in this batch (the session's transaction is open;
the job commits)."""


class RetentionJob:
    """Runs every rule of one service: batch after batch until a batch finds nothing, each in its own
    transaction (a crash loses at most one batch's work, never half of one). Counts are logged per record type."""

    def __init__(self, name: str, sessions: async_sessionmaker[AsyncSession], rules: Iterable[Rule],
                 purges: Mapping[str, Purge], *, clock: Clock = utcnow, batch_size: int = 200,
                 every_seconds: float = 6 * 3600.0, max_batches: int = 10_000) -> None:
        self.name = name
        self.sessions = sessions
        self.rules = tuple(rules)
        missing = {r.record for r in self.rules} - set(purges)
        if missing:
            raise ValueError(f"retention: no store function for {sorted(missing)}")
        self.purges = purges
        self.clock = clock
        self.batch_size = batch_size
        self.every_seconds = every_seconds
        self.max_batches = max_batches  # a bound on one pass, whatever a store function answers

    async def run_once(self) -> dict[str, int]:
        """One pass over every rule. Returns how many rows each record type's action took (``{"cases": 3}``)."""
        now = self.clock()
        counts: dict[str, int] = {}
        for r in self.rules:
            cutoff = r.cutoff(now)
            total, batches = 0, 1
            while True:
                async with self.sessions() as session, session.begin():
                    done = await self.purges[r.record](session, r, cutoff, now, self.batch_size)
                total += done
                # Until a batch finds nothing: a short batch may only mean another replica holds the rest.
                if done == 0 or batches >= self.max_batches:
                    break
                batches += 1
            counts[r.record] = total
        log.info("retention pass", extra={"service": self.name, "counts": counts,
                                          "actions": {r.record: str(r.action) for r in self.rules}})
        return counts

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception as exc:
                # The exception's type only: a database error's message can quote a row's values.
                log.error("retention pass failed", extra={"service": self.name, "error": type(exc).__name__})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.every_seconds)
