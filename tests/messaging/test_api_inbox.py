"""The unit inbox: seen by all the unit's caseworkers, taken by one, following the case's caseworker,
handed over during an absence; unread counts for the client, each caseworker and the unit inbox."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest

from tests.messaging.conftest import ANNA, Clock, event, make_app, make_known
from tests.support import app_client, fresh_database


@pytest.fixture
async def db_url():
    async with fresh_database("messaging") as url:
        yield url


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def client(db_url, issuer, clock, service_headers):
    async with app_client(make_app(db_url, issuer, clock)) as c:
        await make_known(c, service_headers, ANNA)  # a client of unit Nord, so staff may write to her
        yield c


async def ids(client, headers, view: str) -> set[str]:
    response = await client.get("/threads", params={"view": view}, headers=headers)
    assert response.status_code == 200, response.text
    return {t["id"] for t in response.json()}


async def test_a_unit_thread_is_seen_by_all_taken_by_one(client, as_persona):
    anna, karin, maja = as_persona("anna"), as_persona("karin"), as_persona("maja")
    tid = (await client.post("/threads", headers=anna, json={"unit": "nord", "subject": "Till enheten",
                                                              "body": "Hej"})).json()["id"]
    assert tid in await ids(client, karin, "unit") and tid in await ids(client, maja, "unit")
    assert tid not in await ids(client, karin, "mine")
    assert (await client.post(f"/threads/{tid}/take", headers=karin)).json()["assigned_to"] == "persona:karin"
    assert (await client.post(f"/threads/{tid}/take", headers=karin)).status_code == 200  # mine already: fine
    taken = await client.post(f"/threads/{tid}/take", headers=maja)
    assert taken.status_code == 409 and taken.json()["type"] == "urn:bistand:problem:thread-already-taken"
    assert tid not in await ids(client, maja, "unit") and tid in await ids(client, karin, "mine")
    assert tid in await ids(client, maja, "all")  # still visible to the whole unit
    handed = await client.post(f"/threads/{tid}/assign", headers=karin, json={"to": "persona:maja"})
    assert handed.json()["assigned_to"] == "persona:maja" and tid in await ids(client, maja, "mine")
    back = await client.post(f"/threads/{tid}/assign", headers=maja, json={"to": None})
    assert back.json()["assigned_to"] is None and tid in await ids(client, karin, "unit")
    # Taking is for the unit's caseworkers; a client or the team lead cannot.
    assert (await client.post(f"/threads/{tid}/take", headers=anna)).status_code == 403
    assert (await client.post(f"/threads/{tid}/take", headers=as_persona("tove"))).status_code == 403
    assert (await client.post(f"/threads/{tid}/take", headers=as_persona("lars"))).status_code == 404


async def test_unread_counts_for_client_caseworker_and_unit_inbox(client, as_persona):
    anna, karin, maja = as_persona("anna"), as_persona("karin"), as_persona("maja")
    tid = (await client.post("/threads", headers=anna, json={"unit": "nord", "subject": "Räkna"})).json()["id"]
    for text in ("ett", "två"):
        await client.post(f"/threads/{tid}/messages", headers=anna, json={"body": text})
    assert (await client.get("/me/unread", headers=maja)).json() == {
        "total": 2, "threads": None, "mine": 0, "unit_inbox": {"nord": 2}}
    # One caseworker reading the unit inbox clears it for the unit.
    await client.post(f"/threads/{tid}/read", headers=karin)
    assert (await client.get("/me/unread", headers=maja)).json()["unit_inbox"] == {"nord": 0}
    await client.post(f"/threads/{tid}/take", headers=karin)
    await client.post(f"/threads/{tid}/messages", headers=anna, json={"body": "tre"})
    assert (await client.get("/me/unread", headers=karin)).json()["mine"] == 1
    assert (await client.get("/me/unread", headers=maja)).json() == {
        "total": 0, "threads": None, "mine": 0, "unit_inbox": {"nord": 0}}
    listed = {t["id"]: t["unread"] for t in (await client.get("/threads", params={"view": "mine"},
                                                              headers=karin)).json()}
    assert listed[tid] == 1
    # Read up to a point only.
    await client.post(f"/threads/{tid}/messages", headers=karin, json={"body": "svar 1"})
    await client.post(f"/threads/{tid}/messages", headers=karin, json={"body": "svar 2"})
    assert (await client.get("/me/unread", headers=anna)).json() == {
        "total": 2, "threads": {tid: 2}, "mine": None, "unit_inbox": None}
    await client.post(f"/threads/{tid}/read", headers=anna, json={"up_to_seq": 4})
    assert (await client.get(f"/threads/{tid}", headers=anna)).json()["unread"] == 1


async def test_the_thread_follows_the_cases_caseworker(client, as_persona, service_headers):
    anna, karin, maja = as_persona("anna"), as_persona("karin"), as_persona("maja")
    case = uuid.uuid4()
    t0 = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)  # events are never from the future
    first = event("application.submitted", case, caseworker="persona:karin", occurred_at=t0)
    await client.post("/events", json=first, headers=service_headers(first))
    tid = (await client.post("/threads", headers=anna, json={"case_id": str(case), "subject": "Ärendet"})).json()["id"]
    assert tid in await ids(client, karin, "mine") and tid not in await ids(client, karin, "unit")
    moved = event("application.assigned", case, caseworker="persona:maja", occurred_at=t0 + dt.timedelta(hours=1))
    await client.post("/events", json=moved, headers=service_headers(moved))
    assert tid in await ids(client, maja, "mine") and tid not in await ids(client, karin, "mine")
    # A late, older event does not turn the clock back.
    late = event("application.info_requested", case, caseworker="persona:karin",
                 occurred_at=t0 + dt.timedelta(minutes=30))
    assert (await client.post("/events", json=late, headers=service_headers(late))).status_code == 202
    assert tid in await ids(client, maja, "mine")
    # Staff starting a thread on the case: it goes to the case's caseworker, not the starter.
    started = await client.post("/threads", headers=karin, json={"case_id": str(case), "subject": "Från Karin"})
    assert started.json()["assigned_to"] == "persona:maja"


async def test_absence_hands_threads_to_the_substitute_or_the_unit_inbox(client, as_persona, clock):
    anna, karin, maja = as_persona("anna"), as_persona("karin"), as_persona("maja")
    tid = (await client.post("/threads", headers=karin, json={"personal_number": "198903149808",
                                                               "subject": "Karins"})).json()["id"]
    assert tid in await ids(client, karin, "mine")
    now = clock()
    away = {"starts_at": (now - dt.timedelta(hours=1)).isoformat(),
            "ends_at": (now + dt.timedelta(days=2)).isoformat(), "substitute": "persona:maja"}
    assert (await client.put("/me/absence", headers=karin, json=away)).status_code == 200
    assert tid in await ids(client, maja, "mine") and tid not in await ids(client, karin, "mine")
    shown = (await client.get(f"/threads/{tid}", headers=maja)).json()
    assert shown["assigned_to"] == "persona:karin" and shown["working_on_it"] == "persona:maja"
    await client.post(f"/threads/{tid}/messages", headers=anna, json={"body": "Är du där?"})
    assert (await client.get("/me/unread", headers=maja)).json()["mine"] == 1

    # Without a substitute, the thread goes back to the unit inbox, and anyone there may take it.
    await client.put("/me/absence", headers=karin, json={**away, "substitute": None})
    assert tid in await ids(client, maja, "unit")
    assert (await client.post(f"/threads/{tid}/take", headers=maja)).json()["assigned_to"] == "persona:maja"

    # Back: threads still assigned to Karin are hers again (this one Maja took meanwhile).
    tid2 = (await client.post("/threads", headers=karin, json={"personal_number": "198903149808",
                                                                "subject": "Karins andra"})).json()["id"]
    assert tid2 in await ids(client, karin, "unit")  # she is away, so it waits in the unit inbox
    assert (await client.get("/me/absence", headers=karin)).json()["substitute"] is None
    assert (await client.delete("/me/absence", headers=karin)).status_code == 204
    assert tid2 in await ids(client, karin, "mine") and tid not in await ids(client, karin, "mine")
    assert (await client.get("/me/absence", headers=karin)).status_code == 404

    # The absence also ends by itself.
    await client.put("/me/absence", headers=karin, json={**away, "substitute": "persona:maja"})
    clock.advance(days=3)
    assert tid2 in await ids(client, karin, "mine")


async def test_absence_rules(client, as_persona, clock):
    now = clock()
    bad = {"starts_at": now.isoformat(), "ends_at": (now - dt.timedelta(hours=1)).isoformat()}
    response = await client.put("/me/absence", headers=as_persona("karin"), json=bad)
    assert response.status_code == 422 and response.json()["type"] == "urn:bistand:problem:absence-invalid"
    self_sub = {"starts_at": now.isoformat(), "ends_at": (now + dt.timedelta(hours=1)).isoformat(),
                "substitute": "persona:karin"}
    assert (await client.put("/me/absence", headers=as_persona("karin"), json=self_sub)).status_code == 422
    naive = {"starts_at": "2026-01-01T08:00:00", "ends_at": "2026-01-02T08:00:00"}
    assert (await client.put("/me/absence", headers=as_persona("karin"), json=naive)).status_code == 422
    assert (await client.put("/me/absence", headers=as_persona("anna"), json=self_sub)).status_code == 403


async def test_two_caseworkers_taking_at_once_one_wins(client, as_persona):
    tid = (await client.post("/threads", headers=as_persona("anna"), json={"unit": "nord", "subject": "Kapplöpning"})
           ).json()["id"]
    answers = await asyncio.gather(*(client.post(f"/threads/{tid}/take", headers=as_persona(p))
                                     for p in ("karin", "maja")))
    assert sorted(a.status_code for a in answers) == [200, 409]


async def test_concurrent_messages_are_numbered_without_gaps(client, as_persona):
    anna, karin = as_persona("anna"), as_persona("karin")
    tid = (await client.post("/threads", headers=anna, json={"unit": "nord", "subject": "Samtidigt"})).json()["id"]
    sent = await asyncio.gather(*(client.post(f"/threads/{tid}/messages", headers=anna if n % 2 else karin,
                                              json={"body": f"{n}"}) for n in range(12)))
    assert sorted(r.json()["seq"] for r in sent) == list(range(1, 13))
    listed = (await client.get(f"/threads/{tid}/messages", headers=anna)).json()
    assert [m["seq"] for m in listed] == list(range(1, 13))
