"""Who sees what: the owner, another client, a caseworker of the unit, of another unit, protected identity,
roles without bookings, and the unit configuration that only its team lead (or an admin) may change."""

from __future__ import annotations

import pytest

from tests.meetings.conftest import DANA, KARIN, MAJA, Clock, make_app, setup_nord, sthlm
from tests.support import app_client, fresh_database, outbox_rows

PROBLEM = "urn:bistand:problem:"


@pytest.fixture(scope="module")
async def env(issuer, as_persona, owner):
    async with fresh_database("meetings") as url:
        app = make_app(url, issuer, Clock(), owner=owner)
        async with app_client(app) as client:
            nord = await setup_nord(client, as_persona)
            r = await client.post("/bookings", headers=as_persona("anna"), json={
                "meeting_type_id": nord.visit, "caseworker_id": KARIN, "start": sthlm(2026, 3, 18, 9).isoformat()})
            assert r.status_code == 201, r.text
            anna_booking = r.json()["id"]
            # Dana (protected identity) books herself: her token says so, and the booking is protected for good
            r = await client.post("/bookings", headers=as_persona("dana"), json={
                "meeting_type_id": nord.visit, "caseworker_id": MAJA, "start": sthlm(2026, 3, 18, 10).isoformat()})
            assert r.status_code == 201, r.text
            dana_booking = r.json()["id"]
            yield client, nord, url, anna_booking, dana_booking


# persona -> expected status for GET /bookings/{anna's booking}
ANNA_BOOKING = {
    "anna": 200,  # the owner
    "bertil": 404,  # another client (even in the same household: bookings are personal)
    "cecilia": 404,
    "dana": 404,
    "karin": 200,  # the unit's caseworkers
    "maja": 200,
    "tove": 200,  # the unit's team lead
    "lars": 404,  # another unit's caseworker
    "nils": 403,  # an employment officer has no bookings here
    "adam": 403,
}


@pytest.mark.parametrize(("persona", "status"), sorted(ANNA_BOOKING.items()))
async def test_booking_access_matrix(env, as_persona, persona, status):
    client, _, _, anna_booking, _ = env
    for path in (f"/bookings/{anna_booking}", f"/bookings/{anna_booking}.ics"):
        r = await client.get(path, headers=as_persona(persona))
        assert r.status_code == status, (persona, path, r.text)
        if status == 404:
            assert r.json()["type"] == PROBLEM + "booking-not-found"  # same answer as a booking that does not exist


@pytest.mark.parametrize("persona", ["cecilia", "lars", "bertil"])
async def test_others_cannot_change_a_booking(env, as_persona, persona):
    client, _, _, anna_booking, _ = env
    headers = as_persona(persona)
    for method, path, body in (
        ("POST", "cancel", {"reason": "x"}),
        ("POST", "reschedule", {"start": sthlm(2026, 3, 19, 9).isoformat(), "reason": "x"}),
        ("PUT", "channel", {"channel": "phone"}),
        ("POST", "outcome", {"outcome": "held"}),
        ("POST", "staff", {"caseworker_id": KARIN}),
        ("POST", "participants", {"role": "agency"}),
    ):
        r = await client.request(method, f"/bookings/{anna_booking}/{path}", headers=headers, json=body)
        assert r.status_code == 404, (persona, path, r.text)


async def test_clients_cannot_add_people(env, as_persona):
    client, _, _, anna_booking, _ = env
    r = await client.post(f"/bookings/{anna_booking}/participants", headers=as_persona("anna"), json={"role": "parent"})
    assert r.status_code == 403 and r.json()["type"] == PROBLEM + "meeting-role-not-allowed"


async def test_protected_identity_only_with_the_permission(env, as_persona):
    client, _, url, _, dana_booking = env
    assert (await client.get(f"/bookings/{dana_booking}", headers=as_persona("dana"))).status_code == 200
    assert (await client.get(f"/bookings/{dana_booking}", headers=as_persona("maja"))).status_code == 200
    for persona in ("karin", "tove", "lars", "anna"):
        r = await client.get(f"/bookings/{dana_booking}", headers=as_persona(persona))
        assert r.status_code == 404, persona
    # not in the unit calendar of a caseworker without the permission, but in Maja's
    karin_view = (await client.get("/units/nord/calendar", headers=as_persona("karin"),
                                   params={"from": "2026-03-18", "to": "2026-03-18"})).json()
    assert dana_booking not in {b["id"] for b in karin_view}
    maja_view = (await client.get("/units/nord/calendar", headers=as_persona("maja"),
                                  params={"from": "2026-03-18", "to": "2026-03-18"})).json()
    assert dana_booking in {b["id"] for b in maja_view}
    # the event to messaging says protected and carries no location
    [event] = [e for e in await outbox_rows(url, "meetings") if e.payload["data"]["booking_id"] == dana_booking]
    assert event.payload["data"]["protected_identity"] is True
    assert event.payload["data"]["recipients"] == [DANA]
    assert "Storgatan" not in str(event.payload)
    # staff without the permission cannot book for her either (the answer an uncleared lead gets; every other
    # refusal reads the same as for any client: test_api_oracles)
    r = await client.post("/bookings", headers=as_persona("karin"), json={
        "meeting_type_id": env[1].phone, "caseworker_id": KARIN, "start": sthlm(2026, 3, 19, 9).isoformat(),
        "personal_number": DANA})
    assert r.status_code == 409 and r.json()["type"] == PROBLEM + "caseworker-not-cleared"


async def test_unit_calendar_and_stats_are_the_units(env, as_persona):
    client, _, _, _, _ = env
    r = await client.get("/units/nord/calendar", headers=as_persona("lars"))
    assert r.status_code == 404
    assert (await client.get("/units/nord/calendar", headers=as_persona("anna"))).status_code == 403
    params = {"unit": "nord", "from": "2026-03-16", "to": "2026-03-22"}
    assert (await client.get("/stats", headers=as_persona("tove"), params=params)).status_code == 200
    assert (await client.get("/stats", headers=as_persona("adam"), params=params)).status_code == 200
    for persona in ("karin", "lars", "anna"):
        r = await client.get("/stats", headers=as_persona(persona), params=params)
        assert r.status_code == 404, persona


async def test_only_the_team_lead_configures_the_unit(env, as_persona):
    client, nord, _, _, _ = env
    body = {"name": "X", "kind": "phone", "duration_minutes": 30, "channels": ["phone"]}
    for persona in ("karin", "anna", "lars"):
        r = await client.post("/units/nord/meeting-types", headers=as_persona(persona), json=body)
        assert r.status_code == 403, persona
        r = await client.put("/units/nord/settings", headers=as_persona(persona), json={})
        assert r.status_code == 403, persona
    r = await client.put(f"/meeting-types/{nord.phone}", headers=as_persona("lars"), json=body)
    assert r.status_code == 404
    assert (await client.post("/units/nord/meeting-types", headers=as_persona("adam"), json=body)).status_code == 201
    # the domain's consistency rules come back as validation problems
    bad = {"name": "Hembesök", "kind": "home_visit", "duration_minutes": 60, "channels": ["in_person"],
           "office_address": "Storgatan 1"}
    r = await client.post("/units/nord/meeting-types", headers=as_persona("tove"), json=bad)
    assert r.status_code == 422 and r.json()["errors"]
    r = await client.put("/units/nord/settings", headers=as_persona("tove"), json={"key_figures": ["nonsense"]})
    assert r.status_code == 422
    # clients see only what they can book themselves
    listed = (await client.get("/units/nord/meeting-types", headers=as_persona("anna"))).json()
    assert {t["id"] for t in listed} == {nord.visit}
    listed = (await client.get("/units/nord/meeting-types", headers=as_persona("karin"))).json()
    assert {nord.visit, nord.phone, nord.home, nord.joint} <= {t["id"] for t in listed}


async def test_anonymous_is_unauthorized(env):
    client, nord, _, anna_booking, _ = env
    for path in (f"/bookings/{anna_booking}", "/me/bookings", f"/slots?meeting_type_id={nord.visit}"):
        r = await client.get(path)
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"


async def test_a_protected_client_meets_only_cleared_caseworkers(env, as_persona):
    client, nord, _, _, dana_booking = env
    # Dana is offered Maja's times only: Karin is not cleared for protected identity.
    r = await client.get("/slots", headers=as_persona("dana"),
                         params={"meeting_type_id": nord.visit, "from": "2026-03-23", "to": "2026-03-24"})
    assert r.status_code == 200, r.text
    assert {s["caseworker_id"] for s in r.json()["slots"]} == {MAJA}
    # Asking for Karin's time anyway is refused, and nothing is booked.
    r = await client.post("/bookings", headers=as_persona("dana"), json={
        "meeting_type_id": nord.visit, "caseworker_id": KARIN, "start": sthlm(2026, 3, 23, 9).isoformat()})
    assert r.status_code in (409, 422) and r.json()["type"].startswith(PROBLEM)
    # Cecilia (first meeting, not protected) is offered both.
    r = await client.get("/slots", headers=as_persona("cecilia"),
                         params={"meeting_type_id": nord.visit, "from": "2026-03-23", "to": "2026-03-24"})
    assert {s["caseworker_id"] for s in r.json()["slots"]} == {KARIN, MAJA}
    # Maja cannot bring an uncleared colleague into Dana's meeting.
    r = await client.post(f"/bookings/{dana_booking}/staff", headers=as_persona("maja"), json={"caseworker_id": KARIN})
    assert r.status_code == 409 and r.json()["type"] == PROBLEM + "caseworker-not-cleared"
