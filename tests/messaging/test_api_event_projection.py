"""POST /events brings our picture of a case and its threads up to date in one statement (store/cases.py): the
household (who may read the case's threads), the unit, the caseworker and protection follow the newest event;
an older event arriving late changes nothing, and an event naming nobody keeps the household."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.messaging.conftest import ANNA, BERTIL, CECILIA, Clock, event, make_app
from tests.support import app_client, fresh_database

pytestmark = pytest.mark.asyncio


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


async def reads(client, as_persona, who: str, tid: str) -> bool:
    response = await client.get(f"/threads/{tid}/messages", headers=as_persona(who))
    assert response.status_code in (200, 404), response.text
    if response.status_code == 404:
        assert "Hemligt" not in response.text and ANNA not in response.text
    return response.status_code == 200


async def test_the_threads_follow_the_newest_event_only(client, as_persona, service_headers, clock):
    case = uuid.uuid4()
    t0 = clock() - dt.timedelta(hours=3)

    async def post(topic: str, at: dt.datetime, **kw) -> None:
        body = event(topic, case, occurred_at=at, **kw)
        response = await client.post("/events", json=body, headers=service_headers(body))
        assert response.status_code == 202, response.text

    await post("application.submitted", t0)  # Anna and Bertil
    made = await client.post("/threads", headers=as_persona("anna"),
                             json={"case_id": str(case), "subject": "Hyran", "body": "Hemligt om hyran"})
    assert made.status_code == 201, made.text
    tid = made.json()["id"]
    assert await reads(client, as_persona, "bertil", tid)
    assert not await reads(client, as_persona, "cecilia", tid)

    # The household changes: Bertil leaves, Cecilia joins; the thread follows.
    await post("application.assigned", t0 + dt.timedelta(hours=1), recipients=(ANNA, CECILIA))
    assert await reads(client, as_persona, "cecilia", tid)
    assert not await reads(client, as_persona, "bertil", tid)
    assert await reads(client, as_persona, "anna", tid)

    # An event naming nobody keeps the household.
    await post("application.assigned", t0 + dt.timedelta(hours=2), recipients=())
    assert await reads(client, as_persona, "cecilia", tid) and await reads(client, as_persona, "anna", tid)

    # A late, older event (Bertil back, another unit) changes nothing.
    await post("application.assigned", t0 + dt.timedelta(minutes=30), recipients=(ANNA, BERTIL), unit="syd")
    assert not await reads(client, as_persona, "bertil", tid)
    assert await reads(client, as_persona, "cecilia", tid)
    staff = await client.get(f"/threads/{tid}", headers=as_persona("karin"))  # unit nord still
    assert staff.status_code == 200, staff.text
