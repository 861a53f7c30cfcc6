"""Races on one booking: two changes at once end in a consistent state, because every change locks the booking's
row before its rules are checked. A cancelled booking never keeps unsent reminders or an active staff row.

Two kinds of test: real concurrency (asyncio.gather against the in-process app on real PostgreSQL), and a
deterministic one where another transaction holds the row, cancels the booking and commits while the request
waits for the lock: the request must then judge the booking as cancelled.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from kit.db import make_engine
from tests.meetings.conftest import CECILIA, KARIN, MAJA, Clock, make_app, setup_nord, sql, sthlm
from tests.support import app_client, fresh_database

PROBLEM = "urn:bistand:problem:"


@pytest.fixture(scope="module")
async def env(issuer, as_persona, owner):
    async with fresh_database("meetings") as url:
        app = make_app(url, issuer, Clock(), owner=owner)
        async with app_client(app) as client:
            nord = await setup_nord(client, as_persona)
            yield client, nord, url


async def book(client: Any, headers: dict[str, str], type_id: str, start: str) -> str:
    r = await client.post("/bookings", headers=headers, json={
        "meeting_type_id": type_id, "caseworker_id": KARIN, "start": start, "personal_number": CECILIA})
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def consistent(url: str, booking_id: str) -> tuple[str, int, int]:
    """(status, unsent reminders, active staff rows) — a cancelled booking has neither."""
    [row] = await sql(url, "SELECT status, "
                           "(SELECT count(*) FROM reminders WHERE booking_id = b.id AND sent_at IS NULL) AS reminders, "
                           "(SELECT count(*) FROM booking_staff WHERE booking_id = b.id AND active) AS staff "
                           "FROM bookings b WHERE b.id = :b", b=booking_id)
    if row.status == "cancelled":
        assert (row.reminders, row.staff) == (0, 0), (booking_id, row)
    else:
        assert row.reminders > 0 and row.staff > 0, (booking_id, row)
    return row.status, row.reminders, row.staff


async def test_cancel_against_reschedule(env, as_persona):
    client, nord, url = env
    karin = as_persona("karin")
    days = [17, 18, 19, 20, 23, 24, 25, 26]
    for day in days:
        bid = await book(client, karin, nord.phone, sthlm(2026, 3, day, 9).isoformat())
        cancel, move = await asyncio.gather(
            client.post(f"/bookings/{bid}/cancel", headers=karin, json={"reason": "Sjuk"}),
            client.post(f"/bookings/{bid}/reschedule", headers=karin,
                        json={"start": sthlm(2026, 3, day, 11).isoformat(), "reason": "Krock"}))
        assert cancel.status_code == 200, cancel.text  # cancelling is always possible before the start
        # the move either came first (and was then cancelled) or found the booking cancelled
        assert move.status_code in (200, 409), move.text
        if move.status_code == 409:
            assert move.json()["type"] == PROBLEM + "booking-closed"
        assert (await consistent(url, bid))[0] == "cancelled"


async def test_cancel_against_adding_staff(env, as_persona):
    client, nord, url = env
    karin = as_persona("karin")
    for day in (17, 18, 19, 20, 23, 24, 25, 26):
        bid = await book(client, karin, nord.phone, sthlm(2026, 3, day, 10).isoformat())
        cancel, add = await asyncio.gather(
            client.post(f"/bookings/{bid}/cancel", headers=karin, json={"reason": "Sjuk"}),
            client.post(f"/bookings/{bid}/staff", headers=karin, json={"caseworker_id": MAJA}))
        assert cancel.status_code == 200, cancel.text
        assert add.status_code in (201, 409), add.text
        assert (await consistent(url, bid))[0] == "cancelled"


class RowHolder:
    """Another transaction that holds a booking's row (as a concurrent change would)."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)

    async def __aenter__(self) -> RowHolder:
        self.conn = await self.engine.connect()
        self.tx = await self.conn.begin()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.conn.close()
        await self.engine.dispose()

    async def lock(self, booking_id: str) -> None:
        await self.conn.execute(text("SELECT id FROM bookings WHERE id = :b FOR UPDATE"), {"b": booking_id})

    async def wait_for_waiter(self) -> None:
        """Until some other backend of this database waits for a lock (the request queued behind us)."""
        for _ in range(2000):
            waiting = (await self.conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND wait_event_type = 'Lock'"))).scalar_one()
            if waiting:
                return
        raise AssertionError("the request never waited for the booking's row")

    async def cancel_and_commit(self, booking_id: str) -> None:
        await self.conn.execute(text("UPDATE bookings SET status = 'cancelled', version = version + 1 WHERE id = :b"),
                                {"b": booking_id})
        await self.conn.execute(text("UPDATE booking_staff SET active = false WHERE booking_id = :b"),
                                {"b": booking_id})
        await self.conn.execute(text("DELETE FROM reminders WHERE booking_id = :b AND sent_at IS NULL"),
                                {"b": booking_id})
        await self.tx.commit()


@pytest.mark.parametrize("change", ["reschedule", "cancel", "staff", "channel", "participants"])
async def test_the_rules_are_checked_after_the_lock(env, as_persona, change):
    client, nord, url = env
    karin = as_persona("karin")
    day = {"reschedule": 27, "cancel": 30, "staff": 31, "channel": 1, "participants": 2}[change]
    month = 3 if day > 20 else 4
    bid = await book(client, karin, nord.joint, sthlm(2026, month, day, 9).isoformat())
    request = {
        "reschedule": ("POST", "reschedule", {"start": sthlm(2026, month, day, 11).isoformat(), "reason": "Krock"}),
        "cancel": ("POST", "cancel", {"reason": "Sjuk"}),
        "staff": ("POST", "staff", {"caseworker_id": MAJA}),
        "channel": ("PUT", "channel", {"channel": "video"}),
        "participants": ("POST", "participants", {"role": "agency"}),
    }[change]
    async with RowHolder(url) as holder:
        await holder.lock(bid)
        pending = asyncio.ensure_future(client.request(request[0], f"/bookings/{bid}/{request[1]}", headers=karin,
                                                       json=request[2]))
        await holder.wait_for_waiter()
        await holder.cancel_and_commit(bid)
        r = await pending
    assert r.status_code == 409, r.text
    assert r.json()["type"] == PROBLEM + "booking-closed"
    status, reminders, staff = await consistent(url, bid)
    assert status == "cancelled"
    grants = await sql(url, "SELECT count(*) AS n FROM join_grants WHERE booking_id = :b", b=bid)
    assert grants[0].n == 0
