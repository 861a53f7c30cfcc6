"""Gallring of bookings (domain/retention.py, store/retention.py) with an injected clock, on real PostgreSQL: bookings
made through the API are anonymised two years after the meeting to the day, a future meeting is never touched, the
anonymised row holds no client data (every text column checked) while the statistics still count it, the pass logs
counts only, and two passes at once act on each booking once."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from typing import Any

import pytest
from sqlalchemy import text

from kit.retention import configured
from kit.retention_job import RetentionJob
from services.meetings.domain import retention as policy
from services.meetings.store import retention as store
from tests.meetings.conftest import ANNA, CECILIA, KARIN, OFFICE, Clock, make_app, setup_nord, sql, sthlm
from tests.support import app_client, fresh_database

# The tests build on one another's rows (one database per module): one worker, in order.
pytestmark = pytest.mark.xdist_group("meetings-retention")

NOTE = "Behöver sitta nära dörren, rullstol"
# What an anonymised booking keeps for figures; every other text column must be NULL (or the neutral reference).
STATS = {"id", "unit_id", "caseworker_id", "meeting_type_id", "kind", "channel", "start_at", "end_at",
         "blocked_start", "blocked_end", "status", "outcome", "protected_identity", "booked_by_staff", "version",
         "created_at", "updated_at", "anonymised_at", "accessibility", "reference"}


@pytest.fixture(scope="module")
async def env(issuer, as_persona, owner):
    clock = Clock()
    async with fresh_database("meetings") as url:
        app = make_app(url, issuer, clock, owner=owner, retention_enabled=False, housekeeping_enabled=False)
        async with app_client(app) as client:
            nord = await setup_nord(client, as_persona)
            yield app, client, nord, url, clock


def job(app: Any, at: dt.datetime, overrides: dict[str, str] | None = None, batch: int = 50) -> RetentionJob:
    return RetentionJob("meetings", app.state.kit.sessions, configured(policy.RULES, overrides or {}),
                        store.PURGES, clock=lambda: at, batch_size=batch)


async def book(client: Any, as_persona: Any, nord: Any, day: int, hour: int, who: str = "anna") -> dict[str, Any]:
    r = await client.post("/bookings", headers=as_persona(who), json={
        "meeting_type_id": nord.visit, "caseworker_id": KARIN, "start": sthlm(2026, 3, day, hour).isoformat(),
        "channel": "in_person", "interpreter": {"language": "ti"}, "accessibility": ["step_free_access", "other"],
        "accessibility_note": NOTE})
    assert r.status_code == 201, r.text
    return r.json()


async def state(url: str, booking_id: str) -> str:
    rows = await sql(url, "SELECT anonymised_at FROM bookings WHERE id = :id", id=booking_id)
    return "gone" if not rows else ("anonymised" if rows[0].anonymised_at else "kept")


async def assert_no_client_data(url: str, booking_id: str, *personal: str) -> None:
    columns = await sql(url, "SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_name = 'bookings'")
    [row] = [r._mapping for r in await sql(url, "SELECT * FROM bookings WHERE id = :id", id=booking_id)]
    blob = json.dumps({k: str(v) for k, v in row.items()}, ensure_ascii=False)
    for value in (*personal, NOTE, OFFICE, "ti", "persona:anna", "persona:cecilia"):
        assert f'"{value}"' not in blob and value not in str(row["reference"]), value
    for column in columns:
        if column.column_name not in STATS:
            assert row[column.column_name] is None, column.column_name
    assert row["accessibility"] == [] and row["reference"] == f"anonymised:{booking_id}"
    for table in ("join_grants", "reminders"):
        assert not await sql(url, f"SELECT 1 FROM {table} WHERE booking_id = :id", id=booking_id)  # noqa: S608


async def test_a_booking_is_kept_two_years_after_the_meeting_to_the_day(env, as_persona):
    app, client, nord, url, clock = env
    booking = await book(client, as_persona, nord, 17, 10)
    end = dt.datetime.fromisoformat(booking["end"])
    tove = as_persona("tove")
    figures = (await client.get("/stats", headers=tove, params={"unit": "nord", "from": "2026-03-16",
                                                                "to": "2026-03-22"})).json()
    assert (await job(app, end.replace(year=2028) - dt.timedelta(days=1)).run_once())["bookings"] == 0
    assert await state(url, booking["id"]) == "kept"
    await job(app, end.replace(year=2028)).run_once()
    assert await state(url, booking["id"]) == "kept"  # the boundary itself: not yet after
    assert (await job(app, end.replace(year=2028) + dt.timedelta(days=1)).run_once())["bookings"] == 1
    assert await state(url, booking["id"]) == "anonymised"
    await assert_no_client_data(url, booking["id"], ANNA)
    # The figures are the same as before.
    again = (await client.get("/stats", headers=tove, params={"unit": "nord", "from": "2026-03-16",
                                                              "to": "2026-03-22"})).json()
    assert again == figures
    # Nor does the client see it any more.
    mine = (await client.get("/me/bookings", headers=as_persona("anna"))).json()
    assert booking["id"] not in json.dumps(mine)


async def test_a_future_meeting_is_never_touched(env, as_persona):
    app, client, nord, url, clock = env
    past = await book(client, as_persona, nord, 18, 9, who="cecilia")
    future = await book(client, as_persona, nord, 19, 10, who="cecilia")
    now = sthlm(2026, 3, 18, 12)  # after the first, before the second
    await job(app, now, {"bookings": "P0D"}).run_once()  # ops set no retention at all
    assert await state(url, past["id"]) == "anonymised"
    assert await state(url, future["id"]) == "kept"
    assert policy.may_cull(end_at=dt.datetime.fromisoformat(future["end"]), cutoff=now, now=now) is False
    # The client's protection claim, if any, stays while a booking names them.
    assert await sql(url, "SELECT 1 FROM bookings WHERE client_personal_number = :p", p=CECILIA)


async def test_delete_when_configured(env, as_persona):
    app, client, nord, url, clock = env
    booking = await book(client, as_persona, nord, 20, 10)
    end = dt.datetime.fromisoformat(booking["end"])
    await job(app, end + dt.timedelta(days=800), {"bookings": "P2Y delete"}).run_once()
    assert await state(url, booking["id"]) == "gone"
    assert not await sql(url, "SELECT 1 FROM booking_staff WHERE booking_id = :id", id=booking["id"])


async def test_two_passes_at_once_act_on_each_booking_once(env, as_persona):
    app, client, nord, url, clock = env
    made = [await book(client, as_persona, nord, day, 10, who=who)
            for day, who in ((23, "anna"), (24, "cecilia"), (26, "bertil"), (27, "anna"), (30, "cecilia"),
                             (31, "bertil"))]
    at = sthlm(2028, 6, 1)
    cutoff = policy.RULES[0].cutoff(at)
    due = sum(policy.may_cull(end_at=r.end_at, cutoff=cutoff, now=at)
              for r in await sql(url, "SELECT end_at FROM bookings WHERE anonymised_at IS NULL"))
    one, two = await asyncio.gather(job(app, at, batch=2).run_once(), job(app, at, batch=2).run_once())
    assert all([await state(url, b["id"]) == "anonymised" for b in made])
    # Each booking was taken by exactly one pass (SKIP LOCKED): the counts add up to what was due, no more.
    assert one["bookings"] + two["bookings"] == due >= len(made)


async def test_the_pass_logs_counts_and_nothing_about_anyone(env, as_persona, caplog):
    app, client, nord, url, clock = env
    booking = await book(client, as_persona, nord, 25, 10)
    caplog.set_level(logging.DEBUG)
    counts = await job(app, sthlm(2029, 1, 1)).run_once()
    assert counts["bookings"] >= 1
    assert [r for r in caplog.records if r.name == "kit.retention"][-1].counts == counts
    for record in caplog.records:
        rendered = json.dumps({k: str(v) for k, v in record.__dict__.items()}, ensure_ascii=False)
        for secret in (ANNA, booking["id"], NOTE, OFFICE):
            assert secret not in rendered


async def test_protection_claims_go_with_the_persons_last_booking(env):
    app, client, nord, url, clock = env
    async with app.state.kit.sessions() as session, session.begin():
        await session.execute(text(
            "INSERT INTO protected_clients (personal_number, since) VALUES ('190001019999', :t), (:p, :t) "
            "ON CONFLICT DO NOTHING"), {"t": sthlm(2026, 1, 1), "p": ANNA})
    await job(app, sthlm(2031, 1, 1)).run_once()  # every booking above is anonymised by then
    left = {r.personal_number for r in await sql(url, "SELECT personal_number FROM protected_clients")}
    assert "190001019999" not in left and ANNA not in left


async def test_the_service_runs_gallring_with_ops_settings(env, issuer, owner):
    app, client, nord, url, clock = env
    other = make_app(url, issuer, Clock(), owner=owner, retention={"bookings": "P3Y delete"})
    async with app_client(other):
        ctx = other.state.kit
        assert any(t.get_name() == "meetings-retention" for t in ctx.background)
        rules = {r.record: r for r in ctx.runtime.retention.rules}
        assert (str(rules["bookings"].period), rules["bookings"].action) == ("P3Y", "delete")
    with pytest.raises(ValueError):
        async with app_client(make_app(url, issuer, Clock(), owner=owner, retention={"reminders": "P1Y"})):
            pass
