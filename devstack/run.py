"""``make run``: the whole system on this machine, with demo data, until Ctrl-C.

With no DATABASE_URL an embedded PostgreSQL is started on a free port with its data under
.data/postgres (kept between runs). With DATABASE_URL, that server is used instead.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import sys
import time

from devstack import embedded
from devstack.stack import ROOT, SERVICES, Ports, Stack, prepare_databases, url

DATA = ROOT / ".data"


def _server_url() -> tuple[str, bool]:
    external = os.environ.get("DATABASE_URL")
    if external:
        return external, False
    port = os.environ.get("BISTAND_EMBEDDED_PG_PORT")
    return embedded.start(DATA / "postgres", int(port) if port else None), True


async def _seed(ports: Ports) -> list[str]:
    """Demo data per service (devstack/demo/<name>.py: async seed(gateway, idp)), seeded through the gateway."""
    done = []
    for service in SERVICES:
        try:
            module = importlib.import_module(f"devstack.demo.{service}")
        except ModuleNotFoundError:
            continue
        await module.seed(url(ports.gateway), url(ports.idp))
        done.append(service)
    return done


def main() -> int:
    server, embedded_started = _server_url()
    print(f"database server: {server.split('@')[-1]}" + (" (embedded)" if embedded_started else ""))
    # BISTAND_DATABASE_PREFIX: other database names on the same server (a second stack, a test of this runner)
    prefix = os.environ.get("BISTAND_DATABASE_PREFIX")
    names = {s: f"{prefix}_{s}" for s in SERVICES} if prefix else None
    database_urls = asyncio.run(prepare_databases(server, names))
    print("databases created and migrated:", ", ".join(database_urls))
    ports = Ports.from_env()
    # BISTAND_REPLICAS=2: two processes of every service (the next ones at port + 10, + 20, …); the gateway
    # takes turns between them, as a Kubernetes Service would.
    replicas = max(1, int(os.environ.get("BISTAND_REPLICAS", "1")))
    extra = {s: [getattr(ports, s) + 10 * n for n in range(1, replicas)] for s in SERVICES}
    stack = Stack(database_urls, ports, log_dir=DATA / "logs", extra_replicas=extra)
    # A plain flag, not threading.Event: a signal handler that calls Event.set() while the main thread is
    # inside Event.wait() re-enters the event's lock and hangs for good (seen: Ctrl-C that never stopped).
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        stack.start()
        stack.wait_ready()
        seeded = asyncio.run(_seed(ports))
        gw, idp = url(ports.gateway), url(ports.idp)
        print(f"""
Bistånd is up.
  gateway   {gw}        (API under {gw}/api/<service>/, docs {gw}/docs)
  identity  {idp}        (personas: {idp}/dev/personas)
  registers https://127.0.0.1:{ports.registers_sim}  (simulated SSBTEK and Navet, mutual TLS: .data/certs)
  services  {', '.join(f'{s} {" ".join(url(p) for p in stack.replica_ports(s))}' for s in SERVICES)}
  demo data {', '.join(seeded) or 'none yet'}; logs in {DATA / 'logs'}

Try it:
  TOKEN=$(curl -s "{idp}/dev/token?persona=karin")
  curl -H "Authorization: Bearer $TOKEN" {gw}/api/applications/livez
  curl -H "Authorization: Bearer $TOKEN" {gw}/api/calculation/whoami

Ctrl-C stops everything.""", flush=True)
        while not stopping:
            for name, process in stack.processes.items():
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; see {DATA / 'logs' / name}.log")
                    stopping = True
            if not stopping:
                time.sleep(0.5)  # supervising: check the processes twice a second until told to stop
    finally:
        print("stopping…", flush=True)
        stack.stop()
        if embedded_started:
            embedded.stop(DATA / "postgres")
        print("stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
