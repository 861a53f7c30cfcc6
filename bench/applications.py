"""Submitting complete monthly applications through the gateway, 32 concurrent clients.

Each client is its own household (a test personnummer logged in through the dev IdP). Before the clock
starts, every household gets complete, signed drafts, one per month; then 32 clients submit them back to
back (POST /applications/{id}/submit with an Idempotency-Key) through the gateway for --seconds. A submit
validates completeness and signatures, moves the case, writes history, audit and the outbox event to
messaging in one transaction. Prints submits/s and p50/p95/p99; the outbox relay delivers to the messaging
service while the load runs, as it would in production.

Figures, not pass/fail: gateway, services, PostgreSQL and the load generator share this machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import sys
import time
import uuid
from pathlib import Path

import aiohttp
import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.messaging import pct  # noqa: E402
from bench.stack import running  # noqa: E402
from devstack.stack import url  # noqa: E402
from kit.db import plain_url  # noqa: E402


def sample_personal_numbers(count: int) -> list[str]:
    """Valid Swedish test personnummer (serial 98x, Luhn check digit), born 1950-1999 on the 1st-28th."""
    numbers = []
    for year in range(1950, 2000):
        for month in range(1, 13):
            for day in range(1, 29):
                base = f"{year % 100:02d}{month:02d}{day:02d}98{(day + month) % 10}"
                digits = [int(c) * (2 - i % 2) for i, c in enumerate(base)]
                check = (10 - sum(d // 10 + d % 10 for d in digits) % 10) % 10
                numbers.append(f"{year}{month:02d}{day:02d}{base[6:]}{check}")
                if len(numbers) == count:
                    return numbers
    raise ValueError("too many")


def content(pnr: str, period: str) -> dict:
    return {"kind": "monthly", "period": period,
            "household": {"applicant": {"personal_number": pnr}},
            "housing": {"type": "rental", "rent": 6200, "household_size": 1},
            "incomes": {"items": [{"type": "aktivitetsstod", "member": "applicant", "amount": 2400}]},
            "costs": [{"type": "household_electricity", "amount": 300}],
            "assets": {"none_declared": True},
            "plan": {"activities": [{"member": "applicant", "status": "registered_at_af"}]}}


async def prepare(api: str, idp: str, clients: int, per_client: int) -> list[tuple[dict[str, str], list[str]]]:
    """Signed, complete drafts: per_client months for each household."""
    periods = [f"{2020 + n // 12}-{n % 12 + 1:02d}" for n in range(per_client)]
    out = []
    async with httpx.AsyncClient(timeout=30) as idp_client, aiohttp.ClientSession() as http:
        for pnr in sample_personal_numbers(clients):
            token = (await idp_client.get(f"{idp}/dev/token", params={"personal_number": pnr})).text
            headers = {"Authorization": f"Bearer {token}"}

            async def draft(period: str, pnr: str = pnr, headers: dict[str, str] = headers) -> str:
                async with http.post(f"{api}/applications", json=content(pnr, period), headers=headers) as r:
                    assert r.status == 201, await r.text()
                    case_id = (await r.json())["id"]
                async with http.post(f"{api}/applications/{case_id}/signatures", headers=headers) as r:
                    assert r.status == 201, await r.text()
                return case_id

            out.append((headers, list(await asyncio.gather(*(draft(p) for p in periods)))))
    return out


async def submit_load(api: str, households: list[tuple[dict[str, str], list[str]]], seconds: float,
                      connections: int) -> tuple[float, list[float], int, int]:
    latencies: list[float] = []
    errors = 0
    ran_out = 0
    deadline = time.perf_counter() + seconds

    async def client(http: aiohttp.ClientSession, headers: dict[str, str], cases: list[str]) -> None:
        nonlocal errors, ran_out
        for case_id in cases:
            if time.perf_counter() >= deadline:
                return
            started = time.perf_counter()
            async with http.post(f"{api}/applications/{case_id}/submit",
                                 headers={**headers, "Idempotency-Key": str(uuid.uuid4())}) as response:
                await response.read()
                if response.status != 200:
                    errors += 1
            latencies.append((time.perf_counter() - started) * 1000)
        ran_out += 1

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http, h, cases) for h, cases in households))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies, errors, ran_out


def cpu_seconds(stack) -> dict[str, float]:
    """CPU time (user + system) used so far by each process of the stack, PostgreSQL (all its processes) and this
    load generator: the machine's cores are shared, so what the client and the other processes burn is not there
    for the service measured."""
    import psutil

    used: dict[str, float] = {}
    for name, process in stack.processes.items():
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(process.pid).cpu_times()
            used[name] = times.user + times.system
    port = re.search(r":(\d+)/", stack.database_urls["applications"])
    for candidate in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(candidate.info["cmdline"] or [])
        if candidate.info["name"] == "postgres" and port and f"-p {port[1]}" in cmdline:
            total = 0.0
            for member in [candidate, *candidate.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    times = member.cpu_times()
                    total += times.user + times.system
            used["postgresql"] = total
            break
    times = psutil.Process().cpu_times()
    used["load generator"] = times.user + times.system
    return used


async def drained(stack) -> float:
    """Seconds until the applications outbox has no undelivered event."""
    started = time.perf_counter()
    conn = await asyncpg.connect(plain_url(stack.database_urls["applications"]))
    try:
        # The events (the service's own jobs, the proposals, are left alone when they are off).
        while await conn.fetchval("SELECT count(*) FROM outbox WHERE delivered_at IS NULL "  # noqa: ASYNC110
                                  "AND topic NOT LIKE 'applications.job.%'"):
            await asyncio.sleep(0.05)  # the relay runs in another process: ask its table
    finally:
        await conn.close()
    return time.perf_counter() - started


async def bench(stack, args) -> None:
    gateway = f"{url(stack.ports.gateway)}/api/applications"
    idp = url(stack.ports.idp)
    made = time.perf_counter()
    households = await prepare(gateway, idp, args.connections, args.months)
    print(f"prepared {args.connections * args.months} signed drafts in {time.perf_counter() - made:.1f} s")
    before = cpu_seconds(stack)
    rate, latencies, errors, ran_out = await submit_load(gateway, households, args.seconds, args.connections)
    # The events of these submits are part of their cost: count the relay's work until it has caught up.
    backlog = await drained(stack)
    after = cpu_seconds(stack)
    print(f"POST /applications/{{id}}/submit through the gateway, {args.connections} concurrent clients "
          f"(one household each), {args.seconds:.0f} s; gateway, services, PostgreSQL and load generator share "
          "the machine")
    print(f"  {rate:7.0f} submits/s   p50 {pct(latencies, 50):6.1f} ms   p95 {pct(latencies, 95):6.1f} ms   "
          f"p99 {pct(latencies, 99):6.1f} ms   ({len(latencies)} submits, errors {errors})")
    print(f"  the outbox relay caught up {backlog:.1f} s after the load (its work until then is counted below)")
    # (Backends that ended during the load are not counted: PostgreSQL's figure is a floor.)
    print("  CPU per submit, by process (ms):  " + "   ".join(
        f"{name} {(after[name] - before.get(name, 0.0)) / max(len(latencies), 1) * 1000:.2f}"
        for name in sorted(after, key=lambda n: before.get(n, 0.0) - after[n])
        if after[name] - before.get(name, 0.0) > 0.005))
    if ran_out:
        print(f"  note: {ran_out} clients ran out of drafts before the time was up; raise --months")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--months", type=int, default=100, help="signed drafts per household, one per month "
                        "from 2020-01 (the service takes months up to 36 ahead here)")
    parser.add_argument("--no-proposals", action="store_true", help="leave the decision proposal jobs off: the "
                        "submit alone, as before every submission made one")
    args = parser.parse_args()
    started = time.perf_counter()
    with running(services=("applications", "calculation", "messaging", "registers"),
                 # Each household's drafts run month after month from 2020-01: allow months far ahead.
                 extra_env={"APPLICATIONS_DB_POOL_SIZE": "20", "APPLICATIONS_MONTHS_AHEAD": "36",
                            "APPLICATIONS_PROPOSAL_JOBS_ENABLED": str(not args.no_proposals).lower()}
                 ) as (stack, _token):
        asyncio.run(bench(stack, args))
    print(f"(bench ran {time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
