"""The gateway's CPU per proxied request, without uvicorn, the network to the client or a load generator.

The gateway's ASGI app runs in this process (uvloop) and is called directly, as uvicorn would call it; --concurrency
callers (one client token each) send ``POST /api/applications/{id}/submit`` with an Idempotency-Key and the headers
an HTTP client sends. The upstream is a stand-in in another process that answers every request 200 with a JSON body
the size of a submit's answer (its CPU is not counted). What is measured is the gateway's own work per request:
admission (rate limits, the token), the header copying, the pooled aiohttp call upstream and the answer passed back.

  --profile cprofile   a cProfile of the measured requests (own time, top functions)
  under valgrind       `valgrind --tool=callgrind --instr-atstart=no` with GATEWAY_CPU_CALLGRIND=1: instructions
                       are counted only around the measured requests, repeatably on a busy machine.

Usage: PYTHONPATH=. .venv/bin/python bench/gateway_cpu.py [--requests 4000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.applications import sample_personal_numbers  # noqa: E402
from bench.stack import NO_LIMITS  # noqa: E402
from bench.submit_cpu import asgi_call as call  # noqa: E402
from bench.submit_cpu import callgrind as counting  # noqa: E402
from bench.submit_cpu import receiver  # noqa: E402
from gateway.app import create_app  # noqa: E402
from gateway.settings import GatewaySettings  # noqa: E402
from kit.auth import TokenVerifier  # noqa: E402
from simulators.idp.app import IdpSettings, Issuer  # noqa: E402
from simulators.idp.personas import Persona  # noqa: E402

ISSUER, AUDIENCE = "http://idp.bench", "bistand"
# About the size of a submitted case as the service answers it.
ANSWER = orjson.dumps({"id": str(uuid.uuid4()), "status": "submitted", "filler": "x" * 1400}).decode()


async def run(app: Any, tokens: list[str], requests: int) -> int:
    left = requests
    errors = 0

    async def client(token: str) -> None:
        nonlocal left, errors
        while left > 0:
            left -= 1
            headers = [(b"host", b"127.0.0.1:8080"), (b"authorization", f"Bearer {token}".encode()),
                       (b"idempotency-key", str(uuid.uuid4()).encode()), (b"accept", b"*/*"),
                       (b"accept-encoding", b"gzip, deflate"), (b"user-agent", b"Python/3.12 aiohttp/3.11"),
                       (b"content-length", b"0")]
            status, body = await call(app, "POST", f"/api/applications/{uuid.uuid4()}/submit", headers)
            if status != 200:
                errors += 1
                if errors == 1:
                    print("first error:", status, body[:300], file=sys.stderr)

    await asyncio.gather(*(client(t) for t in tokens))
    return errors


async def main(args: argparse.Namespace) -> None:
    issuer = Issuer(IdpSettings(issuer=ISSUER, audience=AUDIENCE))

    async def jwks() -> dict[str, Any]:
        return issuer.keys.jwks()

    tokens = [issuer.persona_token(Persona(key=f"client-{pnr}", name="Testklient", roles=("client",),
                                           personal_number=pnr), ttl=7200)
              for pnr in sample_personal_numbers(args.concurrency)]
    limits = {k.removeprefix("GATEWAY_").lower(): v for k, v in NO_LIMITS.items() if k.startswith("GATEWAY_")}
    with receiver(ANSWER) as upstream:
        settings = GatewaySettings(applications_url=upstream, auth_issuer=ISSUER, auth_audience=AUDIENCE,
                                   log_level="WARNING", **limits)
        app = create_app(settings, TokenVerifier(issuer=ISSUER, audience=AUDIENCE, fetch_jwks=jwks))
        gateway = getattr(app, "app", app)
        await gateway.startup()
        try:
            errors = await run(app, tokens, args.warmup)  # warm the pool, the token cache, the limits
            profiler = cProfile.Profile(time.process_time) if args.profile == "cprofile" else None
            cpu, wall = time.process_time(), time.perf_counter()
            counting(True, "GATEWAY_CPU_CALLGRIND")
            if profiler:
                profiler.enable()
            errors += await run(app, tokens, args.requests)
            if profiler:
                profiler.disable()
            counting(False, "GATEWAY_CPU_CALLGRIND")
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        finally:
            await gateway.shutdown()
    print(f"{args.requests} requests, {args.concurrency} concurrent, errors {errors}: gateway CPU "
          f"{cpu / args.requests * 1e6:.0f} µs per request (this process; uvicorn's HTTP parsing not included), "
          f"{args.requests / wall:.0f} requests/s")
    if profiler:
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--warmup", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--profile", choices=("none", "cprofile"), default="none")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=40)
    uvloop.run(main(parser.parse_args()))
