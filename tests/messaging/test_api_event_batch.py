"""POST /events/batch: an outbox relay's batch in one request, each event taken in once by its id exactly as POST
/events would (the same idempotency record), refused ones reported per event without stopping the others, and the
same refusals as POST /events for every caller that is not an allowed service."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import asyncpg
import pytest

from kit.db import plain_url
from tests.messaging.conftest import ANNA, BERTIL, CECILIA, Clock, event, make_app
from tests.support import app_client, fresh_database

PROBLEM = "urn:bistand:problem:"


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("messaging") as url:
        yield url


@pytest.fixture(scope="module")
def clock():
    return Clock()


@pytest.fixture(scope="module")
async def client(db_url, issuer, clock):
    async with app_client(make_app(db_url, issuer, clock)) as c:
        yield c


def sender(issuer, client_id: str = "applications") -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.service_token(client_id)}"}


def meeting(clock: Clock, **payload: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "topic": "meeting.booked", "occurred_at": clock().isoformat(),
            "payload": {"booking_id": str(uuid.uuid4()), "unit": "nord", "recipients": [ANNA],
                        "starts_at": (clock() + dt.timedelta(days=2)).isoformat(), **payload}}


async def batch(client, issuer, *events: dict[str, Any], client_id: str = "applications") -> list[dict[str, Any]]:
    response = await client.post("/events/batch", json={"events": list(events)}, headers=sender(issuer, client_id))
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["id"] for r in results] == [e["id"] for e in events]
    return results


async def count(db_url: str, table: str) -> int:
    conn = await asyncpg.connect(plain_url(db_url))
    try:
        return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))  # noqa: S608 - a fixed table name
    finally:
        await conn.close()


async def idempotency_rows(db_url: str) -> int:
    return await count(db_url, "idempotency_keys")


async def test_a_mixed_batch_answers_each_event_in_order(client, issuer, clock, as_persona, db_url):
    case = uuid.uuid4()
    accepted = event("application.submitted", case, occurred_at=clock() - dt.timedelta(minutes=1))
    ignored = event("application.archived", uuid.uuid4(), occurred_at=clock())
    not_ours = meeting(clock)
    invalid = event("application.assigned", uuid.uuid4(), occurred_at=clock())
    invalid["payload"]["recipients"] = ["19121212121X"]
    future = event("application.assigned", case, occurred_at=clock() + dt.timedelta(days=3650))
    again = dict(accepted)
    before = await idempotency_rows(db_url)
    results = await batch(client, issuer, accepted, ignored, not_ours, invalid, future, again)
    assert [r["status"] for r in results] == ["accepted", "ignored", "refused", "refused", "refused", "duplicate"]
    assert [r.get("problem", {}).get("type") for r in results] == [
        None, None, PROBLEM + "event-topic-not-allowed", PROBLEM + "validation-error",
        PROBLEM + "event-time-out-of-range", None]
    assert results[2]["problem"]["status"] == 403 and results[3]["problem"]["status"] == 422
    # Only the two taken in are recorded; the refused ones leave no trace.
    assert await idempotency_rows(db_url) == before + 2
    # The accepted one did what POST /events does: the household may start a thread on the case.
    thread = await client.post("/threads", headers=as_persona("anna"),
                               json={"case_id": str(case), "subject": "Hyran", "body": "Hej"})
    assert thread.status_code == 201, thread.text
    # A refused event's id is still free: its real sender may use it.
    assert (await batch(client, issuer, not_ours, client_id="meetings"))[0]["status"] == "accepted"


async def test_answers_carry_no_personal_data(client, issuer, clock):
    bad = event("application.assigned", uuid.uuid4(), recipients=(ANNA, "19121212121X"), occurred_at=clock())
    good = event("application.submitted", uuid.uuid4(), recipients=(CECILIA,), occurred_at=clock())
    response = await client.post("/events/batch", json={"events": [bad, good]}, headers=sender(issuer))
    assert response.status_code == 200
    for secret in (ANNA, CECILIA, "19121212121X", bad["payload"]["case_id"], good["payload"]["case_id"]):
        assert secret not in response.text
    assert set(response.json()["results"][1]) == {"id", "status", "notifications"}  # what POST /events says


async def test_a_redelivered_batch_does_nothing_twice(client, issuer, clock, db_url):
    events = [event("application.submitted", uuid.uuid4(), occurred_at=clock()) for _ in range(3)]
    first = await batch(client, issuer, *events)
    assert {r["status"] for r in first} == {"accepted"}
    notifications = await count(db_url, "notifications")
    again = await batch(client, issuer, *events)
    assert [r["status"] for r in again] == ["duplicate"] * 3
    assert await count(db_url, "notifications") == notifications


async def test_single_then_batch_and_batch_then_single_take_an_event_in_once(client, issuer, clock,
                                                                              service_headers):
    single = event("application.submitted", uuid.uuid4(), occurred_at=clock())
    answer = await client.post("/events", json=single, headers=service_headers(single))
    assert answer.status_code == 202
    assert (await batch(client, issuer, single))[0]["status"] == "duplicate"

    batched = event("application.submitted", uuid.uuid4(), recipients=(ANNA, BERTIL), occurred_at=clock())
    result = (await batch(client, issuer, batched))[0]
    assert result["status"] == "accepted"
    again = await client.post("/events", json=batched, headers=service_headers(batched))
    # The first answer again, as for any redelivery to POST /events.
    assert again.status_code == 202 and again.json() == {"id": batched["id"], "status": "accepted",
                                                         "notifications": result["notifications"]}


async def test_an_id_reused_for_another_topic_is_refused(client, issuer, clock):
    first = event("application.submitted", uuid.uuid4(), occurred_at=clock())
    assert (await batch(client, issuer, first))[0]["status"] == "accepted"
    other = {**first, "topic": "application.decided"}
    result = (await batch(client, issuer, other))[0]
    assert result["status"] == "refused" and result["problem"]["type"] == PROBLEM + "idempotency-key-reused"


@pytest.mark.parametrize("body", [
    {"events": []},
    "oversized",
    {"events": [{"topic": "application.submitted", "occurred_at": "2026-01-01T00:00:00Z"}]},
    {"events": [{"id": "not-a-uuid", "topic": "x", "occurred_at": "2026-01-01T00:00:00"}]},
    {"events": "none"},
    [],
])
async def test_a_bad_envelope_is_a_422_problem(client, issuer, clock, body):
    if body == "oversized":
        body = {"events": [event("application.submitted", uuid.uuid4(), occurred_at=clock()) for _ in range(101)]}
    response = await client.post("/events/batch", json=body, headers=sender(issuer))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == PROBLEM + "validation-error"
    assert ANNA not in response.text


def _callers(issuer, as_persona) -> dict[str, dict[str, str]]:
    aud = list(issuer.settings.client_audiences("applications"))
    expired = issuer.sign({"sub": "service:applications", "roles": ["service"], "client_id": "applications",
                           "aud": aud}, ttl=600, now=time.time() - 7200)
    return {
        "client": as_persona("anna"),
        "staff": as_persona("karin"),
        "gateway service": sender(issuer, "gateway"),
        "gateway service for messaging": {
            "Authorization": f"Bearer {issuer.service_token('gateway', 'bistand:messaging')}"},
        "none": {},
        "expired": {"Authorization": f"Bearer {expired}"},
        "garbage": {"Authorization": "Bearer not.a.token"},
    }


@pytest.mark.parametrize("caller", ["client", "staff", "gateway service", "gateway service for messaging", "none",
                                    "expired", "garbage"])
async def test_every_other_caller_gets_the_refusal_of_post_events(client, issuer, as_persona, clock, caller,
                                                                  db_url):
    headers = _callers(issuer, as_persona)[caller]
    one = event("application.submitted", uuid.uuid4(), occurred_at=clock())
    before = await idempotency_rows(db_url)
    single = await client.post("/events", json=one, headers={**headers, "Idempotency-Key": one["id"]})
    batched = await client.post("/events/batch", json={"events": [one]}, headers=headers)
    assert single.status_code in (401, 403)
    assert batched.status_code == single.status_code
    assert batched.headers["content-type"] == "application/problem+json"
    assert batched.json()["type"] == single.json()["type"]
    assert batched.json()["title"] == single.json()["title"]
    assert await idempotency_rows(db_url) == before  # nothing taken in
    # The allowed sender may still use the event's id.
    assert (await batch(client, issuer, one))[0]["status"] == "accepted"
