"""Messaging's CPU per event taken in (POST /events, what the applications relay sends for every submit), without the
gateway, the network or a load generator: the app runs in this process on a fresh database and is called as ASGI
directly (bench/submit_cpu.py's way). --concurrency callers post application.submitted events, one case each, as
the relay does (Idempotency-Key: the event id, a service token of applications). --batch N: POST /events/batch with N
events a request instead (what the relays send since they deliver a claimed batch in one call); figures stay per event.

  --profile cprofile   a cProfile of the events (own time, top functions)
  under valgrind       `valgrind --tool=callgrind --instr-atstart=no` with SUBMIT_CPU_CALLGRIND=1: instructions are
                       counted only around the measured events, repeatably on a busy machine.

Usage: PYTHONPATH=. .venv/bin/python bench/events_cpu.py [--events 1000] [--concurrency 4] [--batch 1]
       [--profile cprofile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import pstats
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.applications import sample_personal_numbers  # noqa: E402
from bench.messaging import pct  # noqa: E402
from bench.submit_cpu import call, callgrind, database  # noqa: E402
from kit.auth import TokenVerifier  # noqa: E402
from services.messaging.app import create_app  # noqa: E402
from services.messaging.settings import MessagingSettings  # noqa: E402
from simulators.idp.app import IdpSettings, Issuer  # noqa: E402

ISSUER, AUDIENCE = "http://idp.bench", "bistand"


def submitted(pnr: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "topic": "application.submitted",
            "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
            "payload": {"case_id": str(uuid.uuid4()), "unit": "nord", "recipients": [pnr],
                        "protected_identity": False, "caseworker_sub": None}}


async def post_all(app: Any, token: str, people: list[str], count: int, concurrency: int,
                   batch: int = 1, via_batch: bool = False) -> list[float]:
    """Latency per request (a batch of ``batch`` events, or one event to POST /events)."""
    latencies: list[float] = []
    left = count

    async def sender(n: int) -> None:
        nonlocal left
        while left > 0:
            size = min(batch, left)
            left -= size
            bodies = [submitted(people[(left + i + n) % len(people)]) for i in range(size)]
            started = time.perf_counter()
            if batch == 1 and not via_batch:
                body = bodies[0]
                status, answer = await call(app, "POST", "/events", {"Authorization": f"Bearer {token}",
                                                                     "Idempotency-Key": body["id"]}, body)
                assert status == 202, answer
            else:
                status, answer = await call(app, "POST", "/events/batch", {"Authorization": f"Bearer {token}"},
                                            {"events": bodies})
                assert status == 200, answer
            latencies.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(sender(n) for n in range(concurrency)))
    return latencies


async def main(args: argparse.Namespace) -> None:
    issuer = Issuer(IdpSettings(issuer=ISSUER, audience=AUDIENCE))

    async def jwks() -> dict[str, Any]:
        return issuer.keys.jwks()

    async with database("messaging") as (_server, url, _log):
        settings = MessagingSettings(database_url=url, auth_issuer=ISSUER, auth_audience=AUDIENCE,
                                     notify_relay_enabled=False, housekeeping_enabled=False, log_level="WARNING")
        app = create_app(settings, verifier=TokenVerifier(issuer=ISSUER, audience=AUDIENCE, fetch_jwks=jwks))
        token = issuer.service_token("applications")
        people = sample_personal_numbers(64)
        async with app.router.lifespan_context(app):
            await post_all(app, token, people, args.warmup, args.concurrency, args.batch, args.via_batch)
            profiler = cProfile.Profile(time.process_time) if args.profile == "cprofile" else None
            cpu, wall = time.process_time(), time.perf_counter()
            callgrind(True)
            if profiler:
                profiler.enable()
            latencies = await post_all(app, token, people, args.events, args.concurrency, args.batch,
                                       args.via_batch)
            if profiler:
                profiler.disable()
            callgrind(False)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            n = args.events
            print(f"{n} events, {args.concurrency} concurrent, {args.batch} a request: CPU {cpu / n * 1000:.2f} ms per "
                  f"event (this process, PostgreSQL not included), {n / wall:.0f} events/s, request p50 "
                  f"{pct(latencies, 50):.1f} ms, p99 {pct(latencies, 99):.1f} ms")
            if profiler:
                pstats.Stats(profiler).strip_dirs().sort_stats(args.sort).print_stats(args.top)
            await app.state.kit.engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--batch", type=int, default=1, help="events a request (>1: POST /events/batch, at most 100)")
    parser.add_argument("--via-batch", action="store_true", help="POST /events/batch even with --batch 1")
    parser.add_argument("--profile", choices=("none", "cprofile"), default="none")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=45)
    uvloop.run(main(parser.parse_args()))
