"""Rate limits shared by replicas: two real gateway processes and a real Redis server allow the configured
burst between them, not twice it; without Redis each counts for itself (the embedded default)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
BURST = 4


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A redis-server of this test's own on a free port (nothing kept on disk); else REDIS_URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        if not os.environ.get("REDIS_URL"):
            pytest.skip("no redis-server and no REDIS_URL")
        yield os.environ["REDIS_URL"]
        return
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",  # noqa: S603
                                "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: _redis_answers(port))
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def _redis_answers(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _wait(ready, timeout: float = 60.0) -> None:
    # Generous: a gateway starting on two cores busy with the rest of the suite took 11-15 s (the wait ends as
    # soon as it answers).
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError("did not come up")
        time.sleep(0.05)  # waiting for another process to start, not for time to pass


@contextlib.contextmanager
def gateways(redis_url: str | None, count: int = 2) -> Iterator[list[str]]:
    env = {**os.environ, "GATEWAY_RATE_PUBLIC_BURST": str(BURST), "GATEWAY_RATE_PUBLIC_PER_MINUTE": "0.01",
           "GATEWAY_CALCULATION_URL": f"http://127.0.0.1:{free_port()}", "BISTAND_LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    if redis_url:
        env["GATEWAY_REDIS_URL"] = redis_url
        env["GATEWAY_REDIS_PREFIX"] = f"test:{uuid.uuid4().hex}"  # a shared REDIS_URL keeps earlier runs' buckets
    ports = [free_port() for _ in range(count)]
    processes = [subprocess.Popen([sys.executable, "-m", "uvicorn", "gateway.app:create_app", "--factory",  # noqa: S603
                                   "--host", "127.0.0.1", "--port", str(p), "--log-level", "warning"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for p in ports]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        for url in urls:
            _wait(lambda url=url: _live(url))
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(15)


def _live(url: str) -> bool:
    try:
        return httpx.get(f"{url}/livez", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def _allowed(urls: list[str], attempts: int) -> int:
    """Public trial calculations from one address, alternating between the replicas: how many got past the limit
    (the upstream is closed, so those answer 502; a limited one is 429)."""
    statuses = [httpx.post(f"{urls[i % len(urls)]}/api/calculation/trial", json={}, timeout=5).status_code
                for i in range(attempts)]
    assert set(statuses) <= {429, 502}, statuses
    return sum(s != 429 for s in statuses)


def test_two_replicas_share_one_budget_through_redis():
    with redis_server() as url, gateways(url) as urls:
        assert _allowed(urls, 3 * BURST) == BURST


def test_without_redis_each_replica_counts_for_itself():
    with gateways(None) as urls:
        assert _allowed(urls, 3 * BURST) == 2 * BURST


def test_a_lost_redis_keeps_limiting_in_each_replica():
    with gateways(f"redis://127.0.0.1:{free_port()}/0", count=1) as urls:
        assert _allowed(urls, 2 * BURST) == BURST
