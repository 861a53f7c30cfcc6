"""Bring the system up as separate processes for a benchmark, and down again afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from devstack import embedded
from devstack.stack import ROOT, SERVICES, Ports, Stack, free_ports, prepare_databases, url
from kit.db import drop_database

# Benchmarks measure the path, not the limits: the gateway's rate limits are lifted.
NO_LIMITS = {
    "GATEWAY_RATE_PER_IP_PER_SECOND": "1000000", "GATEWAY_RATE_PER_IP_BURST": "1000000",
    "GATEWAY_RATE_PER_CLIENT_PER_SECOND": "1000000", "GATEWAY_RATE_PER_CLIENT_BURST": "1000000",
    "GATEWAY_RATE_PUBLIC_PER_MINUTE": "100000000", "GATEWAY_RATE_PUBLIC_BURST": "1000000",
    "BISTAND_LOG_LEVEL": "WARNING",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running(services: tuple[str, ...] = SERVICES, extra_env: dict[str, str] | None = None,
            replicas: int = 1) -> Iterator[tuple[Stack, Callable[[str], str]]]:
    """The stack on loopback, on free ports and fresh databases; ``replicas`` processes of each service in
    ``services`` (the gateway takes turns between them, as with BISTAND_REPLICAS)."""
    pgdata = None
    server = os.environ.get("DATABASE_URL")
    if not server:
        pgdata = ROOT / ".data" / f"bench-postgres-{uuid.uuid4().hex[:6]}"
        server = embedded.start(pgdata, durable=False)
    suffix = uuid.uuid4().hex[:6]
    names = {s: f"bench_{s}_{suffix}" for s in SERVICES}
    database_urls = asyncio.run(prepare_databases(server, names))
    chosen = free_ports(len(Ports.__dataclass_fields__) + (replicas - 1) * len(services))
    ports, rest = Ports(*chosen[:len(Ports.__dataclass_fields__)]), iter(chosen[len(Ports.__dataclass_fields__):])
    extra = {s: [next(rest) for _ in range(replicas - 1)] for s in services}
    stack = Stack(database_urls, ports, extra_env={**NO_LIMITS, **(extra_env or {})},
                  log_dir=ROOT / ".data" / "bench-logs", extra_replicas=extra)
    try:
        simulators = ("registers-sim",) if "registers" in services else ()
        stack.start(only=("idp", "sms", "gateway", *simulators, *services,
                          *(f"{s}-{n}" for s in services for n in range(2, replicas + 1))))
        stack.wait_ready()

        def token(persona: str) -> str:
            return httpx.get(f"{url(ports.idp)}/dev/token", params={"persona": persona}).text

        yield stack, token
    finally:
        stack.stop()

        async def drop() -> None:
            for name in names.values():
                await drop_database(server, name)

        asyncio.run(drop())
        if pgdata is not None:
            embedded.stop(Path(pgdata))
            shutil.rmtree(pgdata, ignore_errors=True)
