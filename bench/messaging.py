"""Messaging under load: messages sent per second at 32 concurrent senders, and live fan-out to 500 streams.

1. Sending: 32 concurrent senders (half clients, half caseworkers, each in their own thread), each POSTing
   messages back to back for --seconds, directly to the service and through the gateway. Every message is
   encrypted, numbered under the thread's row lock, committed with its outbox/NOTIFY work. Prints messages/s
   and p50/p95/p99.
2. Fan-out: 500 open Server-Sent Event streams through the gateway (caseworkers of the unit, who all see
   the thread), then --rounds messages one at a time. Prints the latency from the start of the POST to the
   event arriving on each stream (p50/p95/max over all deliveries) and to the last of the 500 per round.

Figures, not pass/fail. The whole system runs as separate processes on this machine (like `make run`), so
load generator, gateway, service and PostgreSQL share the cores. Takes about 40 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import running  # noqa: E402
from devstack.stack import url  # noqa: E402
from simulators.idp.personas import PERSONAS  # noqa: E402

LIFTED = {
    "MESSAGING_SENDER_RATE_PER_MINUTE": "100000000", "MESSAGING_SENDER_RATE_PER_HOUR": "100000000",
    "MESSAGING_SSE_MAX_STREAMS_PER_USER": "100000", "MESSAGING_DB_POOL_SIZE": "20",
    "GATEWAY_UPSTREAM_POOL_SIZE": "2000",
}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else float("nan")


async def introduce_anna(http: aiohttp.ClientSession, gateway: str, anna: dict[str, str], api: str,
                         karin: dict[str, str]) -> None:
    """Staff write only to clients their unit knows: Anna applies for this month (applications tells messaging
    through its outbox), and the first thread can be opened once messaging has taken that event in."""
    import datetime as dt

    pnr = PERSONAS["anna"].personal_number
    content = {"kind": "first", "period": dt.date.today().strftime("%Y-%m"),
               "household": {"applicant": {"personal_number": pnr}},
               "housing": {"type": "rental", "rent": 6200, "household_size": 1},
               "incomes": {"items": [{"type": "wages_net", "member": "applicant", "amount": 900}]},
               "costs": [{"type": "household_electricity", "amount": 300}], "assets": {"none_declared": True},
               "plan": {"activities": [{"member": "applicant", "status": "registered_at_af"}]}}
    async with http.post(f"{gateway}/api/applications/applications", headers=anna, json=content) as r:
        assert r.status == 201, await r.text()
        case = (await r.json())["id"]
    for step in ("signatures", "submit"):
        async with http.post(f"{gateway}/api/applications/applications/{case}/{step}", headers=anna) as r:
            assert r.status in (200, 201), await r.text()
    deadline = time.perf_counter() + 20
    while True:  # polling another process's delivery, not waiting for time to pass
        async with http.post(f"{api}/threads", headers=karin, json={
                "personal_number": pnr, "unit": "nord", "subject": "Välkommen"}) as r:
            if r.status == 201:
                return
            assert time.perf_counter() < deadline, await r.text()
        await asyncio.sleep(0.1)


async def make_threads(http: aiohttp.ClientSession, api: str, karin: dict[str, str], count: int) -> list[str]:
    ids = []
    for n in range(count):
        async with http.post(f"{api}/threads", headers=karin, json={
                "personal_number": PERSONAS["anna"].personal_number, "unit": "nord",
                "subject": f"Bench {n}"}) as response:
            assert response.status == 201, await response.text()
            ids.append((await response.json())["id"])
    return ids


async def send_load(api: str, threads: list[str], tokens: list[dict[str, str]], seconds: float,
                    connections: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def sender(http: aiohttp.ClientSession, n: int) -> None:
        nonlocal errors
        thread, headers = threads[n], tokens[n % 2]
        i = 0
        while time.perf_counter() < deadline:
            i += 1
            started = time.perf_counter()
            async with http.post(f"{api}/threads/{thread}/messages", headers=headers,
                                 json={"body": f"Meddelande {i} från avsändare {n}. " * 4}) as response:
                await response.read()
                if response.status != 201:
                    errors += 1
            latencies.append((time.perf_counter() - started) * 1000)

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        await asyncio.gather(*(sender(http, n) for n in range(connections)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies, errors


async def fan_out(api: str, thread: str, sender: dict[str, str], watchers: list[dict[str, str]], streams: int,
                  rounds: int) -> tuple[list[float], list[float], float]:
    arrived: dict[str, list[float]] = {}
    ready = 0
    all_ready = asyncio.Event()
    got_round: dict[str, asyncio.Event] = {}

    async def watch(http: aiohttp.ClientSession, headers: dict[str, str]) -> None:
        nonlocal ready
        async with http.get(f"{api}/me/stream", headers={**headers, "Accept": "text/event-stream"}) as response:
            assert response.status == 200, await response.text()
            kind = None
            async for raw in response.content:
                line = raw.decode().rstrip("\n")
                if line == ": connected":
                    ready += 1
                    if ready == streams:
                        all_ready.set()
                elif line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind == "message":
                    message_id = json.loads(line[6:])["message_id"]
                    times = arrived.setdefault(message_id, [])
                    times.append(time.perf_counter())
                    if len(times) == streams and message_id in got_round:
                        got_round[message_id].set()

    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        opening = time.perf_counter()
        tasks = [asyncio.ensure_future(watch(http, watchers[n % len(watchers)])) for n in range(streams)]
        await asyncio.wait_for(all_ready.wait(), 60)
        open_seconds = time.perf_counter() - opening
        deliveries: list[float] = []
        last: list[float] = []
        for n in range(rounds):
            started = time.perf_counter()
            async with http.post(f"{api}/threads/{thread}/messages", headers=sender,
                                 json={"body": f"Fan-out {n}"}) as response:
                message_id = (await response.json())["id"]
            done = got_round.setdefault(message_id, asyncio.Event())
            if len(arrived.get(message_id, [])) < streams:
                await asyncio.wait_for(done.wait(), 30)
            times = arrived[message_id]
            deliveries += [(t - started) * 1000 for t in times]
            last.append((max(times) - started) * 1000)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return deliveries, last, open_seconds


async def bench(stack, token, args) -> None:
    direct = f"{url(stack.ports.messaging)}"
    gateway = f"{url(stack.ports.gateway)}/api/messaging"
    karin = {"Authorization": f"Bearer {token('karin')}"}
    anna = {"Authorization": f"Bearer {token('anna')}"}
    async with aiohttp.ClientSession() as http:
        await introduce_anna(http, url(stack.ports.gateway), anna, direct, karin)
        threads = await make_threads(http, direct, karin, args.connections)
    senders = [anna, karin]
    await send_load(direct, threads, senders, 1.5, args.connections)  # warm up both paths
    await send_load(gateway, threads, senders, 1.5, args.connections)
    results = {}
    for label, api in (("direct", direct), ("through the gateway", gateway)):
        results[label] = await send_load(api, threads, senders, args.seconds, args.connections)

    print(f"POST a message, {args.connections} concurrent senders (16 clients, 16 caseworkers, one thread each), "
          f"{args.seconds:.0f} s per path; gateway, service, PostgreSQL and load generator share the machine")
    for label, (rate, latencies, errors) in results.items():
        print(f"  {label:<22} {rate:7.0f} messages/s   p50 {pct(latencies, 50):6.1f} ms   "
              f"p95 {pct(latencies, 95):6.1f} ms   p99 {pct(latencies, 99):6.1f} ms   errors {errors}")
    ratio = results["through the gateway"][0] / results["direct"][0]
    print(f"  gateway / direct throughput: {ratio:.2f}")

    watchers = [{"Authorization": f"Bearer {token(p)}"} for p in ("karin", "maja", "tove")]
    deliveries, last, open_seconds = await fan_out(gateway, threads[0], anna, watchers, args.streams, args.rounds)
    print(f"SSE fan-out: {args.streams} open streams through the gateway (opened in {open_seconds:.1f} s), "
          f"{args.rounds} messages one at a time, latency from the start of the POST to the event on a stream")
    print(f"  per delivery  p50 {pct(deliveries, 50):6.1f} ms   p95 {pct(deliveries, 95):6.1f} ms   "
          f"max {max(deliveries):6.1f} ms   ({len(deliveries)} deliveries)")
    print(f"  last of {args.streams} per message: median {statistics.median(last):6.1f} ms   "
          f"max {max(last):6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    # applications too: it introduces Anna to unit Nord and answers who has protected identity
    with running(services=("applications", "messaging", "registers"), extra_env=LIFTED) as (stack, token):
        asyncio.run(bench(stack, token, args))
    print(f"(bench ran {time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
