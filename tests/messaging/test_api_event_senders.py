"""POST /events: each topic only from the service that owns it, and only with a believable occurred_at.

A meetings credential must not rewrite a case's household (who may read its threads), and an event from the
far future must not freeze the case against every later, real update."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from services.messaging.domain import intake
from tests.messaging.conftest import ANNA, BERTIL, CECILIA, Clock, event, make_app
from tests.support import app_client, fresh_database


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


async def _household_thread(client, as_persona, service_headers, clock) -> tuple[uuid.UUID, str]:
    case = uuid.uuid4()
    body = event("application.submitted", case, occurred_at=clock() - dt.timedelta(minutes=1))
    assert (await client.post("/events", json=body, headers=service_headers(body))).status_code == 202
    thread = await client.post("/threads", headers=as_persona("anna"),
                               json={"case_id": str(case), "subject": "Hyran", "body": "Hemligt om hyran"})
    assert thread.status_code == 201, thread.text
    return case, thread.json()["id"]


async def test_meetings_cannot_rewrite_a_cases_household(client, as_persona, service_headers, clock):
    case, tid = await _household_thread(client, as_persona, service_headers, clock)
    forged = event("application.assigned", case, recipients=(CECILIA,), occurred_at=clock())
    response = await client.post("/events", json=forged, headers=service_headers(forged, client_id="meetings"))
    assert response.status_code == 403, response.text
    assert response.json()["type"] == "urn:bistand:problem:event-topic-not-allowed"
    # Cecilia did not join the thread; Anna still reads it.
    assert (await client.get(f"/threads/{tid}/messages", headers=as_persona("cecilia"))).status_code == 404
    messages = await client.get(f"/threads/{tid}/messages", headers=as_persona("anna"))
    assert messages.status_code == 200 and "Hemligt om hyran" in messages.text
    # The refused event left no idempotency record: the real sender may still use its id.
    real = {**forged, "payload": {**forged["payload"], "recipients": [ANNA, BERTIL]}}
    assert (await client.post("/events", json=real, headers=service_headers(real))).status_code == 202


async def test_applications_cannot_post_meeting_events(client, service_headers, clock):
    body = {"id": str(uuid.uuid4()), "topic": "meeting.booked", "occurred_at": clock().isoformat(),
            "payload": {"booking_id": str(uuid.uuid4()), "unit": "nord", "recipients": [ANNA],
                        "starts_at": (clock() + dt.timedelta(days=2)).isoformat()}}
    response = await client.post("/events", json=body, headers=service_headers(body, client_id="applications"))
    assert response.status_code == 403
    assert response.json()["type"] == "urn:bistand:problem:event-topic-not-allowed"


async def test_a_topic_nobody_owns_is_refused(client, service_headers, clock):
    body = event("payments.made", uuid.uuid4(), occurred_at=clock())
    response = await client.post("/events", json=body, headers=service_headers(body, client_id="applications"))
    assert response.status_code == 403


async def test_a_far_future_event_cannot_freeze_the_case(client, as_persona, service_headers, clock):
    case, tid = await _household_thread(client, as_persona, service_headers, clock)
    future = event("application.assigned", case, recipients=(ANNA,), occurred_at=clock() + dt.timedelta(days=3650))
    response = await client.post("/events", json=future, headers=service_headers(future))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:bistand:problem:event-time-out-of-range"
    assert response.json()["errors"][0]["field"] == "occurred_at"
    # A real, later update still applies: Bertil stays a member (the frozen case would have dropped him).
    later = event("application.assigned", case, recipients=(ANNA, BERTIL), caseworker="persona:maja",
                  occurred_at=clock())
    assert (await client.post("/events", json=later, headers=service_headers(later))).status_code == 202
    assert (await client.get(f"/threads/{tid}", headers=as_persona("bertil"))).status_code == 200
    thread = await client.get(f"/threads/{tid}", headers=as_persona("maja"))
    assert thread.json()["assigned_to"] == "persona:maja"


async def test_small_skew_is_fine_and_absurdly_old_is_not(client, service_headers, clock):
    ahead = event("application.submitted", uuid.uuid4(), occurred_at=clock() + dt.timedelta(minutes=4))
    assert (await client.post("/events", json=ahead, headers=service_headers(ahead))).status_code == 202
    old = event("application.submitted", uuid.uuid4(), occurred_at=clock() - dt.timedelta(days=3650))
    assert (await client.post("/events", json=old, headers=service_headers(old))).status_code == 422


def test_topic_rules_parse_and_match():
    rules = intake.parse_topic_senders("application.*=applications, meeting.*=meetings,meeting.*=meetings2,x=y")
    assert intake.may_post(rules, "applications", "application.decided")
    assert not intake.may_post(rules, "meetings", "application.decided")
    assert intake.may_post(rules, "meetings2", "meeting.booked")
    assert intake.may_post(rules, "y", "x") and not intake.may_post(rules, "y", "x.y")
    assert not intake.may_post(rules, None, "application.decided")
    assert intake.senders(rules) == {"applications", "meetings", "meetings2", "y"}
    for bad in ("application.*", "=applications", "a*b=c"):
        with pytest.raises(ValueError):
            intake.parse_topic_senders(bad)
