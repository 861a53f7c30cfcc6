"""The sender's CPU per event delivered by the outbox relay (kit.outbox: claim, open the payload, POST, mark
delivered), one POST /events per message against one POST /events/batch per claimed batch. The receiver is a
trivial aiohttp server in another process that answers at once, so only the relay's own work counts: this
process's CPU time, PostgreSQL and the receiver not included. The relay posts over kit.http.JsonPoster, as
applications' does.

  under valgrind       `valgrind --tool=callgrind --instr-atstart=no` with SUBMIT_CPU_CALLGRIND=1: instructions are
                       counted only around the measured deliveries.

Usage: PYTHONPATH=. .venv/bin/python bench/relay_cpu.py [--events 2000] [--batch-size 50] [--mode single|batch]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.submit_cpu import callgrind, database  # noqa: E402
from kit.db import make_engine, make_sessionmaker  # noqa: E402
from kit.http import JsonPoster  # noqa: E402
from kit.outbox import EventDelivery, OutboxRelay, enqueue  # noqa: E402
from kit.sealing import Sealer, bind  # noqa: E402
from kit.settings import KitSettings  # noqa: E402

RECEIVER = """
import sys
from aiohttp import web
import orjson

async def one(request):
    await request.read()
    return web.json_response({"status": "accepted"}, status=202)

async def batch(request):
    events = orjson.loads(await request.read())["events"]
    return web.Response(body=orjson.dumps({"results": [{"id": e["id"], "status": "accepted", "notifications": 0}
                                                       for e in events]}), content_type="application/json")

app = web.Application()
app.router.add_post("/events", one)
app.router.add_post("/events/batch", batch)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""


async def fill(sessions: object, count: int) -> None:
    for start in range(0, count, 500):
        async with sessions() as s, s.begin():  # type: ignore[operator]
            for _ in range(min(500, count - start)):
                enqueue(s, "application.submitted", {"case_id": str(uuid.uuid4()), "unit": "nord",
                                                     "recipients": ["194107086995"], "protected_identity": False,
                                                     "caseworker_sub": None})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def main(args: argparse.Namespace, port: int) -> None:
    async with database("calculation") as (_server, url, _log):
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        bind(sessions, Sealer(KitSettings().sealing_keyring(), "calculation"))
        await asyncio.sleep(1.0)  # the receiver's start (it answered, or the warm-up below fails loudly)
        poster = JsonPoster(f"http://127.0.0.1:{port}")
        delivery = EventDelivery(poster)
        relay = OutboxRelay(sessions, delivery, batch_size=args.batch_size,
                            deliver_batch=delivery.batch if args.mode == "batch" else None)
        await fill(sessions, args.warmup)
        warmed = 0
        while n := await relay.run_once():
            warmed += n
        assert warmed == args.warmup, f"the warm-up delivered {warmed} of {args.warmup}"
        await fill(sessions, args.events)
        cpu, wall = time.process_time(), time.perf_counter()
        callgrind(True)
        delivered = 0
        while n := await relay.run_once():
            delivered += n
        callgrind(False)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        assert delivered == args.events, delivered
        print(f"{delivered} events, mode {args.mode}, batches of {args.batch_size}: relay CPU "
              f"{cpu / delivered * 1000:.3f} ms per event (this process), {delivered / wall:.0f} events/s")
        await poster.aclose()
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--mode", choices=("single", "batch"), default="batch")
    logging.basicConfig(level=logging.WARNING)  # a failed delivery says why
    receiver_port = free_port()
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER, str(receiver_port)])
    try:
        uvloop.run(main(parser.parse_args(), receiver_port))
    finally:
        receiver.terminate()
        receiver.wait()
