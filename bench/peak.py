"""The month's peak, measured: a mixed load through the gateway, two replicas of every service.

The whole system starts on loopback (free ports, its own embedded PostgreSQL and databases, so it does not collide
with `make run`): the gateway, two processes of each service, the dev IdP and the SMS simulator. Everything the load
needs is seeded through the gateway first: --households households per virtual user, each with last month's
application submitted, calculated and decided by a caseworker, and a thread with unit Nord; unit Nord's booking
settings, a meeting type clients book themselves, and weekly hours for its two caseworkers.

Then --clients virtual users run for --seconds, back to back (no think time), each picking its next step weighted
like the first days of a month (WEIGHTS):
  - the monthly re-application: create it (prefilled from the last one), confirm the incomes and declare the assets
    (save the draft), sign, submit. A household applies once a month, so a user acts for its households in turn,
    and each walks on month by month (this month, the next, ...: the same work as this month's);
  - a trial calculation (public, no login);
  - a message to the unit, then reading the thread's latest messages;
  - a meeting: search the free times, book one (another user taking it first is an expected 409), then cancel it
    again so the unit's calendar does not fill up during the run;
  - staff (Karin, Maja, Tove in turn) opening the work queue.

Reported per request: count, requests/s, p50/p95/p99 and errors (anything but the expected answer, by status; the
goal is 0), then the resident memory of every process at the end, then where the time goes: tracing costs time,
so the measured pass runs without it, and afterwards the services and the gateway restart with OpenTelemetry on
(OTLP/HTTP to a receiver in this process, --trace-ratio of the traces) for a short traced pass of the same mix
(--trace-seconds). Its spans give the mean time per service span and database time, and for the slowest
request (the submit, as a rule) the time per span with its own ("self") share.

Prints markdown tables (paste them into the README) and exits 1 when any request got an unexpected answer (in any
pass, the warm-up and the traced one included).
Figures, not pass/fail: load generator, gateway, services and PostgreSQL share this machine's cores.
Usage: .venv/bin/python bench/peak.py [--seconds 30] [--clients 32]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import datetime as dt
import http.server
import os
import random
import re
import sys
import threading
import time
import uuid
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.applications import sample_personal_numbers  # noqa: E402
from bench.messaging import pct  # noqa: E402
from bench.stack import _free_port, running  # noqa: E402
from devstack.stack import SERVICES, Stack, url  # noqa: E402

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")
UNIT = "nord"
STAFF = ("karin", "maja", "tove")
CASEWORKERS = ("karin", "maja")
HOURS = [{"weekday": d, "start": a, "end": b} for d in range(5) for a, b in (("08:00", "12:00"), ("13:00", "16:00"))]
# What a virtual user does next, weighted like the first days of a month: many re-applications and trial calculations.
WEIGHTS = {"reapply": 30, "trial": 30, "message": 15, "meeting": 10, "queue": 15}
ENV = {
    "APPLICATIONS_MONTHS_AHEAD": "36",  # each household walks on month by month (see the docstring)
    "MESSAGING_SENDER_RATE_PER_MINUTE": "100000000", "MESSAGING_SENDER_RATE_PER_HOUR": "100000000",
    "GATEWAY_UPSTREAM_POOL_SIZE": "500", "IDP_TOKEN_TTL_SECONDS": "7200",
}

# Each request the load makes: (service, method, path pattern as the traces show it). The row label is the key.
OPS: dict[str, tuple[str, str, str]] = {
    "monthly: create": ("applications", "POST", r"/applications/monthly$"),
    "monthly: save draft": ("applications", "PUT", r"/applications/[^/]+$"),
    "monthly: sign": ("applications", "POST", r"/applications/[^/]+/signatures$"),
    "monthly: submit": ("applications", "POST", r"/applications/[^/]+/submit$"),
    "trial calculation": ("calculation", "POST", r"/trial$"),
    "message: send": ("messaging", "POST", r"/threads/[^/]+/messages$"),
    "message: read thread": ("messaging", "GET", r"/threads/[^/]+/messages$"),
    "meeting: free times": ("meetings", "GET", r"/slots$"),
    "meeting: book": ("meetings", "POST", r"/bookings$"),
    "meeting: cancel": ("meetings", "POST", r"/bookings/[^/]+/cancel$"),
    "staff: work queue": ("applications", "GET", r"/queue$"),
}


def month_of(today: dt.date, offset: int) -> str:
    n = today.year * 12 + today.month - 1 + offset
    return f"{n // 12}-{n % 12 + 1:02d}"


def first_content(pnr: str, period: str) -> dict[str, Any]:
    return {"kind": "first", "period": period, "household": {"applicant": {"personal_number": pnr}},
            "housing": {"type": "rental", "rent": 6200, "household_size": 1},
            "incomes": {"items": [{"type": "aktivitetsstod", "member": "applicant", "amount": 2400}]},
            "costs": [{"type": "household_electricity", "amount": 300}], "assets": {"none_declared": True},
            "plan": {"activities": [{"member": "applicant", "status": "registered_at_af"}]}}


@dataclass
class Household:
    headers: dict[str, str]
    thread: str
    months: list[str]  # the months it may still apply for, in order
    last_seq: int = 0


@dataclass
class User:
    """A virtual user: the households it acts for in turn (a household applies once a month, so one is not enough
    for a run of many re-applications)."""

    households: list[Household]
    turn: int = 0

    def next(self) -> Household:
        self.turn += 1
        return self.households[self.turn % len(self.households)]


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    expected: dict[str, collections.Counter[int]] = field(
        default_factory=lambda: collections.defaultdict(collections.Counter))
    errors: dict[str, collections.Counter[int]] = field(
        default_factory=lambda: collections.defaultdict(collections.Counter))
    examples: dict[tuple[str, int], str] = field(default_factory=dict)
    out_of_months: int = 0


class Load:
    """Requests through the gateway, each timed and judged under its row of OPS."""

    def __init__(self, http: aiohttp.ClientSession, api: str, tally: Tally | None) -> None:
        self.http, self.api, self.tally = http, api, tally

    async def call(self, op: str, method: str, path: str, ok: int, *, also: tuple[int, ...] = (),
                   marks: tuple[bytes, ...] = (), **kwargs: Any) -> tuple[int, Any, Any]:
        """``also``: statuses that are an expected outcome (not an error) when the answer carries one of ``marks``
        (a problem type such as slot-taken)."""
        started = time.perf_counter()
        try:
            async with self.http.request(method, f"{self.api}{path}", **kwargs) as response:
                raw = await response.read()
                status, headers = response.status, response.headers
        except (TimeoutError, aiohttp.ClientError) as exc:
            raw, status, headers = repr(exc).encode(), 599, {}
        if self.tally is not None:
            self.tally.latencies[op].append((time.perf_counter() - started) * 1000)
            if status in also and any(m in raw for m in marks):
                self.tally.expected[op][status] += 1
            elif status != ok:
                self.tally.errors[op][status] += 1
                self.tally.examples.setdefault((op, status), raw[:300].decode(errors="replace"))
        body = None
        if status in (ok, *also) and raw[:1] in (b"{", b"["):
            import orjson

            body = orjson.loads(raw)
        return status, body, headers


# --- the virtual users' steps -------------------------------------------------------------------------------

async def reapply(load: Load, u: User, _rng: random.Random, _ctx: dict[str, Any]) -> None:
    h = max(u.households, key=lambda h: len(h.months))
    if not h.months:
        if load.tally is not None:
            load.tally.out_of_months += 1
        return
    month = h.months.pop(0)
    status, case, headers = await load.call("monthly: create", "POST", "/applications/applications/monthly", 201,
                                            json={"month": month}, headers=h.headers)
    if status != 201:
        return
    content = case["content"]
    for income in (content.get("incomes") or {}).get("items", []):
        income["needs_confirmation"] = False  # the client confirms last month's amounts
    content["assets"] = {"none_declared": True}
    path = f"/applications/applications/{case['id']}"
    status, _, _ = await load.call("monthly: save draft", "PUT", path, 200, json=content,
                                   headers={**h.headers, "If-Match": headers["ETag"]})
    if status != 200:
        return
    status, _, _ = await load.call("monthly: sign", "POST", f"{path}/signatures", 201, headers=h.headers)
    if status != 201:
        return
    await load.call("monthly: submit", "POST", f"{path}/submit", 200,
                    headers={**h.headers, "Idempotency-Key": str(uuid.uuid4())})


async def trial(load: Load, _u: User, rng: random.Random, _ctx: dict[str, Any]) -> None:
    body = {"adults": rng.choice((1, 1, 2)), "rent": rng.randrange(3000, 12000, 100),
            "children": [{"age": rng.randrange(0, 18), "lunch_at_home": rng.random() < 0.5}
                         for _ in range(rng.choice((0, 0, 1, 2, 3)))],
            "household_electricity": 300, "wages_net": rng.choice((0, 0, 2500, 6000))}
    await load.call("trial calculation", "POST", "/calculation/trial", 200, json=body)


async def message(load: Load, u: User, rng: random.Random, _ctx: dict[str, Any]) -> None:
    h = u.next()
    path = f"/messaging/threads/{h.thread}/messages"
    status, sent, _ = await load.call("message: send", "POST", path, 201, headers=h.headers, json={
        "body": f"Hej! Jag undrar när min ansökan blir klar. Fråga {rng.randrange(10_000)}."})
    if status == 201 and isinstance(sent, dict) and isinstance(sent.get("seq"), int):
        h.last_seq = sent["seq"]
    # the client app shows the latest messages of the thread
    await load.call("message: read thread", "GET", path, 200, headers=h.headers,
                    params={"after_seq": max(0, h.last_seq - 20), "limit": 50})


async def meeting(load: Load, u: User, rng: random.Random, ctx: dict[str, Any]) -> None:
    h = u.next()
    status, found, _ = await load.call("meeting: free times", "GET", "/meetings/slots", 200, headers=h.headers,
                                       params={"meeting_type_id": ctx["meeting_type"]})
    if status != 200:
        return
    # A time after the cut-off for clients' changes (24 h), so the client may cancel it again.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=30)
    slots = [s for s in found["slots"] if dt.datetime.fromisoformat(s["start"]) > later][:60]
    if not slots:
        return
    slot = rng.choice(slots)
    status, booked, headers = await load.call(
        "meeting: book", "POST", "/meetings/bookings", 201, also=(409,), marks=(b"slot-taken", b"slot-unavailable"),
        headers=h.headers,
        json={"meeting_type_id": ctx["meeting_type"], "caseworker_id": slot["caseworker_id"],
              "start": slot["start"], "channel": "phone"})
    if status != 201:
        return
    await load.call("meeting: cancel", "POST", f"/meetings/bookings/{booked['id']}/cancel", 200, json={},
                    headers={**h.headers, "If-Match": headers["ETag"]})


async def queue(load: Load, _u: User, rng: random.Random, ctx: dict[str, Any]) -> None:
    staff = ctx["staff"][rng.randrange(len(ctx["staff"]))]
    await load.call("staff: work queue", "GET", "/applications/queue", 200, headers=staff,
                    params={"view": rng.choice(("unassigned", "unassigned", "all")), "limit": 50})


STEPS = {"reapply": reapply, "trial": trial, "message": message, "meeting": meeting, "queue": queue}


async def run_load(api: str, users: list[User], ctx: dict[str, Any], seconds: float,
                   tally: Tally | None, seed: int) -> float:
    deadline = time.perf_counter() + seconds
    names, weights = list(WEIGHTS), list(WEIGHTS.values())

    async def user(load: Load, u: User, rng: random.Random) -> None:
        while time.perf_counter() < deadline:
            await STEPS[rng.choices(names, weights)[0]](load, u, rng, ctx)

    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=len(users) * 2),
                                     timeout=timeout) as http:
        load = Load(http, api, tally)
        started = time.perf_counter()
        await asyncio.gather(*(user(load, u, random.Random(seed * 1000 + n)) for n, u in enumerate(users)))
        return time.perf_counter() - started


# --- seeding, through the gateway --------------------------------------------------------------------------

async def seed(api: str, idp: str, count: int, today: dt.date) -> tuple[list[Household], dict[str, Any]]:
    async with httpx.AsyncClient(timeout=60) as idp_client, aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=120)) as http:
        async def token(**params: str) -> dict[str, str]:
            answer = await idp_client.get(f"{idp}/dev/token", params=params)
            answer.raise_for_status()
            return {"Authorization": f"Bearer {answer.text.strip()}"}

        staff = {p: await token(persona=p) for p in STAFF}
        seeder = Load(http, api, None)

        async def must(method: str, path: str, ok: int, **kwargs: Any) -> tuple[Any, Any]:
            status, body, headers = await seeder.call("seed", method, path, ok, **kwargs)
            if status != ok:
                raise RuntimeError(f"seeding: {method} {path} answered {status}")
            return body, headers

        # Unit Nord's meetings: settings, a type clients book themselves, the caseworkers' weekly hours.
        await must("PUT", f"/meetings/units/{UNIT}/settings", 200, headers=staff["tove"], json={
            "client_change_cutoff_hours": 24, "min_notice_hours": 2, "reminder_offsets_minutes": [1440]})
        made, _ = await must("POST", f"/meetings/units/{UNIT}/meeting-types", 201, headers=staff["tove"], json={
            "name": "Samtal med handläggare", "kind": "in_person", "duration_minutes": 60, "buffer_after_minutes": 15,
            "channels": ["in_person", "phone"], "office_address": "Storgatan 1", "client_self_bookable": True})
        for person in CASEWORKERS:
            await must("PUT", "/meetings/caseworkers/me/hours", 200, headers=staff[person], json={"hours": HOURS})

        last_month = month_of(today, -1)
        gate = asyncio.Semaphore(8)

        async def household(pnr: str) -> Household:
            async with gate:
                me = await token(personal_number=pnr)
                case, _ = await must("POST", "/applications/applications", 201, headers=me,
                                     json=first_content(pnr, last_month))
                path = f"/applications/applications/{case['id']}"
                await must("POST", f"{path}/signatures", 201, headers=me)
                await must("POST", f"{path}/submit", 200, headers=me)
                await must("POST", f"{path}/assign", 200, headers=staff["karin"])
                await must("POST", f"{path}/calculation", 200, headers=staff["karin"])
                await must("POST", f"{path}/decision", 201, headers=staff["karin"],
                           json={"reasons_sv": "Beviljas enligt riksnormen.", "reasons_en": "Granted.",
                                 "reason_for_need": "unemployed_no_benefit"})
                thread, _ = await must("POST", "/messaging/threads", 201, headers=me,
                                       json={"subject": "Min ansökan", "unit": UNIT})
                return Household(me, thread["id"], [month_of(today, n) for n in range(0, 37)])

        households = await asyncio.gather(*(household(p) for p in sample_personal_numbers(count)))
        return list(households), {"meeting_type": made["id"], "staff": [staff[p] for p in STAFF]}


# --- memory ------------------------------------------------------------------------------------------------

def memory(stack: Stack) -> list[tuple[str, float]]:
    """Resident memory (MB) of each process; PostgreSQL's as the proportional share (PSS) of all its processes,
    since every backend maps the same shared buffers."""
    import psutil

    rows = []
    for name, process in sorted(stack.processes.items()):
        with contextlib.suppress(psutil.Error):
            rows.append((name, psutil.Process(process.pid).memory_info().rss / 2**20))
    port = re.search(r":(\d+)/", stack.database_urls["applications"])
    for candidate in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(candidate.info["cmdline"] or [])
        if candidate.info["name"] == "postgres" and port and f"-p {port[1]}" in cmdline:
            family = [candidate, *candidate.children(recursive=True)]
            total = 0.0
            for member in family:
                with contextlib.suppress(psutil.Error):
                    total += member.memory_full_info().pss
            rows.append((f"postgresql ({len(family)} processes, PSS)", total / 2**20))
            break
    return rows


# --- tracing: an OTLP/HTTP receiver in this process, and what its spans say ---------------------------------

class Receiver:
    """Keeps the raw OTLP export requests; they are decoded after the pass, not while the load runs."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.bodies.append(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", _free_port()), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def spans(self) -> list[dict[str, Any]]:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        out = []
        for body in list(self.bodies):
            export = ExportTraceServiceRequest()
            export.ParseFromString(body)
            for resource_spans in export.resource_spans:
                resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                service = resource.get("service.name", "?").removeprefix("bistand-")
                for scope_spans in resource_spans.scope_spans:
                    for s in scope_spans.spans:
                        attributes = {a.key: a.value.string_value or a.value.int_value for a in s.attributes}
                        out.append({"service": service, "trace": s.trace_id, "id": s.span_id,
                                    "parent": s.parent_span_id, "name": s.name, "kind": s.kind,
                                    "start": s.start_time_unix_nano, "end": s.end_time_unix_nano,
                                    "attributes": attributes})
        return out

    def close(self) -> None:
        self.server.shutdown()


def _path(span: dict[str, Any]) -> str:
    a = span["attributes"]
    return str(a.get("url.path") or a.get("http.target") or "")


def _method(span: dict[str, Any]) -> str:
    a = span["attributes"]
    return str(a.get("http.request.method") or a.get("http.method") or "")


_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _name(span: dict[str, Any]) -> str:
    return _ID.sub("{id}", span["name"])


def _label(span: dict[str, Any]) -> str:
    if span["attributes"].get("db.system"):
        statement = str(span["attributes"].get("db.statement") or span["name"])
        return "db: " + " ".join(statement.split())[:60]
    kind = {2: "server", 3: "client", 4: "producer"}.get(span["kind"], "internal")
    return f"{kind}: {_name(span)}"


def _self_ns(span: dict[str, Any], children: list[dict[str, Any]]) -> int:
    """The span's time not covered by any of its children (async children may overlap: their union counts)."""
    covered, cursor = 0, span["start"]
    for c in sorted(children, key=lambda c: c["start"]):
        start, end = max(c["start"], cursor), min(c["end"], span["end"])
        if end > start:
            covered += end - start
            cursor = end
    return span["end"] - span["start"] - covered


def _tree(spans: list[dict[str, Any]]) -> tuple[dict[bytes, list[dict[str, Any]]], dict[bytes, list[dict[str, Any]]]]:
    by_trace: dict[bytes, list[dict[str, Any]]] = collections.defaultdict(list)
    children: dict[bytes, list[dict[str, Any]]] = collections.defaultdict(list)
    for s in spans:
        by_trace[s["trace"]].append(s)
        if s["parent"]:
            children[s["parent"]].append(s)
    return by_trace, children


def server_table(spans: list[dict[str, Any]]) -> list[str]:
    """Every process's server spans by route: mean time, and the database statements and time under them."""
    _, children = _tree(spans)

    def db_under(span: dict[str, Any]) -> tuple[int, int]:
        count = total = 0
        pending = list(children[span["id"]])
        while pending:
            c = pending.pop()
            if c["start"] >= span["end"]:
                continue  # an outbox delivery after the answer continues the trace: not this request's work
            if c["attributes"].get("db.system"):
                count, total = count + 1, total + c["end"] - c["start"]
            pending.extend(children[c["id"]])
        return count, total

    servers: dict[tuple[str, str], list[tuple[int, int, int]]] = collections.defaultdict(list)
    for s in spans:
        if s["kind"] == 2 and not re.search(r"/(readyz|livez|metrics)$", _name(s)):
            count, db = db_under(s)
            servers[(s["service"], _name(s))].append((s["end"] - s["start"], count, db))
    lines = ["| process | server span | count | mean ms | DB statements | mean DB ms |",
             "|---|---|---:|---:|---:|---:|"]
    for (service, name), rows in sorted(servers.items(), key=lambda kv: (kv[0][0] != "gateway", kv[0])):
        n = len(rows)
        lines.append(f"| {service} | {name} | {n} | {sum(r[0] for r in rows) / n / 1e6:.1f} | "
                     f"{sum(r[1] for r in rows) / n:.1f} | {sum(r[2] for r in rows) / n / 1e6:.1f} |")
    return lines


def request_table(spans: list[dict[str, Any]], op: str, top: int = 14) -> list[str]:
    """One kind of request (a row of OPS), from its traces rooted at the gateway: per span, how often it occurs
    per request, its mean time and its own time (not covered by its children) per request and as a share."""
    by_trace, children = _tree(spans)
    _service, method, pattern = OPS[op]
    roots = [s for s in spans if s["service"] == "gateway" and s["kind"] == 2 and not s["parent"]
             and _method(s) == method and re.search(pattern, _path(s))]
    per: dict[tuple[str, str], list[int]] = collections.defaultdict(lambda: [0, 0, 0])  # count, total, self
    root_total = 0
    for root in roots:
        root_total += root["end"] - root["start"]
        for s in by_trace[root["trace"]]:
            if s["start"] >= root["end"]:
                continue  # the outbox delivery after the answer continues the trace; not this request's time
            row = per[(s["service"], _label(s))]
            row[0] += 1
            row[1] += s["end"] - s["start"]
            row[2] += _self_ns(s, [c for c in children[s["id"]] if c["start"] < root["end"]])
    n = max(len(roots), 1)
    lines = [f"{op}: {len(roots)} traced requests, mean {root_total / n / 1e6:.1f} ms at the gateway; "
             f"the {top} spans with the most own time\n",
             "| process | span | per request | mean ms | own ms per request | share |",
             "|---|---|---:|---:|---:|---:|"]
    for (service, label), (count, total, own) in sorted(per.items(), key=lambda kv: -kv[1][2])[:top]:
        lines.append(f"| {service} | {label.replace('|', '/')} | {count / n:.1f} | {total / count / 1e6:.1f} | "
                     f"{own / n / 1e6:.1f} | {own / max(root_total, 1):.0%} |")
    statements = [v for (_, label), v in per.items() if label.startswith("db: ")]
    count, own = sum(v[0] for v in statements), sum(v[2] for v in statements)
    lines.append(f"| | **all database statements** | {count / n:.1f} | | {own / n / 1e6:.1f} | "
                 f"{own / max(root_total, 1):.0%} |")
    return lines


async def settle(receiver: Receiver, quiet: float = 2.0, limit: float = 30.0) -> None:
    """Until the processes' batch exporters have sent what they hold (no new export for ``quiet`` seconds)."""
    deadline, seen, since = time.monotonic() + limit, -1, time.monotonic()
    while time.monotonic() < deadline:
        if len(receiver.bodies) != seen:
            seen, since = len(receiver.bodies), time.monotonic()
        elif time.monotonic() - since > quiet:
            return
        await asyncio.sleep(0.25)  # polling other processes' exports


def restart_traced(stack: Stack, receiver: Receiver, ratio: float) -> None:
    """The services and the gateway again, with tracing on (same databases, ports and seeded data)."""
    names = [n for n in stack.processes if n not in ("idp", "sms")]
    for name in names:
        stack.stop_one(name)
    stack.extra_env.update({
        "OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": str(ratio),
        "OTEL_BSP_SCHEDULE_DELAY": "500", "OTEL_BSP_MAX_QUEUE_SIZE": "200000",
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "2048", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"})
    stack.start(only=tuple(names))
    stack.wait_ready()


# --- the report --------------------------------------------------------------------------------------------

def table(tally: Tally, elapsed: float) -> list[str]:
    lines = ["| request | count | req/s | p50 ms | p95 ms | p99 ms | errors | expected refusals |",
             "|---|---:|---:|---:|---:|---:|---|---|"]
    total = 0
    for op in OPS:
        values = tally.latencies.get(op, [])
        total += len(values)
        errors = ", ".join(f"{n}× {s}" for s, n in sorted(tally.errors[op].items())) or "0"
        expected = ", ".join(f"{n}× {s}" for s, n in sorted(tally.expected[op].items())) or "–"
        lines.append(f"| {op} | {len(values)} | {len(values) / elapsed:.1f} | {pct(values, 50):.0f} | "
                     f"{pct(values, 95):.0f} | {pct(values, 99):.0f} | {errors} | {expected} |")
    every = [v for values in tally.latencies.values() for v in values]
    lines.append(f"| **all** | {total} | **{total / elapsed:.1f}** | {pct(every, 50):.0f} | {pct(every, 95):.0f} | "
                 f"{pct(every, 99):.0f} | {sum(sum(c.values()) for c in tally.errors.values())} | |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30, help="the measured pass")
    parser.add_argument("--clients", type=int, default=32, help="virtual users, concurrently")
    parser.add_argument("--households", type=int, default=2, help="households per virtual user")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of the same mix before measuring")
    parser.add_argument("--trace-seconds", type=float, default=8, help="the traced pass (0: none)")
    parser.add_argument("--trace-ratio", type=float, default=1.0, help="share of traces sampled in the traced pass")
    parser.add_argument("--replicas", type=int, default=2, help="processes of each service")
    args = parser.parse_args()
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    today = dt.datetime.now(STOCKHOLM).date()
    receiver = Receiver() if args.trace_seconds > 0 else None
    with running(services=SERVICES, extra_env=ENV, replicas=args.replicas) as (stack, _token):
        api, idp = f"{url(stack.ports.gateway)}/api", url(stack.ports.idp)
        up = time.perf_counter() - started
        households, ctx = asyncio.run(seed(api, idp, args.clients * args.households, today))
        users = [User(households[n::args.clients]) for n in range(args.clients)]
        seeded = time.perf_counter() - started - up
        passes = {"warm-up": Tally(), "measured": Tally(), "traced": Tally()}
        asyncio.run(run_load(api, users, ctx, args.warmup, passes["warm-up"], seed=1))
        tally = passes["measured"]
        load_during = os.getloadavg()[0]
        elapsed = asyncio.run(run_load(api, users, ctx, args.seconds, tally, seed=2))
        rss = memory(stack)
        traced: list[list[str]] | None = None
        traced_requests = 0
        if receiver is not None:
            restart_traced(stack, receiver, args.trace_ratio)
            asyncio.run(run_load(api, users, ctx, args.trace_seconds, passes["traced"], seed=3))
            traced_requests = sum(len(v) for v in passes["traced"].latencies.values())
            asyncio.run(settle(receiver))
            measured = {op: sum(v) / len(v) for op, v in tally.latencies.items() if v}
            slowest = max(measured, key=lambda op: measured[op])
            spans = receiver.spans()
            traced = [server_table(spans), *(request_table(spans, op) for op in dict.fromkeys(
                ("monthly: submit", slowest)))]
            receiver.close()

    unexpected = {name: sum(sum(c.values()) for c in t.errors.values()) for name, t in passes.items()}
    print(f"\nThe month's peak: {args.clients} virtual users for {elapsed:.0f} s through the gateway, "
          f"{args.replicas} replicas of each service, no tracing; steps weighted "
          f"{', '.join(f'{name} {weight}' for name, weight in WEIGHTS.items())} "
          f"(stack up in {up:.0f} s, {len(households)} households seeded in {seeded:.0f} s, "
          f"{args.warmup:.0f} s warm-up not counted). {os.cpu_count()} cores; load average "
          f"{load_before:.1f} before the run, {load_during:.1f} before the measured pass.\n")
    print("\n".join(table(tally, elapsed)))
    if tally.out_of_months:
        print(f"\nnote: {tally.out_of_months} re-applications skipped, households had applied for every month allowed")
    print("\nMemory at the end of the measured pass (resident, MB):\n")
    print("| process | MB |\n|---|---:|")
    print("\n".join(f"| {name} | {mb:.0f} |" for name, mb in rss))
    if traced is not None:
        print(f"\nWhere the time goes: a separate traced pass of {args.trace_seconds:.0f} s (tracing on in every "
              f"process, {args.trace_ratio:.0%} of traces sampled, {traced_requests} requests; tracing slows the "
              "processes, so these are shares, not the figures above).\n")
        print("\n\n".join("\n".join(lines) for lines in traced))
    if any(unexpected.values()):
        print(f"\nUnexpected answers per pass: {unexpected}; the first of each kind:")
        for name, t in passes.items():
            for (op, status), text in t.examples.items():
                print(f"  {name}, {op}, {status}: {text}")
    print(f"\n(bench ran {time.perf_counter() - started:.0f} s in all)")
    sys.exit(1 if any(unexpected.values()) else 0)


if __name__ == "__main__":
    main()
