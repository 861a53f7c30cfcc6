"""No oracle: what an uncleared caseworker is answered does not tell whether a client has protected identity.

Karin (not cleared) books and records contacts for Dana (protected), Cecilia (a known client, not protected) and
someone the service has never seen. Every refusal that has another reason reads the same for all three, status
and body; the one answer that depends on protection (an otherwise bookable time) is the same answer as for a lead
who is not cleared. A contact that overlaps a booking (item 13) is recorded, never a 500.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.meetings.conftest import CECILIA, DANA, KARIN, LARS, MAJA, make_app, setup_nord, sthlm
from tests.support import app_client, fresh_database

PROBLEM = "urn:bistand:problem:"
UNKNOWN = "195001019826"  # a valid personnummer this service has never seen
CLIENTS = {"protected": DANA, "known": CECILIA, "unknown": UNKNOWN}



@pytest.fixture(autouse=True)
def _start(monday_morning):
    """Every test starts on Monday morning (conftest)."""


@pytest.fixture(scope="module")
async def env(issuer, as_persona, clock, owner):
    async with fresh_database("meetings") as url:
        app = make_app(url, issuer, clock, owner=owner)
        async with app_client(app) as client:
            nord = await setup_nord(client, as_persona)
            # Dana's own booking makes her protected here (her token says so)
            r = await client.post("/bookings", headers=as_persona("dana"), json={
                "meeting_type_id": nord.visit, "caseworker_id": MAJA, "start": sthlm(2026, 3, 18, 10).isoformat()})
            assert r.status_code == 201, r.text
            yield client, nord, url


def answer(r: Any) -> tuple[int, dict[str, Any]]:
    body = r.json()
    body.pop("request_id", None)
    return r.status_code, body


async def same_for_everyone(client, headers, path, body_for) -> tuple[int, dict[str, Any]]:
    answers = {who: answer(await client.post(path, headers=headers, json=body_for(pnr)))
               for who, pnr in CLIENTS.items()}
    assert answers["protected"] == answers["known"] == answers["unknown"], answers
    return answers["known"]


async def test_booking_refusals_do_not_depend_on_protection(env, as_persona):
    client, nord, _ = env
    karin = as_persona("karin")

    def booking(**overrides: Any):
        def body(pnr: str) -> dict[str, Any]:
            return {"meeting_type_id": nord.phone, "caseworker_id": KARIN,
                    "start": sthlm(2026, 3, 19, 9).isoformat(), "personal_number": pnr, **overrides}
        return body

    late = sthlm(2026, 3, 19, 15).isoformat()
    status, body = await same_for_everyone(client, karin, "/bookings", booking(start=late))
    assert status == 409 and body["type"] == PROBLEM + "slot-unavailable"
    status, body = await same_for_everyone(client, karin, "/bookings", booking(caseworker_id=LARS))
    assert status == 422 and body["type"] == PROBLEM + "caseworker-not-in-unit"
    status, body = await same_for_everyone(client, karin, "/bookings", booking(channel="video"))
    assert status == 422 and body["type"] == PROBLEM + "channel-not-allowed"
    status, body = await same_for_everyone(client, karin, "/bookings", booking(meeting_type_id=str(uuid.uuid4())))
    assert status == 404 and body["type"] == PROBLEM + "meeting-type-not-found"
    status, body = await same_for_everyone(client, karin, "/bookings",
                                           booking(start=sthlm(2026, 3, 19, 9, 30).isoformat(), caseworker_id="x"))
    assert status == 422


async def test_the_one_protection_answer_is_the_uncleared_lead_answer(env, as_persona):
    client, nord, _ = env

    def body(caseworker: str, pnr: str, hour: int) -> dict[str, Any]:
        return {"meeting_type_id": nord.phone, "caseworker_id": caseworker, "personal_number": pnr,
                "start": sthlm(2026, 3, 20, hour).isoformat()}

    # Karin (not cleared) books a free time for Dana: refused, with the same answer as cleared Maja gets for a
    # booking of Dana with Karin.
    by_karin = answer(await client.post("/bookings", headers=as_persona("karin"), json=body(KARIN, DANA, 9)))
    by_maja = answer(await client.post("/bookings", headers=as_persona("maja"), json=body(KARIN, DANA, 9)))
    assert by_karin[0] == 409 and by_karin[1]["type"] == PROBLEM + "caseworker-not-cleared"
    assert by_karin == by_maja
    # the others are booked
    for pnr, hour in ((CECILIA, 10), (UNKNOWN, 11)):
        r = await client.post("/bookings", headers=as_persona("karin"), json=body(KARIN, pnr, hour))
        assert r.status_code == 201, r.text


async def test_contact_refusals_do_not_depend_on_protection(env, as_persona):
    client, nord, _ = env
    karin = as_persona("karin")

    def contact(**overrides: Any):
        def body(pnr: str) -> dict[str, Any]:
            return {"meeting_type_id": nord.visit, "start": sthlm(2026, 3, 16, 8).isoformat(),
                    "personal_number": pnr, **overrides}
        return body

    future = sthlm(2026, 3, 17, 9).isoformat()
    status, body = await same_for_everyone(client, karin, "/contacts", contact(start=future))
    assert status == 422 and body["type"] == PROBLEM + "contact-in-future"
    status, body = await same_for_everyone(client, karin, "/contacts", contact(meeting_type_id=nord.phone,
                                                                               channel="video"))
    assert status == 422 and body["type"] == PROBLEM + "channel-not-allowed"
    status, body = await same_for_everyone(client, karin, "/contacts", contact(meeting_type_id=str(uuid.uuid4())))
    assert status == 404
    # Dana's contact by Karin has the same answer as her booking by Karin
    r = await client.post("/contacts", headers=karin, json=contact()(DANA))
    assert r.status_code == 409 and r.json()["type"] == PROBLEM + "caseworker-not-cleared"
    # Maja, cleared, records it
    r = await client.post("/contacts", headers=as_persona("maja"), json=contact()(DANA))
    assert r.status_code == 201, r.text


async def test_a_contact_overlapping_a_booking_is_recorded_not_a_500(env, as_persona, clock):
    client, nord, _ = env
    karin = as_persona("karin")
    # Karin's booked meeting, Tuesday 09:00-10:15 (with its buffer)
    r = await client.post("/bookings", headers=karin, json={
        "meeting_type_id": nord.visit, "caseworker_id": KARIN, "personal_number": CECILIA,
        "start": sthlm(2026, 3, 17, 9).isoformat()})
    assert r.status_code == 201, r.text
    meeting = r.json()["id"]
    # the client did not come; a drop-in visit took the time instead: recorded, for anyone
    clock.set(sthlm(2026, 3, 17, 11))
    for pnr in (UNKNOWN, CECILIA):
        r = await client.post("/contacts", headers=karin, json={
            "meeting_type_id": nord.visit, "start": sthlm(2026, 3, 17, 9, 30).isoformat(), "personal_number": pnr,
            "channel": "in_person"})
        assert r.status_code == 201, r.text
        assert r.json()["outcome"] == "held"
    # and a contact takes no time from the calendar: the meeting can still be marked
    r = await client.post(f"/bookings/{meeting}/outcome", headers=karin, json={"outcome": "no_show"})
    assert r.status_code == 200, r.text
