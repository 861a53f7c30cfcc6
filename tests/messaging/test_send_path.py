"""The send path's one-statement write: numbering, the rate limit's rollback and the live event it announces."""

from __future__ import annotations

import asyncio

import asyncpg
import orjson
import pytest

from kit.db import plain_url
from services.messaging.store.live import NOTIFY_CHANNEL
from tests.messaging.conftest import Clock, make_app
from tests.support import app_client, fresh_database


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("messaging") as url:
        yield url


async def test_a_rate_limited_message_leaves_nothing_behind(db_url, issuer, as_persona):
    """Over the limit, the message, its number and its live event all roll back: the next one takes the number."""
    clock = Clock()
    app = make_app(db_url, issuer, clock, sender_rate_per_minute=2, sender_rate_per_hour=3)
    async with app_client(app) as client:
        cecilia = as_persona("cecilia")
        tid = (await client.post("/threads", headers=cecilia, json={"unit": "syd", "subject": "Gräns"})).json()["id"]
        for n in range(2):
            assert (await client.post(f"/threads/{tid}/messages", headers=cecilia,
                                      json={"body": f"{n}"})).status_code == 201
        limited = await client.post(f"/threads/{tid}/messages", headers=cecilia, json={"body": "för många"})
        assert limited.status_code == 429 and limited.json()["type"].endswith("message-rate-limited")
        assert limited.headers["retry-after"] == "60"
        messages = (await client.get(f"/threads/{tid}/messages", headers=cecilia)).json()
        assert [m["seq"] for m in messages] == [1, 2]
        clock.advance(seconds=61)  # the minute has passed; the hour allows one more
        third = await client.post(f"/threads/{tid}/messages", headers=cecilia, json={"body": "nu"})
        assert third.status_code == 201 and third.json()["seq"] == 3
        per_hour = await client.post(f"/threads/{tid}/messages", headers=cecilia, json={"body": "igen"})
        assert per_hour.status_code == 429 and per_hour.headers["retry-after"] == "3600"
        thread = (await client.get(f"/threads/{tid}", headers=cecilia)).json()
        assert thread["last_seq"] == 3


async def test_a_sent_message_is_announced_with_ids_only(db_url, issuer, as_persona):
    """The NOTIFY carries the same fields publish() would, and nothing of the content."""
    heard: asyncio.Queue[str] = asyncio.Queue()
    conn = await asyncpg.connect(plain_url(db_url))
    await conn.add_listener(NOTIFY_CHANNEL, lambda *args: heard.put_nowait(args[-1]))
    try:
        app = make_app(db_url, issuer, Clock())
        async with app_client(app) as client:
            anna = as_persona("anna")
            tid = (await client.post("/threads", headers=anna, json={"unit": "nord", "subject": "Hörs"})).json()["id"]
            sent = (await client.post(f"/threads/{tid}/messages", headers=anna,
                                      json={"body": "Hemligt innehåll"})).json()
            while True:
                event = orjson.loads(await asyncio.wait_for(heard.get(), 5))
                if event["type"] == "message":
                    break
        assert event == {"type": "message", "thread_id": tid, "message_id": sent["id"], "seq": 1, "side": "client"}
        assert list(event) == ["type", "thread_id", "message_id", "seq", "side"]
    finally:
        await conn.close()
