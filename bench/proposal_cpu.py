"""CPU per decision proposal, by process: what the background job costs, apart from the submit that asks for it.

The stack runs as separate processes (bench/stack.py) with the proposal worker off. --households clients submit
--months signed monthly re-applications each through the gateway (each submit writes its proposal job to the
outbox), and the submits' events are delivered. Then the applications service is restarted with the worker on:
it works off the backlog. After the first --warm-up proposals (imports, connections, TLS sessions, caches), the CPU
time (user + system) of every process is read; again when all proposals exist; the difference over the proposals
made in between is the CPU per proposal. Nothing but the proposal jobs runs in that window, so the registers
service, the simulator and calculation are all proposal work.

CPU seconds, not wall-clock: the machine is shared, and CPU per job is what competes with the clients' requests.
``--profile DIR``: py-spy records applications and registers during the window (raw collapsed stacks).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.applications import cpu_seconds, drained, prepare, submit_load  # noqa: E402
from bench.stack import running  # noqa: E402
from devstack.stack import url  # noqa: E402
from kit.db import plain_url  # noqa: E402

PY_SPY = Path(sys.executable).parent / "py-spy"


async def proposals_made(db: str) -> int:
    conn = await asyncpg.connect(db)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM decision_proposals"))
    finally:
        await conn.close()


async def wait_for(db: str, at_least: int, limit: float) -> int:
    deadline = time.perf_counter() + limit
    while True:
        done = await proposals_made(db)
        if done >= at_least or time.perf_counter() > deadline:
            return done
        await asyncio.sleep(0.05)  # the worker runs in another process: ask its table  # noqa: ASYNC110


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=32)
    parser.add_argument("--months", type=int, default=16)
    parser.add_argument("--warm-up", type=int, default=60)
    parser.add_argument("--profile", type=Path, default=None, help="py-spy raw stacks into this folder")
    args = parser.parse_args()
    env = {"APPLICATIONS_DB_POOL_SIZE": "20", "APPLICATIONS_MONTHS_AHEAD": "36",
           "APPLICATIONS_PROPOSAL_JOBS_ENABLED": "false"}
    with running(services=("applications", "calculation", "messaging", "registers"), extra_env=env) as (stack, _):
        api = f"{url(stack.ports.gateway)}/api/applications"
        db = plain_url(stack.database_urls["applications"])
        households = asyncio.run(prepare(api, url(stack.ports.idp), args.households, args.months))
        _, _, errors, _ = asyncio.run(submit_load(api, households, 3600, args.households))
        asyncio.run(drained(stack))
        total = args.households * args.months - errors
        print(f"{total} submitted ({errors} submit errors); the worker starts now")
        stack.stop_one("applications")
        stack.extra_env["APPLICATIONS_PROPOSAL_JOBS_ENABLED"] = "true"
        stack.start_one("applications")
        first = asyncio.run(wait_for(db, args.warm_up, 300))
        before = cpu_seconds(stack)
        spies = []
        if args.profile is not None:
            args.profile.mkdir(parents=True, exist_ok=True)
            for name in ("applications", "registers"):
                spies.append(subprocess.Popen(  # noqa: S603 - our own fixed command line
                    [str(PY_SPY), "record", "-p", str(stack.processes[name].pid), "-r", "200", "-f", "raw",
                     "--nonblocking", "-o", str(args.profile / f"{name}.txt")],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        last = asyncio.run(wait_for(db, total, 900))
        after = cpu_seconds(stack)
        for spy in spies:
            spy.send_signal(2)
            spy.wait(30)
        made = last - first
        print(f"{made} proposals measured (after {first} warm-up); CPU per proposal by process (ms):")
        for name in sorted(after, key=lambda n: before.get(n, 0.0) - after[n]):
            used = after[name] - before.get(name, 0.0)
            if used > 0.005 and name != "load generator":
                print(f"  {name:14s} {used / max(made, 1) * 1000:7.2f}")


if __name__ == "__main__":
    main()
