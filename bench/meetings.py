"""Meetings: slot search for a unit of 20 caseworkers over 4 weeks, and bookings per second under contention.

1. Domain, in-process: availability.search_unit_slots for 20 caseworkers (Mon–Fri 08–12 and 13–16, a few
   absences, about a third of the time already booked) over 28 days, 60-minute meetings with a 15-minute
   buffer. Prints p50/p95 per search and the number of slots found.
2. HTTP: the system as separate processes (idp, gateway, meetings, PostgreSQL; like `make run`). The same
   unit is written straight into the meetings database (the dev IdP has only a few personas), then a client
   searches GET /slots for 4 weeks, --searches times, directly and through the gateway: p50/p95.
3. Contention: --connections concurrent staff POST /bookings through the gateway for --seconds, each request
   a random slot from a small pool (--pool), so most collide. Prints requests/s, bookings made/s, the share
   refused (409) and p50/p95, then checks in the database that no caseworker is booked twice.

Figures, not pass/fail; load generator, gateway, service and PostgreSQL share this machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devstack.stack import url  # noqa: E402
from kit.db import plain_url  # noqa: E402
from services.meetings.domain.availability import (  # noqa: E402
    Absence,
    Availability,
    CaseworkerCalendar,
    WeeklyHours,
    search_unit_slots,
)
from services.meetings.domain.meeting_types import Channel, MeetingKind, MeetingType, blocked_range  # noqa: E402
from services.meetings.domain.times import at_local  # noqa: E402
from simulators.idp.personas import PERSONAS  # noqa: E402

CASEWORKERS = 20
DAYS = 28
HOURS = [(dt.time(8), dt.time(12)), (dt.time(13), dt.time(16))]
CLIENT = PERSONAS["anna"].personal_number


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else float("nan")


def meeting_type(unit: str = "nord") -> MeetingType:
    return MeetingType(unit_id=unit, name="Besök", kind=MeetingKind.IN_PERSON, duration_minutes=60,
                       buffer_after_minutes=15, channels=frozenset({Channel.IN_PERSON, Channel.PHONE}),
                       office_address="Storgatan 1", client_self_bookable=True)


def unit_calendars(first: dt.date, rng: random.Random,
                   ids: list[str]) -> tuple[list[CaseworkerCalendar], list[tuple[str, dt.datetime]]]:
    """20 caseworkers' hours, a sick day each now and then, and about a third of their hours booked."""
    mt = meeting_type()
    calendars, bookings = [], []
    for cid in ids:
        weekly = tuple(WeeklyHours(weekday=d, start=a, end=b) for d in range(5) for a, b in HOURS)
        absences = tuple(Absence.whole_days(first + dt.timedelta(days=rng.randrange(DAYS))) for _ in range(2))
        busy = []
        for offset in range(DAYS):
            day = first + dt.timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            for hour in (8, 10, 13, 15):  # a 75-minute grid would not fit; book every other hour, sometimes
                if rng.random() < 0.6:
                    start = at_local(day, dt.time(hour))
                    busy.append(blocked_range(start, mt))
                    bookings.append((cid, start))
        calendars.append(CaseworkerCalendar(Availability(caseworker_id=cid, weekly=weekly, absences=absences), busy))
    return calendars, bookings


def bench_domain(first: dt.date, rounds: int) -> None:
    rng = random.Random(7)
    calendars, _ = unit_calendars(first, rng, [f"cw-{n:02d}" for n in range(CASEWORKERS)])
    mt = meeting_type()
    now = at_local(first, dt.time(7))
    times, found = [], 0
    for _ in range(rounds):
        started = time.perf_counter()
        slots = search_unit_slots(calendars, mt, first, first + dt.timedelta(days=DAYS - 1), now)
        times.append((time.perf_counter() - started) * 1000)
        found = len(slots)
    print(f"domain search, {CASEWORKERS} caseworkers x {DAYS} days: {found} slots; "
          f"p50 {pct(times, 50):.2f} ms, p95 {pct(times, 95):.2f} ms, mean {statistics.mean(times):.2f} ms "
          f"({rounds} searches)")


async def seed_unit(db_url: str, first: dt.date) -> tuple[str, list[str]]:
    """The unit straight into the meetings database: type, 20 caseworkers with hours, existing bookings."""
    rng = random.Random(7)
    ids = [f"bench:cw-{n:02d}" for n in range(CASEWORKERS)]
    calendars, bookings = unit_calendars(first, rng, ids)
    mt = meeting_type()
    conn = await asyncpg.connect(plain_url(db_url))
    try:
        await conn.execute(
            "INSERT INTO meeting_types (id, unit_id, name, kind, duration_minutes, buffer_after_minutes, channels, "
            "office_address, client_self_bookable) VALUES ($1, 'nord', 'Besök', 'in_person', 60, 15, "
            "'{in_person,phone}', 'Storgatan 1', true)", mt.id)
        for cal in calendars:
            cid = cal.availability.caseworker_id
            await conn.execute("INSERT INTO caseworkers (id, unit_id, name) VALUES ($1, 'nord', $1)", cid)
            await conn.executemany(
                "INSERT INTO weekly_hours (caseworker_id, weekday, start_time, end_time) VALUES ($1, $2, $3, $4)",
                [(cid, h.weekday, h.start, h.end) for h in cal.availability.weekly])
            await conn.executemany(
                "INSERT INTO availability_exceptions (id, caseworker_id, kind, start_at, end_at) "
                "VALUES ($1, $2, 'absence', $3, $4)",
                [(uuid.uuid4(), cid, a.start, a.end) for a in cal.availability.absences])
        rows = []
        for n, (cid, start) in enumerate(bookings):
            blocked = blocked_range(start, mt)
            rows.append((uuid.uuid4(), f"BNCH-{n:04d}", cid, mt.id, start, start + mt.duration, *blocked))
        await conn.executemany(
            "INSERT INTO bookings (id, reference, unit_id, caseworker_id, client_personal_number, meeting_type_id, "
            "kind, channel, start_at, end_at, blocked_start, blocked_end, booked_by, booked_by_staff, created_at, "
            "updated_at) VALUES ($1, $2, 'nord', $3, $9, $4, 'in_person', 'in_person', $5, $6, $7, $8, "
            "'bench', true, now(), now())", [(*r, CLIENT) for r in rows])
        await conn.executemany(
            "INSERT INTO booking_staff (booking_id, caseworker_id, role, blocked_start, blocked_end) "
            "VALUES ($1, $2, 'lead', $3, $4)", [(r[0], r[2], r[6], r[7]) for r in rows])
    finally:
        await conn.close()
    return str(mt.id), ids


async def bench_search(base: str, label: str, headers: dict[str, str], type_id: str, first: dt.date,
                       searches: int) -> list[dict]:
    times, slots = [], []
    params = {"meeting_type_id": type_id, "from": first.isoformat(),
              "to": (first + dt.timedelta(days=DAYS - 1)).isoformat()}
    async with aiohttp.ClientSession() as http:
        for _ in range(searches):
            started = time.perf_counter()
            async with http.get(f"{base}/slots", headers=headers, params=params) as response:
                body = await response.json()
                assert response.status == 200, body
            times.append((time.perf_counter() - started) * 1000)
            slots = body["slots"]
    print(f"HTTP slot search ({label}), {CASEWORKERS} caseworkers x {DAYS} days: {len(slots)} slots; "
          f"p50 {pct(times, 50):.1f} ms, p95 {pct(times, 95):.1f} ms ({searches} searches)")
    return slots


async def bench_contention(api: str, headers: dict[str, str], type_id: str, pool: list[dict], seconds: float,
                           connections: int) -> None:
    codes: dict[int, int] = {}
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    rng = random.Random(11)

    async def worker(http: aiohttp.ClientSession) -> None:
        while time.perf_counter() < deadline:
            slot = rng.choice(pool)
            started = time.perf_counter()
            async with http.post(f"{api}/bookings", headers=headers, json={
                    "meeting_type_id": type_id, "caseworker_id": slot["caseworker_id"], "start": slot["start"],
                    "personal_number": CLIENT}) as response:
                await response.read()
                codes[response.status] = codes.get(response.status, 0) + 1
            latencies.append((time.perf_counter() - started) * 1000)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections)) as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(connections)))
        elapsed = time.perf_counter() - started
    total = sum(codes.values())
    made = codes.get(201, 0)
    print(f"contention, {connections} connections on a pool of {len(pool)} slots for {elapsed:.1f} s: "
          f"{total / elapsed:.0f} requests/s, {made / elapsed:.1f} bookings/s ({made} made), "
          f"refused 409: {codes.get(409, 0) / max(total, 1):.0%}, other: "
          f"{ {k: v for k, v in codes.items() if k not in (201, 409)} }; "
          f"p50 {pct(latencies, 50):.1f} ms, p95 {pct(latencies, 95):.1f} ms")


async def check_no_double_booking(db_url: str) -> None:
    conn = await asyncpg.connect(plain_url(db_url))
    try:
        overlaps = await conn.fetchval(
            "SELECT count(*) FROM booking_staff a JOIN booking_staff b ON a.caseworker_id = b.caseworker_id "
            "AND a.booking_id < b.booking_id AND a.active AND b.active "
            "AND tstzrange(a.blocked_start, a.blocked_end) && tstzrange(b.blocked_start, b.blocked_end)")
    finally:
        await conn.close()
    print(f"overlapping active bookings of one caseworker in the database: {overlaps}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200, help="in-process searches")
    parser.add_argument("--searches", type=int, default=100, help="HTTP searches per path")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--pool", type=int, default=40, help="slots the contention run aims at")
    parser.add_argument("--domain-only", action="store_true")
    args = parser.parse_args()

    today = dt.date.today()
    first = today + dt.timedelta(days=7 - today.weekday())  # next Monday
    bench_domain(first, args.rounds)
    if args.domain_only:
        return

    from bench.stack import running

    # applications answers who has protected identity (meetings asks it before it names anyone)
    with running(services=("applications", "meetings", "registers"),
                 extra_env={"MEETINGS_MESSAGING_URL": "", "MEETINGS_DB_POOL_SIZE": "20",
                            "GATEWAY_UPSTREAM_POOL_SIZE": "200"}) as (stack, token):
        db_url = stack.database_urls["meetings"]
        type_id, _ = asyncio.run(seed_unit(db_url, first))
        anna = {"Authorization": f"Bearer {token('anna').strip()}"}
        karin = {"Authorization": f"Bearer {token('karin').strip()}"}
        direct = url(stack.ports.meetings)
        gateway = f"{url(stack.ports.gateway)}/api/meetings"
        asyncio.run(bench_search(direct, "direct", anna, type_id, first, args.searches))
        slots = asyncio.run(bench_search(gateway, "through the gateway", anna, type_id, first, args.searches))
        pool = random.Random(3).sample(slots, min(args.pool, len(slots)))
        asyncio.run(bench_contention(gateway, karin, type_id, pool, args.seconds, args.connections))
        asyncio.run(check_no_double_booking(db_url))


if __name__ == "__main__":
    main()
