"""Submitting complete monthly applications through the gateway, 32 concurrent clients.

Each household is a test personnummer logged in through the dev IdP (--households, 48). Before the clock
starts, every household gets complete, signed drafts, one per month; then 32 clients take the drafts in turn,
month by month across the households, and submit them back to back (POST /applications/{id}/submit with an
Idempotency-Key) through the gateway for --seconds. A submit validates completeness and signatures, moves the
case, writes history, audit and the outbox event to messaging in one transaction. Prints submits/s and
p50/p95/p99; the outbox relay delivers to the messaging service while the load runs, as it would in production.
Each submit also writes its decision proposal job (--no-proposals leaves the jobs off). While requests are in
flight the service makes 2 proposals at once, so at this load most wait until it is over: the bench prints how
many were made during the load and when the last one was, and counts their CPU in the cost per submit.

The load generator is wrk when installed (apt-get install wrk): a Lua script takes the drafts, written to a file by
the preparation, one after the other (each request the next draft not yet submitted, with its household's token and
a fresh Idempotency-Key) and reports the latency percentiles and the non-2xx answers from its done(). Without wrk
(or with --aiohttp) the clients are aiohttp loops in this process, taking the drafts in the same order. wrk costs
far less CPU per request than Python, and that CPU is not there for the services on a shared machine. Concurrent
requests may belong to one household (different months); with wrk the submitted cases in the database are counted
against the requests wrk sent.

--rate 50,100,150 measures the other way round: submits arriving at a set rate (Poisson arrivals), however many
are in flight, one phase per rate; each latency counts from when the submit was due. That is the load of a month's
first days (many households, each submitting now and then) rather than 32 clients waiting for their answers, and
it shows the rate up to which the latency stays low. --replicas 2 runs two processes of each service.

The closed loop also prints the PostgreSQL connections opened during the load (pg_stat_database.sessions): the
pool's overflow opens and closes them, each a new backend. --pool sets the applications service's pool (20 here).

Figures, not pass/fail: gateway, services, PostgreSQL and the load generator share this machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import re
import resource
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import asyncpg
import httpx
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.messaging import pct  # noqa: E402
from bench.stack import running  # noqa: E402
from devstack.stack import url  # noqa: E402
from kit.db import plain_url  # noqa: E402
from kit.settings import KitSettings  # noqa: E402


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
    """``connections`` clients take the drafts in turn, month by month across the households (as wrk does)."""
    latencies: list[float] = []
    errors = 0
    ran_out = 0
    deadline = time.perf_counter() + seconds
    drafts = iter(in_turn(households))

    async def client(http: aiohttp.ClientSession) -> None:
        nonlocal errors, ran_out
        for headers, case_id in drafts:
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
        await asyncio.gather(*(client(http) for _ in range(connections)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies, errors, ran_out


def in_turn(households: list[tuple[dict[str, str], list[str]]]) -> list[tuple[dict[str, str], str]]:
    """(headers, case id) month by month across the households: the first requests are one per household."""
    longest = max(len(cases) for _, cases in households)
    return [(headers, cases[month]) for month in range(longest) for headers, cases in households
            if month < len(cases)]


async def open_loop_load(api: str, households: list[tuple[dict[str, str], list[str]]], seconds: float, rate: float,
                         skip: int = 0) -> tuple[float, list[float], int, int]:
    """Submits arriving at ``rate`` per second (Poisson arrivals, a fixed seed), however many are in flight: the
    load of many clients each submitting now and then, not of 32 waiting for their answers. Each latency runs from
    the moment the submit was due, so a generator that falls behind is not hidden. ``skip``: drafts already used."""
    drafts = in_turn(households)[skip:]
    arrivals = random.Random(1)
    latencies: list[float] = []
    errors = 0

    async def one(http: aiohttp.ClientSession, headers: dict[str, str], case_id: str, due: float) -> None:
        nonlocal errors
        async with http.post(f"{api}/applications/{case_id}/submit",
                             headers={**headers, "Idempotency-Key": str(uuid.uuid4())}) as response:
            body = await response.read()
            if response.status != 200:
                errors += 1
                print(f"  unexpected {response.status}: {body[:300].decode(errors='replace')}", file=sys.stderr)
        latencies.append((time.perf_counter() - due) * 1000)

    tasks = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        started = due = time.perf_counter()
        for headers, case_id in drafts:
            due += arrivals.expovariate(rate)
            if due - started >= seconds:
                break
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)  # the next arrival's time: this is the load's clock, not a test's sleep
            tasks.append(asyncio.create_task(one(http, headers, case_id, due)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    ran_out = int(len(tasks) == len(drafts))
    return len(tasks) / elapsed, latencies, errors, ran_out


# Each request submits the next draft (a line "token case-id" of the file the preparation wrote), with a fresh
# Idempotency-Key (this run's prefix and the request's number). done() prints one JSON line: wrk's counts, the
# requests sent (answered or in flight when wrk stopped), the non-2xx answers and the percentiles in ms.
_WRK_SUBMIT = r"""
-- sent, non2xx and ran_out are globals: done() reads them from each thread with thread:get().
local drafts = {}
sent, non2xx, ran_out = 0, 0, 0
local prefix, run
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

init = function(args)
  for line in io.lines(args[1]) do
    local token, case = line:match("^(%S+) (%S+)$")
    drafts[#drafts + 1] = {"Bearer " .. token, case}
  end
  prefix, run = args[2], args[3]
end

local function submit(draft, n)
  return wrk.format("POST", prefix .. "/applications/" .. draft[2] .. "/submit",
                    {["Authorization"] = draft[1], ["Idempotency-Key"] = run .. "-" .. n}, "")
end

local checked = false

request = function()
  if not checked then
    -- wrk calls request() once in its first thread's state before the run, to check the script
    -- (wrk.c: script_verify_request); that request is never sent, so it takes no draft. (One thread: -t 1.)
    checked = true
    return submit(drafts[1], 0)
  end
  local draft = drafts[sent + 1]
  if draft == nil then  -- every draft is submitted: stop here rather than submit one twice
    ran_out = 1
    wrk.thread:stop()
    return submit(drafts[#drafts], 0)
  end
  sent = sent + 1
  return submit(draft, sent)
end

response = function(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

done = function(summary, latency, requests)
  local sent_all, non2xx_all, ran_out_all = 0, 0, 0
  for _, thread in ipairs(threads) do
    sent_all = sent_all + thread:get("sent")
    non2xx_all = non2xx_all + thread:get("non2xx")
    ran_out_all = ran_out_all + thread:get("ran_out")
  end
  local e = summary.errors
  io.write(string.format('{"requests": %d, "seconds": %f, "sent": %d, "non2xx": %d, "ran_out": %d, '
    .. '"socket_errors": %d, "p50": %f, "p95": %f, "p99": %f}\n',
    summary.requests, summary.duration / 1e6, sent_all, non2xx_all, ran_out_all,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


async def submit_load_wrk(api: str, households: list[tuple[dict[str, str], list[str]]], seconds: float,
                          connections: int) -> dict[str, float]:
    """The submits made by wrk: its JSON report (requests answered, sent, non2xx, socket errors, p50/p95/p99)."""
    base, _, prefix = api.partition("/api/")
    # Month by month across the households, as the aiohttp clients go.
    lines = [f"{headers['Authorization'].removeprefix('Bearer ')} {case_id}"
             for headers, case_id in in_turn(households)]
    with tempfile.TemporaryDirectory() as folder:
        drafts, script = _write_inputs(Path(folder), lines)
        process = await asyncio.create_subprocess_exec(
            "wrk", "-t", "1", "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "--timeout", "30s",
            "-s", str(script), f"{base}/", "--", str(drafts), f"/api/{prefix}", uuid.uuid4().hex,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}): {err.decode(errors='replace')[-500:]}")
    return json.loads(out.decode().strip().splitlines()[-1])


def _write_inputs(folder: Path, lines: list[str]) -> tuple[Path, Path]:
    drafts, script = folder / "drafts.txt", folder / "submit.lua"
    drafts.write_text("\n".join(lines) + "\n")
    script.write_text(_WRK_SUBMIT)
    return drafts, script


POOL_OVERFLOW = KitSettings.model_fields["db_max_overflow"].default


async def sessions_opened(stack) -> int:
    """Connections ever opened to the stack's databases (pg_stat_database.sessions, PostgreSQL 14 and later)."""
    conn = await asyncpg.connect(plain_url(stack.database_urls["applications"]))
    try:
        return int(await conn.fetchval("SELECT coalesce(sum(sessions), 0) FROM pg_stat_database "
                                       "WHERE datname = ANY($1::text[])",
                                       [make_url(u).database for u in stack.database_urls.values()]))
    finally:
        await conn.close()


async def submitted_cases(stack, expected: int | None = None, wait_seconds: float = 30.0) -> int:
    """Cases submitted in the applications database; with ``expected``: once that many are (requests wrk left in
    flight are still being done), or whatever is there after ``wait_seconds``."""
    conn = await asyncpg.connect(plain_url(stack.database_urls["applications"]))
    deadline = time.perf_counter() + wait_seconds
    try:
        while True:
            count = int(await conn.fetchval("SELECT count(*) FROM cases WHERE submitted_at IS NOT NULL"))
            if expected is None or count >= expected or time.perf_counter() > deadline:
                return count
            await asyncio.sleep(0.05)  # the service runs in another process: ask its table
    finally:
        await conn.close()


def children_cpu() -> float:
    """CPU used by this process's ended children (wrk, once it has been waited for)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


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
    used["load generator"] = times.user + times.system + children_cpu()  # wrk, when it ran, is a child
    return used


async def drained(stack, jobs: bool = False) -> float:
    """Seconds until the applications outbox has no undelivered event (``jobs``: no undelivered job instead; the
    jobs are left alone by default: when the proposals are off, nothing runs them)."""
    started = time.perf_counter()
    conn = await asyncpg.connect(plain_url(stack.database_urls["applications"]))
    try:
        # (The service's own jobs, the decision proposals, are the topics applications.job.*.)
        while await conn.fetchval("SELECT count(*) FROM outbox WHERE delivered_at IS NULL "  # noqa: ASYNC110
                                  "AND (topic LIKE 'applications.job.%') = $1", jobs):
            await asyncio.sleep(0.05)  # the relay runs in another process: ask its table
    finally:
        await conn.close()
    return time.perf_counter() - started


async def jobs_done(stack) -> tuple[int, int]:
    """(proposal jobs done, proposal jobs written) in the applications outbox."""
    conn = await asyncpg.connect(plain_url(stack.database_urls["applications"]))
    try:
        row = await conn.fetchrow("SELECT count(*) FILTER (WHERE delivered_at IS NOT NULL), count(*) FROM outbox "
                                  "WHERE topic LIKE 'applications.job.%'")
    finally:
        await conn.close()
    return int(row[0]), int(row[1])


async def bench(stack, args) -> None:
    gateway = f"{url(stack.ports.gateway)}/api/applications"
    idp = url(stack.ports.idp)
    made = time.perf_counter()
    households = await prepare(gateway, idp, args.households, args.months)
    print(f"prepared {args.households * args.months} signed drafts in {time.perf_counter() - made:.1f} s")
    if args.rate:
        await open_loop_phases(stack, gateway, households, args)
        return
    use_wrk = not args.aiohttp and shutil.which("wrk") is not None
    submitted_before = await submitted_cases(stack)
    sessions_before = await sessions_opened(stack)
    before = cpu_seconds(stack)
    if use_wrk:
        report = await submit_load_wrk(gateway, households, args.seconds, args.connections)
        count = int(report["requests"])
        rate = count / report["seconds"]
        p50, p95, p99 = report["p50"], report["p95"], report["p99"]
        errors = int(report["non2xx"] + report["socket_errors"])
        ran_out = int(report["ran_out"])
        tool = "wrk (one thread, Lua script)"
        # wrk counts the answers it read; requests in flight when it stopped were sent and are done by the service.
        submitted = await submitted_cases(stack, submitted_before + int(report["sent"])) - submitted_before
    else:
        rate, latencies, errors, ran_out = await submit_load(gateway, households, args.seconds, args.connections)
        count = len(latencies)
        p50, p95, p99 = pct(latencies, 50), pct(latencies, 95), pct(latencies, 99)
        tool = "aiohttp in this process" + ("" if args.aiohttp else " (wrk is not installed)")
    # The events of these submits, and their proposals, are part of their cost: count the work until it is done.
    proposals = None if args.no_proposals else await jobs_done(stack)
    backlog = await drained(stack)
    # (Counted from the load's end, as the relay's figure: the jobs are waited for once the events are through.)
    proposals_backlog = 0.0 if args.no_proposals else backlog + await drained(stack, jobs=True)
    after = cpu_seconds(stack)
    opened = await sessions_opened(stack) - sessions_before - 1  # (less this bench's own reading)
    clients = "the households' drafts in turn"
    print(f"POST /applications/{{id}}/submit through the gateway, {args.connections} concurrent clients "
          f"({clients}), {args.seconds:.0f} s; gateway, services, PostgreSQL and load generator share the machine")
    print(f"  load generator: {tool}")
    print(f"  {rate:7.0f} submits/s   p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   "
          f"p99 {p99:6.1f} ms   ({count} submits, errors {errors})")
    if use_wrk:
        print(f"  wrk sent {report['sent']} submits ({count} answered, {report['sent'] - count} in flight at the "
              f"stop; non-2xx {report['non2xx']}, socket errors {report['socket_errors']}); cases submitted in "
              f"the database: {submitted}" + ("" if submitted == report["sent"] else "   MISMATCH"))
    print(f"  the outbox relay caught up {backlog:.1f} s after the load (its work until then is counted below)")
    if proposals is not None:
        # While requests are in flight the replica runs 2 proposals at once
        # (APPLICATIONS_PROPOSAL_JOB_BUSY_CONCURRENCY): at the peak they fall behind, then catch up at 16 at once.
        print(f"  decision proposals: {proposals[0]} of {proposals[1]} made during the load, all "
              f"{proposals_backlog:.1f} s after it (their work is counted below)")
    # Each new connection is a new PostgreSQL backend (its start-up, and its statements prepared again) whose CPU
    # the figure below misses if it ended during the load: the pool's overflow opens and closes them.
    print(f"  PostgreSQL connections opened during the load: {opened} (the applications pool: "
          f"{args.pool} + {POOL_OVERFLOW} overflow)")
    # (Backends that ended during the load are not counted: PostgreSQL's figure is a floor.)
    # With wrk, the work done is the cases submitted (those in flight at its stop included), not the answers read.
    done = submitted if use_wrk else count
    included = "its event" if args.no_proposals else "its event and proposal"
    print(f"  CPU per submit, {included} included, by process (ms):  " + "   ".join(
        f"{name} {(after[name] - before.get(name, 0.0)) / max(done, 1) * 1000:.2f}"
        for name in sorted(after, key=lambda n: before.get(n, 0.0) - after[n])
        if after[name] - before.get(name, 0.0) > 0.005))
    if ran_out:
        who = "wrk" if use_wrk else f"{ran_out} clients"
        print(f"  note: {who} ran out of drafts before the time was up; raise --months")


async def open_loop_phases(stack, gateway: str, households: list[tuple[dict[str, str], list[str]]], args) -> None:
    """One phase per rate (--rate): submits arriving at that rate for --seconds, then the relay's catch-up."""
    print(f"POST /applications/{{id}}/submit through the gateway, arriving at a set rate (Poisson, however many in "
          f"flight) for {args.seconds:.0f} s per rate after a 2 s warm-up, {args.replicas} replica(s) of each "
          "service; latency from the moment each submit was due; the load generator is aiohttp in this process")
    print("| arrivals/s | done/s | p50 ms | p95 ms | p99 ms | errors | relay caught up after | proposals all made "
          "after |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    # A short unmeasured warm-up at the first rate: the first requests open connections and fill caches.
    _, warm, _, _ = await open_loop_load(gateway, households, 2.0, args.rate[0])
    used = len(warm)
    await drained(stack)
    if not args.no_proposals:
        await drained(stack, jobs=True)
    for rate in args.rate:
        done, latencies, errors, ran_out = await open_loop_load(gateway, households, args.seconds, rate, skip=used)
        used += len(latencies)
        backlog = await drained(stack)
        proposals = "off" if args.no_proposals else f"{backlog + await drained(stack, jobs=True):.1f} s"
        print(f"| {rate:g} | {done:.0f} | {pct(latencies, 50):.1f} | {pct(latencies, 95):.1f} | "
              f"{pct(latencies, 99):.1f} | {errors} | {backlog:.1f} s | {proposals} |"
              + ("  (ran out of drafts: raise --months)" if ran_out else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--months", type=int, default=100, help="signed drafts per household, one per month "
                        "from 2020-01 (the service takes months up to 36 ahead here)")
    parser.add_argument("--households", type=int, default=48, help="households with drafts (wrk takes their drafts "
                        "in turn; more than --connections, so a fast machine does not run out within --seconds)")
    parser.add_argument("--aiohttp", action="store_true", help="the aiohttp clients in this process even when wrk "
                        "is installed")
    parser.add_argument("--no-proposals", action="store_true", help="leave the decision proposal jobs off: the "
                        "submit alone, as before every submission made one")
    parser.add_argument("--replicas", type=int, default=1, help="processes of each service (the gateway takes "
                        "turns between them, as with BISTAND_REPLICAS=2)")
    parser.add_argument("--pool", type=int, default=20, help="the applications service's pool of database "
                        "connections (APPLICATIONS_DB_POOL_SIZE; overflow as configured, 10 by default)")
    parser.add_argument("--rate", type=lambda v: [float(r) for r in v.split(",")], default=None,
                        help="open loop instead of 32 waiting clients: submits arriving at these rates per second, "
                        "one phase each (e.g. 50,100,150)")
    args = parser.parse_args()
    started = time.perf_counter()
    with running(services=("applications", "calculation", "messaging", "registers"),
                 # Each household's drafts run month after month from 2020-01: allow months far ahead.
                 extra_env={"APPLICATIONS_DB_POOL_SIZE": str(args.pool), "APPLICATIONS_MONTHS_AHEAD": "36",
                            "APPLICATIONS_PROPOSAL_JOBS_ENABLED": str(not args.no_proposals).lower()},
                 replicas=args.replicas) as (stack, _token):
        asyncio.run(bench(stack, args))
    print(f"(bench ran {time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
