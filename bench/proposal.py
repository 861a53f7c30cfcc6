"""From submission to decision proposal, with the national registers answering in 200 ms.

The whole system runs as separate processes: gateway, applications, calculation, messaging, the registers
service and the registers simulator over HTTPS with mutual TLS, told to answer every SSBTEK and Navet call after
--register-ms (default 200). Nobody presses a button: each submit writes an outbox job, and the applications
worker asks the registers (applicant's incomes and the population register at once), calculates and stores the
proposal with every check.

1. Latency: --paced households submit one monthly re-application each, --rate per second through the gateway;
   for each, the time from the submit's commit (cases.submitted_at) to the proposal's (decision_proposals.made_at),
   both written by the service, read from its database afterwards. Goal: p95 under 1 s (the robots take 5-30 s).
2. Throughput: --households (default 10 000) signed monthly re-applications are submitted at once (32 concurrent
   clients as fast as the gateway takes them); proposals per second from the first submit to the last proposal.

Figures, not pass/fail: every process, PostgreSQL and this load generator share the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import sys
import time
import uuid
from pathlib import Path

import aiohttp
import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.applications import content, sample_personal_numbers  # noqa: E402
from bench.messaging import pct  # noqa: E402
from bench.stack import running  # noqa: E402
from devstack import certs  # noqa: E402
from devstack.stack import CERTS, url  # noqa: E402
from kit.db import plain_url  # noqa: E402

PERIOD = "2026-11"


def slow_registers(stack, delay_ms: int) -> None:
    """Every SSBTEK and Navet answer after ``delay_ms`` (the simulator's control endpoints, with our client cert)."""
    tls = certs.ensure(CERTS)
    sim = f"https://127.0.0.1:{stack.ports.registers_sim}"
    context = ssl.create_default_context(cafile=tls.ca)
    context.load_cert_chain(tls.client_cert, tls.client_key)
    with httpx.Client(verify=context, timeout=10) as http:
        for endpoint in ("ssbtek", "navet"):
            http.post(f"{sim}/control/{endpoint}", json={"mode": "slow", "delay_ms": delay_ms}).raise_for_status()


async def drafts(api: str, idp: str, numbers: list[str], concurrency: int = 32) -> list[tuple[dict[str, str], str]]:
    """A signed, complete monthly re-application per person: (their headers, the case id)."""
    out: list[tuple[dict[str, str], str]] = []
    gate = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:

        async def one(pnr: str) -> None:
            async with gate:
                async with http.get(f"{idp}/dev/token", params={"personal_number": pnr}) as r:
                    headers = {"Authorization": f"Bearer {await r.text()}"}
                async with http.post(f"{api}/applications", json=content(pnr, PERIOD), headers=headers) as r:
                    assert r.status == 201, await r.text()
                    case_id = (await r.json())["id"]
                async with http.post(f"{api}/applications/{case_id}/signatures", headers=headers) as r:
                    assert r.status == 201, await r.text()
                out.append((headers, case_id))

        await asyncio.gather(*(one(p) for p in numbers))
    return out


async def submit(http: aiohttp.ClientSession, api: str, headers: dict[str, str], case_id: str) -> bool:
    async with http.post(f"{api}/applications/{case_id}/submit",
                         headers={**headers, "Idempotency-Key": str(uuid.uuid4())}) as response:
        await response.read()
        return response.status == 200


async def proposals_ready(db: str, case_ids: list[str], limit: float) -> tuple[int, float]:
    """Wait until every case has its proposal (or ``limit`` s pass): how many have one, and when the last came."""
    ids = [uuid.UUID(c) for c in case_ids]
    conn = await asyncpg.connect(db)
    try:
        deadline = time.perf_counter() + limit
        while True:
            done = await conn.fetchval("SELECT count(*) FROM decision_proposals WHERE case_id = ANY($1)", ids)
            if done >= len(ids) or time.perf_counter() > deadline:
                return done, time.perf_counter()
            await asyncio.sleep(0.1)  # the worker runs in another process: ask its table  # noqa: ASYNC110
    finally:
        await conn.close()


async def latencies_ms(db: str, case_ids: list[str]) -> list[float]:
    conn = await asyncpg.connect(db)
    try:
        rows = await conn.fetch(
            "SELECT extract(epoch FROM p.made_at - c.submitted_at) * 1000 AS ms FROM decision_proposals p "
            "JOIN cases c ON c.id = p.case_id WHERE c.id = ANY($1)", [uuid.UUID(c) for c in case_ids])
    finally:
        await conn.close()
    return [float(r["ms"]) for r in rows]


async def bench(stack, args) -> None:
    api = f"{url(stack.ports.gateway)}/api/applications"
    idp = url(stack.ports.idp)
    db = plain_url(stack.database_urls["applications"])
    numbers = sample_personal_numbers(args.paced + args.households)
    # The drafts are made before the registers slow down: what is measured is what follows a submit.
    made = time.perf_counter()
    paced = await drafts(api, idp, numbers[:args.paced])
    batch = await drafts(api, idp, numbers[args.paced:])
    print(f"prepared {len(paced) + len(batch)} signed monthly re-applications in {time.perf_counter() - made:.0f} s")
    slow_registers(stack, args.register_ms)

    # 1. One at a time, at a steady pace: the latency a client sees.
    async with aiohttp.ClientSession() as http:
        errors = 0
        for headers, case_id in paced:
            errors += not await submit(http, api, headers, case_id)
            await asyncio.sleep(1 / args.rate)  # the pace of the load, not a wait for a result
    done, _ = await proposals_ready(db, [c for _, c in paced], limit=60)
    ms = await latencies_ms(db, [c for _, c in paced])
    print(f"submission -> proposal ready, registers answering in {args.register_ms} ms, {args.rate:g} submits/s "
          f"({len(paced)} re-applications, {done} proposals, submit errors {errors})")
    print(f"  p50 {pct(ms, 50):7.0f} ms   p95 {pct(ms, 95):7.0f} ms   p99 {pct(ms, 99):7.0f} ms   "
          f"max {max(ms, default=0):7.0f} ms   (goal: p95 < 1 000 ms; the robots: 5 000-30 000 ms)")

    # 2. All at once: how fast the backlog of the first morning of the month is worked off.
    gate = asyncio.Semaphore(32)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=32)) as http:

        async def one(headers: dict[str, str], case_id: str) -> bool:
            async with gate:
                return await submit(http, api, headers, case_id)

        started = time.perf_counter()
        results = await asyncio.gather(*(one(h, c) for h, c in batch))
        submitted = time.perf_counter()
    done, last = await proposals_ready(db, [c for _, c in batch], limit=args.limit)
    elapsed = last - started
    print(f"{len(batch)} re-applications submitted at once ({sum(not r for r in results)} submit errors): "
          f"all submitted in {submitted - started:.0f} s, {done} proposals ready {elapsed:.0f} s after the first "
          f"submit")
    print(f"  {done / elapsed:7.1f} proposals/s end to end (registers at {args.register_ms} ms per call, "
          f"{args.replicas} replica(s) of each service)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--register-ms", type=int, default=200)
    parser.add_argument("--paced", type=int, default=200, help="re-applications for the latency part")
    parser.add_argument("--rate", type=float, default=10.0, help="submits per second in the latency part")
    parser.add_argument("--households", type=int, default=10_000, help="re-applications submitted at once")
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--limit", type=float, default=1800, help="seconds to wait for the proposals at most")
    args = parser.parse_args()
    started = time.perf_counter()
    with running(services=("applications", "calculation", "messaging", "registers"), replicas=args.replicas,
                 extra_env={"APPLICATIONS_DB_POOL_SIZE": "20"}) as (stack, _token):
        asyncio.run(bench(stack, args))
    print(f"(bench ran {time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
