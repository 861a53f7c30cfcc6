"""The applications service's CPU per submit, without the gateway, the network or a load generator.

The app runs in this process on a fresh database (an embedded PostgreSQL unless DATABASE_URL names a server) and is
called as ASGI directly: no socket, no HTTP parser, no client library. --concurrency callers submit signed, complete
monthly drafts (one household each, an Idempotency-Key each); what is measured is the service's own work per
submit: dependencies, token check, SQL through SQLAlchemy and asyncpg, the use case, the answer. Its wire cost
(uvicorn with httptools) and the relay's deliveries are not in it.

  --profile cprofile   a cProfile of the submits (cumulative and own time, top functions)
  --statements         the statements PostgreSQL ran for one submit (log_statement for that database)
  --relay              the outbox relay runs as in production and delivers the events over HTTP (in batches, as
                       to messaging) to a receiver in another process that takes every one (its CPU is not
                       counted; the relay's is)
  the registers        the owner of protected identity is a stand-in in another process that answers every
                       POST /internal/protection with "nobody protected" (its CPU is not counted; the client's is)
  under valgrind       `valgrind --tool=callgrind --instr-atstart=no` with SUBMIT_CPU_CALLGRIND=1:
                       instructions are counted only around the measured submits, repeatably on a busy machine.

Usage: PYTHONPATH=. .venv/bin/python bench/submit_cpu.py [--submits 400] [--concurrency 32] [--profile cprofile]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import os
import pstats
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.applications import content, sample_personal_numbers  # noqa: E402
from bench.messaging import pct  # noqa: E402
from devstack import embedded  # noqa: E402
from kit import migrations  # noqa: E402
from kit.auth import TokenVerifier  # noqa: E402
from kit.db import create_database, drop_database, plain_url  # noqa: E402
from kit.settings import database_url_for  # noqa: E402
from services.applications.app import create_app  # noqa: E402
from services.applications.settings import ApplicationsSettings  # noqa: E402
from simulators.idp.app import IdpSettings, Issuer  # noqa: E402
from simulators.idp.personas import Persona  # noqa: E402

ISSUER, AUDIENCE = "http://idp.bench", "bistand"
ROOT = Path(__file__).resolve().parent.parent


async def call(app: Any, method: str, path: str, headers: dict[str, str], body: Any = None) -> tuple[int, bytes]:
    """One request through the app's ASGI interface, as uvicorn would make it."""
    raw = orjson.dumps(body) if body is not None else b""
    head = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if body is not None:
        head += [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    return await asgi_call(app, method, path, head, raw)


async def asgi_call(app: Any, method: str, path: str, head: list[tuple[bytes, bytes]],
                    raw: bytes = b"") -> tuple[int, bytes]:
    """One request with these raw headers and body through the app's ASGI interface: (status, body)."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": head, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}
        await asyncio.Event().wait()  # a disconnect never comes
        return {}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


@contextlib.asynccontextmanager
async def database(service: str = "applications") -> AsyncIterator[tuple[str, str, Path | None]]:
    """(server URL, database URL, server log or None): a fresh database migrated for ``service``, dropped after."""
    pgdata = None
    server = os.environ.get("DATABASE_URL")
    if not server:
        pgdata = ROOT / ".data" / f"bench-cpu-postgres-{uuid.uuid4().hex[:6]}"
        server = embedded.start(pgdata, durable=False)
    name = f"bench_cpu_{uuid.uuid4().hex[:8]}"
    await create_database(server, name)
    url = database_url_for(server, name)
    try:
        await migrations.upgrade_async(service, url)
        yield server, url, (pgdata / "server.log") if pgdata else None
    finally:
        await drop_database(server, name)
        if pgdata is not None:
            embedded.stop(pgdata)
            shutil.rmtree(pgdata, ignore_errors=True)


def token(issuer: Issuer, pnr: str) -> str:
    persona = Persona(key=f"client-{pnr}", name="Testklient", roles=("client",), personal_number=pnr)
    return issuer.persona_token(persona, ttl=7200)


async def prepare(app: Any, issuer: Issuer, households: int, months: int) -> list[tuple[dict[str, str], list[str]]]:
    """Signed, complete drafts: ``months`` per household."""
    out = []
    for pnr in sample_personal_numbers(households):
        headers = {"Authorization": f"Bearer {token(issuer, pnr)}"}
        cases = []
        for n in range(months):
            status, body = await call(app, "POST", "/applications", headers,
                                      content(pnr, f"{2020 + n // 12}-{n % 12 + 1:02d}"))
            assert status == 201, body
            case_id = orjson.loads(body)["id"]
            status, body = await call(app, "POST", f"/applications/{case_id}/signatures", headers)
            assert status == 201, body
            cases.append(case_id)
        out.append((headers, cases))
    return out


async def submit_all(app: Any, households: list[tuple[dict[str, str], list[str]]],
                     limit: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    left = limit

    async def client(headers: dict[str, str], cases: list[str]) -> None:
        nonlocal errors, left
        while cases and left > 0:
            case_id = cases.pop()  # each draft is submitted once
            left -= 1
            started = time.perf_counter()
            status, body = await call(app, "POST", f"/applications/{case_id}/submit",
                                      {**headers, "Idempotency-Key": str(uuid.uuid4())})
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200:
                errors += 1
                if errors == 1:
                    print("first error:", status, body[:300].decode(errors="replace"), file=sys.stderr)

    await asyncio.gather(*(client(h, c) for h, c in households))
    return latencies, errors


def callgrind(on: bool, variable: str = "SUBMIT_CPU_CALLGRIND") -> None:
    """Switch callgrind's counting on or off when this runs under it (``variable``=1)."""
    if os.environ.get(variable):
        subprocess.run(["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],
                       check=True, capture_output=True)


def tail(log: Path, offset: int) -> str:
    with log.open("rb") as f:
        f.seek(offset)
        return f.read().decode(errors="replace")


async def show_statements(server: str, db_url: str, log: Path | None, app: Any,
                          households: list[tuple[dict[str, str], list[str]]]) -> None:
    if log is None:
        print("--statements needs the embedded server (unset DATABASE_URL)")
        return
    name = db_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(plain_url(server))
    try:
        await admin.execute(f'ALTER DATABASE "{name}" SET log_statement = \'all\'')
    finally:
        await admin.close()
    # New connections pick the setting up: drop the pool's.
    await app.state.kit.engine.dispose()
    before = len(tail(log, 0))
    headers, cases = households[-1]
    status, _ = await call(app, "POST", f"/applications/{cases.pop()}/submit",
                           {**headers, "Idempotency-Key": str(uuid.uuid4())})
    await asyncio.sleep(0.3)
    lines = tail(log, before).splitlines()
    statements = [re.sub(r"\s+", " ", line.split("LOG:", 1)[1]).strip()[:150] for line in lines
                  if "LOG:" in line and ("statement:" in line or "execute" in line)]
    print(f"statements for one submit (status {status}): {len(statements)}")
    for s in statements:
        print("  ", s)


RECEIVER = """
import asyncio, json, sys

async def serve(reader, writer):
    while not reader.at_eof():
        try:
            head = await reader.readuntil(b"\\r\\n\\r\\n")
        except asyncio.IncompleteReadError:
            return
        length = 0
        for line in head.split(b"\\r\\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        body = await reader.readexactly(length)
        if head.startswith(b"POST /events/batch "):  # every event of the batch taken, as messaging answers
            results = [{"id": e["id"], "status": "accepted"} for e in json.loads(body)["events"]]
            out = json.dumps({"results": results}).encode()
            writer.write(b"HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\ncontent-length: %d\\r\\n\\r\\n%s"
                         % (len(out), out))
        else:
            writer.write(ANSWER)

ANSWER = (b"HTTP/1.1 204 No Content\\r\\ncontent-length: 0\\r\\n\\r\\n" if len(sys.argv) < 3 else
          b"HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\ncontent-length: %d\\r\\n\\r\\n%s"
          % (len(sys.argv[2]), sys.argv[2].encode()))

async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]))
    async with server:
        await server.serve_forever()

asyncio.run(main())
"""


@contextlib.contextmanager
def receiver(answer: str | None = None) -> Iterator[str]:
    """A stand-in for messaging's POST /events in its own process: every event is taken (204; a batch to
    /events/batch: 200, every event accepted). With ``answer``:
    every request gets 200 with that JSON body (the registers' protection answer)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port),  # noqa: S603 - our own code
                                *([answer] if answer is not None else [])])
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.1):
                break
            time.sleep(0.05)  # the receiver is starting
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait()


async def delivered(db_url: str, messaging_url: str | None) -> None:
    """Wait until the relay has delivered every event (when it runs)."""
    if messaging_url is None:
        return
    conn = await asyncpg.connect(plain_url(db_url))
    try:
        # The relay runs in this process and signals nothing: ask the table.
        # (The decision proposal's job rows are the service's own, not the relay's: the jobs are off here.)
        while await conn.fetchval("SELECT count(*) FROM outbox WHERE delivered_at IS NULL "  # noqa: ASYNC110
                                  "AND topic NOT LIKE 'applications.job.%'"):
            await asyncio.sleep(0.02)
    finally:
        await conn.close()


async def main(args: argparse.Namespace) -> None:
    issuer = Issuer(IdpSettings(issuer=ISSUER, audience=AUDIENCE))

    async def jwks() -> dict[str, Any]:
        return issuer.keys.jwks()

    async with database() as (server, db_url, log):
        relay = receiver() if args.relay else contextlib.nullcontext(None)
        with relay as messaging_url, receiver('{"protected":[]}') as registers_url:
            await measure(args, issuer, jwks, server, db_url, log, messaging_url, registers_url)


class StaticToken:
    """The registers stand-in checks no token."""

    async def token(self) -> str:
        return "bench"


async def measure(args: argparse.Namespace, issuer: Issuer, jwks: Any, server: str, db_url: str, log: Path | None,
                  messaging_url: str | None, registers_url: str) -> None:
    settings = ApplicationsSettings(database_url=db_url, auth_issuer=ISSUER, auth_audience=AUDIENCE,
                                    months_ahead=36, relay_enabled=messaging_url is not None,
                                    messaging_url=messaging_url, registers_url=registers_url,
                                    proposal_jobs_enabled=False, housekeeping_enabled=False,
                                    db_pool_size=args.concurrency, log_level="WARNING")
    app = create_app(settings, verifier=TokenVerifier(issuer=ISSUER, audience=AUDIENCE, fetch_jwks=jwks),
                     registers_tokens=StaticToken())
    async with app.router.lifespan_context(app):
        per_household = -(-(args.submits + args.warmup) // args.concurrency) + 1
        made = time.perf_counter()
        households = await prepare(app, issuer, args.concurrency, per_household)
        print(f"prepared {args.concurrency * per_household} signed drafts in {time.perf_counter() - made:.1f} s")
        await submit_all(app, households, args.warmup)  # warm caches (tokens, statements, pool)
        await delivered(db_url, messaging_url)
        # CPU time, not wall time: on a busy machine a descheduled send() would look like our cost.
        profiler = cProfile.Profile(time.process_time) if args.profile == "cprofile" else None
        cpu, wall = time.process_time(), time.perf_counter()
        callgrind(True)
        if profiler:
            profiler.enable()
        latencies, errors = await submit_all(app, households, args.submits)
        await delivered(db_url, messaging_url)  # the relay's work for these submits is counted too
        if profiler:
            profiler.disable()
        callgrind(False)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        n = len(latencies)
        print(f"{n} submits, {args.concurrency} concurrent, errors {errors}: CPU {cpu / n * 1000:.2f} ms per "
              f"submit (this process, PostgreSQL not included), {n / wall:.0f} submits/s, "
              f"p50 {pct(latencies, 50):.1f} ms, p99 {pct(latencies, 99):.1f} ms")
        if profiler:
            if args.profile_out:
                profiler.dump_stats(args.profile_out)
            stats = pstats.Stats(profiler).strip_dirs()
            stats.sort_stats("tottime").print_stats(args.top)
        if args.statements:
            await show_statements(server, db_url, log, app, households)
        await app.state.kit.engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submits", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=64)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--profile", choices=("none", "cprofile"), default="none")
    parser.add_argument("--profile-out", help="write the cProfile stats to this file")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--statements", action="store_true")
    parser.add_argument("--relay", action="store_true")
    uvloop.run(main(parser.parse_args()))  # the loop the services run on (devstack/stack.py)
