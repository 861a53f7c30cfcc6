"""The outbox relay delivering a claimed batch in one call (``deliver_batch``), and EventDelivery.batch posting it to
``/events/batch``: order kept, only the failed messages retried with backoff, a refused event kept like a non-2xx."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from kit import idempotency
from kit.db import make_engine, make_sessionmaker
from kit.outbox import EventDelivery, EventRefused, OutboxRelay, enqueue
from kit.problems import Problem
from kit.sealing import Keyring, Sealer, bind
from kit.settings import KitSettings
from kit.tables import OutboxMessage
from tests.support import fresh_database, serve_in_thread

SEALER = Sealer(KitSettings().sealing_keyring(), "calculation")


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("calculation") as url:
        yield url


@pytest.fixture
async def sessions(db_url):
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    bind(sessions, SEALER)
    yield sessions
    await engine.dispose()


async def _enqueue(sessions, topic: str, count: int) -> list[uuid.UUID]:
    ids = []
    for n in range(count):  # one commit each: created_at (the claim's order) increases
        async with sessions() as s, s.begin():
            ids.append(enqueue(s, topic, {"n": n}).id)
    return ids


async def _rows(sessions, topic: str) -> dict[uuid.UUID, Any]:
    async with sessions() as s:
        rows = (await s.execute(text("SELECT id, attempts, delivered_at, last_error, available_at > now() AS later "
                                     "FROM outbox WHERE topic = :t"), {"t": topic})).mappings().all()
    return {r["id"]: r for r in rows}


async def _single(message: OutboxMessage) -> None:  # pragma: no cover - the batch call is used instead
    raise AssertionError("deliver_batch was given: no single delivery")


async def test_a_partial_failure_retries_only_the_failed_ones_in_order(sessions):
    topic = f"test.{uuid.uuid4().hex}"
    ids = await _enqueue(sessions, topic, 6)
    calls: list[list[uuid.UUID]] = []
    refuse = {ids[1], ids[4]}

    async def deliver_batch(messages: list[OutboxMessage]) -> list[Exception | None]:
        mine = [m for m in messages if m.topic == topic]
        calls.append([m.id for m in mine])
        assert all(m.payload == {"n": ids.index(m.id)} for m in mine)  # opened
        return [EventRefused("urn:bistand:problem:validation-error", 422) if m.id in refuse else None
                for m in messages]

    relay = OutboxRelay(sessions, _single, deliver_batch=deliver_batch, batch_size=100, topics=[topic],
                        base_backoff_seconds=0.0)
    assert await relay.run_once() == 4
    assert calls == [ids]  # one call, the order they were written in
    rows = await _rows(sessions, topic)
    assert {i for i, r in rows.items() if r["delivered_at"] is None} == refuse
    assert all(rows[i]["attempts"] == 1 for i in ids)
    assert "validation-error" in rows[ids[1]]["last_error"]
    refuse.clear()
    assert await relay.run_once() == 2
    assert calls[-1] == [ids[1], ids[4]]  # only the failed ones, still in order
    rows = await _rows(sessions, topic)
    assert all(r["delivered_at"] is not None for r in rows.values())
    assert rows[ids[1]]["attempts"] == 2 and rows[ids[0]]["attempts"] == 1


async def test_a_failed_batch_call_keeps_every_message_with_backoff(sessions):
    topic = f"test.{uuid.uuid4().hex}"
    ids = await _enqueue(sessions, topic, 3)

    async def down(messages: list[OutboxMessage]) -> list[Exception | None]:
        raise ConnectionError("receiver down")

    relay = OutboxRelay(sessions, _single, deliver_batch=down, topics=[topic], base_backoff_seconds=60)
    assert await relay.run_once() == 0
    rows = await _rows(sessions, topic)
    assert all(rows[i]["delivered_at"] is None and rows[i]["later"] and rows[i]["attempts"] == 1 for i in ids)
    assert await relay.run_once() == 0  # not due again for a minute


async def test_a_wrong_number_of_outcomes_fails_the_batch(sessions):
    topic = f"test.{uuid.uuid4().hex}"
    await _enqueue(sessions, topic, 2)

    async def short(messages: list[OutboxMessage]) -> list[Exception | None]:
        return [None]

    relay = OutboxRelay(sessions, _single, deliver_batch=short, topics=[topic], base_backoff_seconds=60)
    assert await relay.run_once() == 0
    assert all(r["delivered_at"] is None for r in (await _rows(sessions, topic)).values())


def _receiver() -> FastAPI:
    """A stand-in for messaging: /events/batch refuses events whose payload says so; can be made to lack the path."""
    app = FastAPI()
    app.state.batches, app.state.singles, app.state.has_batch = [], [], True

    @app.post("/events/batch")
    async def batch(request: Request) -> JSONResponse:
        if not app.state.has_batch:
            return JSONResponse({"type": "urn:bistand:problem:not-found"}, status_code=404)
        events = (await request.json())["events"]
        app.state.batches.append(events)
        results = [{"id": e["id"], "status": "refused", "problem": {"type": "urn:bistand:problem:validation-error",
                                                                     "title": "Invalid request", "status": 422}}
                   if e["payload"].get("bad") else {"id": e["id"], "status": "duplicate" if e["payload"].get("dup")
                                                    else "accepted", "notifications": 0}
                   for e in events]
        return JSONResponse({"results": results})

    @app.post("/events", status_code=202)
    async def single(request: Request) -> dict[str, str]:
        app.state.singles.append({"key": request.headers.get("idempotency-key"), "body": await request.json()})
        return {"status": "accepted"}

    return app


def _message(**payload: Any) -> OutboxMessage:
    return OutboxMessage(id=uuid.uuid4(), topic="application.submitted", payload=payload,
                         created_at=dt.datetime(2026, 12, 1, 5, 0, tzinfo=dt.UTC))


async def test_event_delivery_batch_posts_once_and_reports_refusals(caplog):
    receiver = _receiver()
    messages = [_message(n=1), _message(bad=True), _message(dup=True), _message(n=4)]
    with serve_in_thread(receiver) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            outcomes = await EventDelivery(http).batch(messages)
            assert len(receiver.state.batches) == 1
            sent = receiver.state.batches[0]
            assert [e["id"] for e in sent] == [str(m.id) for m in messages]
            assert sent[0] == {"id": str(messages[0].id), "topic": "application.submitted",
                               "occurred_at": "2026-12-01T05:00:00+00:00", "payload": {"n": 1}}
            assert [o is None for o in outcomes] == [True, False, True, True]
            assert isinstance(outcomes[1], EventRefused)
            assert outcomes[1].problem_type == "urn:bistand:problem:validation-error"
            assert any(getattr(r, "problem_type", None) == "urn:bistand:problem:validation-error"
                       for r in caplog.records)

            # More than a batch may hold goes in parts of at most 100.
            receiver.state.batches.clear()
            many = [_message(n=n) for n in range(130)]
            assert await EventDelivery(http).batch(many) == [None] * 130
            assert [len(b) for b in receiver.state.batches] == [100, 30]

            # A receiver without the batch path (an older version): one by one, keyed as before.
            receiver.state.has_batch = False
            assert await EventDelivery(http).batch(messages[:2]) == [None, None]
            assert [s["key"] for s in receiver.state.singles] == [str(m.id) for m in messages[:2]]


async def test_event_delivery_batch_without_receiver_or_with_an_error_fails_each():
    messages = [_message(n=1), _message(n=2)]
    outcomes = await EventDelivery(None).batch(messages)
    assert all(isinstance(o, RuntimeError) for o in outcomes)

    def failing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"type": "urn:bistand:problem:unavailable"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(failing), base_url="http://messaging") as http:
        outcomes = await EventDelivery(http).batch(messages)
    assert [str(o) for o in outcomes] == ["the receiver answered 503"] * 2


async def test_claim_many_shares_the_records_of_claim_across_a_key_rotation(db_url):
    """kit.idempotency.claim_many / complete_many: the same rows as claim / complete, so a key taken one way is
    taken the other way; found under an older key during a rotation; a key reused for another request refused."""
    engine = make_engine(db_url)
    old, rotated = make_sessionmaker(engine), make_sessionmaker(engine)
    bind(old, SEALER)
    bind(rotated, Sealer(Keyring.parse(f"k2:{base64.b64encode(bytes(32)).decode()},{KitSettings().sealing_keys}"),
                         "calculation"))
    single, rotated_single, fresh, other = (uuid.uuid4().hex for _ in range(4))
    try:
        async with old() as s, s.begin():
            assert await idempotency.claim(s, "events", single, "h1") is None
            await idempotency.complete(s, "events", single, 202, {"id": "first"})
            assert await idempotency.claim(s, "events", rotated_single, "h2") is None
            await idempotency.complete(s, "events", rotated_single, 202, {"id": "second"})
        async with rotated() as s, s.begin():  # a new key fingerprints now; rows under the old one still count
            outcomes = await idempotency.claim_many(s, "events", [(single, "h1"), (fresh, "h3"),
                                                                  (rotated_single, "other"), (other, "h4")])
            assert outcomes[0] == idempotency.TAKEN and outcomes[1] == idempotency.CLAIMED
            assert outcomes[3] == idempotency.CLAIMED
            assert isinstance(outcomes[2], Problem) and outcomes[2].slug == "idempotency-key-reused"
            await idempotency.complete_many(s, "events", [(fresh, 202, {"id": "fresh"}), (other, 202, {"id": "o"})])
        async with rotated() as s, s.begin():  # claimed in a batch: a single retry gets the batch's answer
            assert await idempotency.claim(s, "events", fresh, "h3") == idempotency.StoredAnswer(202, {"id": "fresh"})
            with pytest.raises(ValueError, match="distinct"):
                await idempotency.claim_many(s, "events", [(fresh, "h3"), (fresh, "h3")])
    finally:
        await engine.dispose()


async def test_linger_gathers_the_commits_of_a_busy_moment_into_one_batch(sessions):
    topic = f"test.{uuid.uuid4().hex}"
    calls: list[list[uuid.UUID]] = []

    async def deliver_batch(messages: list[OutboxMessage]) -> list[Exception | None]:
        calls.append([m.id for m in messages])
        return [None] * len(messages)

    # A poll far off: only the wake (and the linger after it) can start the pass that delivers.
    relay = OutboxRelay(sessions, _single, deliver_batch=deliver_batch, topics=[topic], poll_seconds=600,
                        linger_seconds=1.0)
    passes: asyncio.Queue[int] = asyncio.Queue()
    run_once = relay.run_once

    async def counted(limit: int | None = None) -> int:
        delivered = await run_once(limit)
        passes.put_nowait(delivered)
        return delivered

    relay.run_once = counted  # type: ignore[method-assign]
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run_forever(stop))
    try:
        assert await asyncio.wait_for(passes.get(), 30) == 0  # the first pass found nothing; now it waits
        ids = []
        for _ in range(3):  # three commits, each waking the relay, as three requests would
            ids += await _enqueue(sessions, topic, 1)
            relay.wake()
        assert await asyncio.wait_for(passes.get(), 30) == 3
        assert calls == [ids]  # one call for the three, in order
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_a_commit_during_a_pass_is_delivered_without_waiting_for_the_poll(sessions):
    """A message committed after a pass has claimed (its wake arriving while the pass runs) starts the next pass;
    the relay used to clear that wake after the pass, and the message waited for the poll (600 s here)."""
    topic = f"test.{uuid.uuid4().hex}"
    calls: list[list[uuid.UUID]] = []
    late: list[uuid.UUID] = []
    second = asyncio.Event()
    relay: OutboxRelay

    async def deliver_batch(messages: list[OutboxMessage]) -> list[Exception | None]:
        calls.append([m.id for m in messages])
        if not late:  # while the first pass delivers, a request commits its event and wakes the relay
            late.extend(await _enqueue(sessions, topic, 1))
            relay.wake()
        else:
            second.set()
        return [None] * len(messages)

    relay = OutboxRelay(sessions, _single, deliver_batch=deliver_batch, topics=[topic], poll_seconds=600)
    first = await _enqueue(sessions, topic, 1)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run_forever(stop))
    try:
        await asyncio.wait_for(second.wait(), 30)
        assert calls == [first, late]
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
