"""The calculation service through the gateway: a national recalculation in batches, and single calculations.

1. Batch: 150 000 households (about every household on support in Sweden) as 15 calls of 10 000 (the
   endpoint's cap), --parallel calls at a time, through the gateway with a staff token. Total seconds,
   once with the explanation lines ("explain": true, what a caseworker sees) and once with totals only
   ("explain": false, what a recalculation after a norm change needs). Target: < 15 s.
2. Single: POST /calculations with 32 concurrent clients, directly and through the gateway.
   Target: p95 <= 15 ms through the gateway.

Figures, not pass/fail. Gateway, service (one uvicorn worker), PostgreSQL and the load generator share
this machine's cores. Usage: .venv/bin/python bench/calculation.py [--households 150000] [--parallel 2]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from pathlib import Path

import aiohttp
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import loadgen  # noqa: E402
from bench.calculation_inprocess import CEILINGS, households  # noqa: E402
from bench.stack import running  # noqa: E402
from devstack.stack import url  # noqa: E402

BATCH = 10_000
HEAD = re.compile(rb'\{"count":(?P<count>\d+),"failed":(?P<failed>\d+),')
ENV = {"CALCULATION_RENT_CEILINGS": CEILINGS, "GATEWAY_READ_TIMEOUT_SECONDS": "120", "CALCULATION_BATCH_WORKERS": "2"}


async def batches(api: str, headers: dict[str, str], bodies: list[bytes], parallel: int) -> tuple[float, int, int]:
    """Seconds for all bodies, households answered, households failed."""
    gate = asyncio.Semaphore(parallel)
    answered = failed = 0

    async def one(http: aiohttp.ClientSession, body: bytes) -> None:
        nonlocal answered, failed
        async with gate, http.post(f"{api}/calculations/batch", data=body, headers=headers) as response:
            payload = await response.read()
            if response.status != 200:
                raise RuntimeError(f"batch answered {response.status}: {payload[:300]!r}")
            # The answer starts {"count":n,"failed":m,"items":[...]}: read the head only, so the load
            # generator does not spend the shared cores decoding tens of MB it would not look at.
            head = HEAD.match(payload)
            if head is None:
                raise RuntimeError(f"unexpected answer: {payload[:200]!r}")
            answered += int(head["count"])
            failed += int(head["failed"])

    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        started = time.perf_counter()
        await asyncio.gather(*(one(http, body) for body in bodies))
        return time.perf_counter() - started, answered, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=150_000)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    items = households(args.households)
    chunks = [items[i:i + BATCH] for i in range(0, len(items), BATCH)]
    explained = [orjson.dumps({"items": c}) for c in chunks]
    totals_only = [orjson.dumps({"items": c, "explain": False}) for c in chunks]
    single = orjson.dumps(items[1]).decode()
    started = time.perf_counter()
    with running(services=("calculation",), extra_env=ENV) as (stack, token):
        gateway = f"{url(stack.ports.gateway)}/api/calculation"
        direct = url(stack.ports.calculation)
        staff = {"Authorization": f"Bearer {token('karin')}", "Content-Type": "application/json"}
        client = {"Authorization": f"Bearer {token('anna')}", "Content-Type": "application/json"}
        # warm up both paths (token caches, connection pools, code paths)
        asyncio.run(batches(gateway, staff, [orjson.dumps({"items": items[:500]})], 1))
        loadgen.run(f"{gateway}/calculations", seconds=1, connections=args.connections, method="POST",
                    body=single, headers=client)

        print(f"Batch: {len(items):,} households in {len(chunks)} calls of up to {BATCH:,}, "
              f"{args.parallel} at a time, through the gateway (request {sum(map(len, explained)) / 1e6:.0f} MB)")
        for label, bodies in (("with explanation lines", explained), ("totals only (explain: false)", totals_only)):
            seconds, answered, failed = asyncio.run(batches(gateway, staff, bodies, args.parallel))
            print(f"  {label:<30} {seconds:6.1f} s   {answered / seconds:8,.0f} households/s   "
                  f"answered {answered:,}, failed {failed}   (target < 15 s)")

        print(f"Single POST /calculations, {args.connections} concurrent clients, {args.seconds:.0f} s per path")
        direct_result = loadgen.run(f"{direct}/calculations", seconds=args.seconds, connections=args.connections,
                                    method="POST", body=single, headers=client)
        gateway_result = loadgen.run(f"{gateway}/calculations", seconds=args.seconds,
                                     connections=args.connections, method="POST", body=single, headers=client)
        # The floor on this machine: a trivial GET through the same gateway with the same load generator.
        floor = loadgen.run(f"{gateway}/livez", seconds=args.seconds, connections=args.connections, headers=client)
        print(loadgen.report("  direct", direct_result))
        print(loadgen.report("  through the gateway", gateway_result))
        print(loadgen.report("  (floor: GET /livez, gateway)", floor))
        print(f"  gateway p95 {gateway_result.p95:.1f} ms (target <= 15 ms)")
    print(f"(bench ran {time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
