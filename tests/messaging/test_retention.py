"""Gallring of messaging (domain/retention.py, store/retention.py) with an injected clock, on real PostgreSQL: a
thread made through the API, with a sent attachment (immutable to everything but gallring), is deleted five years
after its last message to the day; a thread whose case still moves is kept; nothing about the person is left once
their last thread and case are gone; finished notifications go on the kit's short schedule with the idempotency and
outbox rows while pending ones stay; the pass logs counts only; two passes at once act on each thread once."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kit.retention import configured
from kit.retention_job import RetentionJob
from services.messaging.domain import retention as policy
from services.messaging.store import retention as store
from tests.messaging.conftest import ANNA, PDF, Clock, event, make_app
from tests.support import app_client, fresh_database

# The tests build on one another's rows (one database per module): one worker, in order.
pytestmark = pytest.mark.xdist_group("messaging-retention")

T0 = dt.datetime.now(dt.UTC).replace(microsecond=0)
BODY = "Min hyresvärd Sven Svensson har höjt hyran"


@pytest.fixture(scope="module")
async def env(issuer):
    clock = Clock(T0)
    async with fresh_database("messaging") as url:
        app = make_app(url, issuer, clock, retention_enabled=False, housekeeping_enabled=False)
        async with app_client(app) as client:
            yield app, client, clock


def job(app: Any, at: dt.datetime, batch: int = 50) -> RetentionJob:
    return RetentionJob("messaging", app.state.kit.sessions, configured(policy.RULES, {}), store.PURGES,
                        clock=lambda: at, batch_size=batch)


async def sql(app: Any, statement: str, **params: Any) -> list[Any]:
    async with app.state.kit.sessions() as session, session.begin():
        result = await session.execute(text(statement), params)
        return result.all() if result.returns_rows else []


async def post_event(client: Any, service_headers: Any, topic: str, case_id: uuid.UUID, at: dt.datetime,
                     recipients: tuple[str, ...] = (ANNA,)) -> None:
    body = event(topic, case_id, recipients=recipients, occurred_at=at)
    assert (await client.post("/events", json=body, headers=service_headers(body))).status_code == 202


async def thread_with_attachment(client: Any, as_persona: Any, case_id: uuid.UUID) -> str:
    anna = as_persona("anna")
    created = await client.post("/threads", headers=anna, json={
        "case_id": str(case_id), "subject": "Hyran", "body": BODY})
    assert created.status_code == 201, created.text
    tid = created.json()["id"]
    pdf = await client.post(f"/threads/{tid}/attachments", headers=anna,
                            files={"file": ("hyresavi Sven.pdf", PDF, "application/pdf")})
    assert pdf.status_code == 201, pdf.text
    sent = await client.post(f"/threads/{tid}/messages", headers=anna, json={
        "body": "Här är avin.", "attachment_ids": [pdf.json()["id"]]})
    assert sent.status_code == 201, sent.text
    reply = await client.post(f"/threads/{tid}/messages", headers=as_persona("karin"), json={"body": "Tack!"})
    assert reply.status_code == 201, reply.text
    for reader in (anna, as_persona("karin")):  # read state and receipts
        assert (await client.post(f"/threads/{tid}/read", headers=reader)).status_code == 200
    return tid


async def rows_of(app: Any, tid: str) -> dict[str, int]:
    out = {}
    for table, where in (("threads", "id = :t"), ("messages", "thread_id = :t"), ("attachments", "thread_id = :t"),
                         ("thread_members", "thread_id = :t"), ("read_state", "thread_id = :t"),
                         ("notifications", "thread_id = :t"),
                         ("message_receipts", "message_id IN (SELECT id FROM messages WHERE thread_id = :t)")):
        out[table] = (await sql(app, f"SELECT count(*) FROM {table} WHERE {where}", t=tid))[0][0]  # noqa: S608
    return out


async def test_sent_messages_stay_immutable_outside_gallring(env, as_persona, service_headers):
    app, client, clock = env
    case_id = uuid.uuid4()
    await post_event(client, service_headers, "application.submitted", case_id, T0)
    tid = await thread_with_attachment(client, as_persona, case_id)
    with pytest.raises(DBAPIError, match="immutable"):
        await sql(app, "DELETE FROM messages WHERE thread_id = :t", t=tid)
    with pytest.raises(DBAPIError, match="immutable"):
        await sql(app, "DELETE FROM attachments WHERE thread_id = :t", t=tid)


async def test_a_quiet_thread_goes_five_years_after_its_last_message_and_the_person_with_it(
        env, as_persona, service_headers):
    app, client, clock = env
    await client.put("/me/contact", headers=as_persona("anna"), json={"email": "anna@example.se",
                                                                       "channels": ["email"]})
    case_id = uuid.uuid4()
    await post_event(client, service_headers, "application.submitted", case_id, T0)
    tid = await thread_with_attachment(client, as_persona, case_id)
    before = await rows_of(app, tid)
    assert all(before[t] > 0 for t in ("threads", "messages", "attachments", "thread_members", "message_receipts")), \
        before
    five = T0.replace(year=T0.year + 5)
    assert (await job(app, five - dt.timedelta(days=1)).run_once())["threads"] == 0
    assert (await job(app, five).run_once())["threads"] == 0  # the boundary itself: not after yet
    assert await rows_of(app, tid) == before
    counts = await job(app, five + dt.timedelta(days=1)).run_once()
    assert counts["threads"] >= 1 and counts["cases"] >= 1 and counts["contacts"] == 1
    assert set((await rows_of(app, tid)).values()) == {0}
    # Nothing in the database names Anna any more (her protection copy aside, which the owner's events keep).
    for table, column in (("thread_members", "personal_number"), ("contacts", "personal_number")):
        assert not await sql(app, f"SELECT 1 FROM {table} WHERE {column} = :p", p=ANNA)  # noqa: S608
    assert not await sql(app, "SELECT 1 FROM cases WHERE :p = ANY(recipients)", p=ANNA)


async def test_a_thread_whose_case_still_moves_is_kept(env, as_persona, service_headers):
    app, client, clock = env
    case_id = uuid.uuid4()
    await post_event(client, service_headers, "application.submitted", case_id, T0)
    tid = await thread_with_attachment(client, as_persona, case_id)
    later = T0.replace(year=T0.year + 4)
    clock.now = later  # the service believes an event no later than its own clock
    try:
        await post_event(client, service_headers, "application.decided", case_id, later)  # the case still moves
    finally:
        clock.now = T0
    at = T0.replace(year=T0.year + 5) + dt.timedelta(days=30)
    await job(app, at).run_once()
    assert (await rows_of(app, tid))["threads"] == 1
    assert policy.thread_may_go(last_message=T0, case_last_event=later, cutoff=T0 + dt.timedelta(days=30)) is False
    await job(app, later.replace(year=later.year + 5) + dt.timedelta(days=1)).run_once()
    assert (await rows_of(app, tid))["threads"] == 0


async def test_two_passes_at_once_act_on_each_thread_once(env, as_persona, service_headers):
    app, client, clock = env
    threads = []
    for _ in range(5):
        case_id = uuid.uuid4()
        await post_event(client, service_headers, "application.submitted", case_id, T0)
        threads.append(await thread_with_attachment(client, as_persona, case_id))
    at = T0.replace(year=T0.year + 6)
    cutoff = policy.RULES[0].cutoff(at)
    due = sum(policy.thread_may_go(last_message=r.last, case_last_event=r.event, cutoff=cutoff)
              for r in await sql(app, "SELECT COALESCE(t.last_message_at, t.created_at) AS last, "
                                      "c.last_event_at AS event FROM threads t LEFT JOIN cases c USING (case_id)"))
    assert due >= len(threads)
    one, two = await asyncio.gather(job(app, at, batch=2).run_once(), job(app, at, batch=2).run_once())
    assert one["threads"] + two["threads"] == due  # each thread taken by exactly one pass
    for tid in threads:
        assert (await rows_of(app, tid))["threads"] == 0


async def test_the_pass_logs_counts_and_nothing_about_anyone(env, as_persona, service_headers, caplog):
    app, client, clock = env
    case_id = uuid.uuid4()
    await post_event(client, service_headers, "application.submitted", case_id, T0)
    tid = await thread_with_attachment(client, as_persona, case_id)
    caplog.set_level(logging.DEBUG)
    counts = await job(app, T0.replace(year=T0.year + 7)).run_once()
    assert counts["threads"] >= 1
    assert [r for r in caplog.records if r.name == "kit.retention"][-1].counts == counts
    for record in caplog.records:
        rendered = json.dumps({k: str(v) for k, v in record.__dict__.items()}, ensure_ascii=False)
        for secret in (ANNA, tid, str(case_id), BODY, "Sven"):
            assert secret not in rendered


async def test_finished_notifications_go_on_the_short_schedule_with_the_kits_rows(env, as_persona, service_headers):
    app, client, clock = env
    ctx, rt = app.state.kit, app.state.kit.runtime
    await client.put("/me/contact", headers=as_persona("anna"), json={"email": "anna@example.se",
                                                                       "channels": ["email"]})
    case_id = uuid.uuid4()
    await post_event(client, service_headers, "application.submitted", case_id, T0)
    tid = await thread_with_attachment(client, as_persona, case_id)
    while await rt.relay.run_once():  # no SMTP host: each e-mail notification is finished as skipped
        pass
    finished = (await sql(app, "SELECT count(*) FROM notifications WHERE thread_id = :t AND status <> 'pending'",
                          t=tid))[0][0]
    assert finished >= 1
    await sql(app, "INSERT INTO notifications (id, source, person_ref, channel, kind, status, created_at) VALUES "
                   "(:id, 'event:stuck', :ref, 'sms', 'message', 'pending', :t)",
              id=uuid.uuid4(), ref=uuid.uuid4(), t=T0 - dt.timedelta(days=90))
    housekeeping = ctx.housekeeping
    housekeeping.clock = lambda: T0 + dt.timedelta(days=29)
    counts = await housekeeping.run_pass()
    assert counts["notifications"] == 0 and counts["idempotency_keys"] >= 1 and counts["outbox"] >= 1
    housekeeping.clock = lambda: T0 + dt.timedelta(days=31)
    assert (await housekeeping.run_pass())["notifications"] >= finished
    assert not await sql(app, "SELECT 1 FROM notifications WHERE status <> 'pending' AND created_at < :t",
                         t=T0 + dt.timedelta(days=1))
    assert await sql(app, "SELECT 1 FROM notifications WHERE source = 'event:stuck'")  # pending: never purged
    assert await housekeeping.run_once() == (0, 0)  # the kit's own answer is unchanged


async def test_the_service_runs_gallring_with_ops_settings(env, issuer):
    app, client, clock = env
    url = app.state.kit.settings.database_url
    other = make_app(url, issuer, Clock(T0), retention={"threads": "P6Y"}, notification_retention_days=7)
    async with app_client(other):
        ctx = other.state.kit
        assert any(t.get_name() == "messaging-retention" for t in ctx.background)
        assert "notifications" in ctx.housekeeping.purges
        assert {r.record: str(r.period) for r in ctx.runtime.retention.rules}["threads"] == "P6Y"
    with pytest.raises(ValueError):
        async with app_client(make_app(url, issuer, Clock(T0), retention={"threads": "P6Y anonymise"})):
            pass
