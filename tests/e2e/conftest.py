"""The whole system as separate processes, wired as `make run` wires it, on fresh databases."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
import zoneinfo
from collections.abc import Iterator
from pathlib import Path

from devstack.stack import SERVICES, Ports, Stack, free_ports, prepare_databases
from kit.db import drop_database
from tests.support import server_url


@contextlib.contextmanager
def running_stack(prefix: str, extra_env: dict[str, str] | None = None,
                  log_dir: Path | None = None, replicas: int = 1) -> Iterator[Stack]:
    suffix = uuid.uuid4().hex[:8]
    names = {s: f"t_{prefix}_{s}_{suffix}" for s in SERVICES}
    database_urls = asyncio.run(prepare_databases(server_url(), names))
    chosen = free_ports(len(Ports.__dataclass_fields__) + (replicas - 1) * len(SERVICES))
    ports, rest = Ports(*chosen[:len(Ports.__dataclass_fields__)]), iter(chosen[len(Ports.__dataclass_fields__):])
    extra = {s: [next(rest) for _ in range(replicas - 1)] for s in SERVICES}
    running = Stack(database_urls, ports, extra_env=extra_env or {}, log_dir=log_dir, extra_replicas=extra)
    try:
        running.start()
        running.wait_ready()
        yield running
    finally:
        running.stop()

        async def drop() -> None:
            for name in names.values():
                await drop_database(server_url(), name)

        asyncio.run(drop())


def this_month() -> str:
    """The month a client applies for today (the services bound periods to a window around their clock)."""
    return dt.datetime.now(zoneinfo.ZoneInfo("Europe/Stockholm")).strftime("%Y-%m")
