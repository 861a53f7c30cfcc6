"""Clearance and calendar feeds follow the caseworker's current token, on an injected clock.

A caseworker's clearance for protected identity is stored from their token on each request; a decision about them
by someone else (their times offered to a protected client, made lead or participant of such a meeting) trusts it
only while it is recent (MEETINGS_CLEARANCE_MAX_AGE_SECONDS). Feed tokens expire, can be revoked, and stop when the
owner's unit changes or the clearance they were made under is gone.
"""

from __future__ import annotations

import datetime as dt

import pytest

from simulators.idp.personas import PERSONAS, Persona
from tests.meetings.conftest import DANA, MAJA, WEEKDAY_HOURS, make_app, setup_nord, sthlm
from tests.support import app_client, fresh_database

PROBLEM = "urn:bistand:problem:"
MAX_AGE = dt.timedelta(hours=8)
# Maja as her token says after her clearance was withdrawn (same subject, no permission)
MAJA_WITHDRAWN = Persona("maja", "Maja Malm", ("caseworker",), unit="nord")
# a cleared colleague who books for others
PIA = Persona("pia", "Pia Persson", ("caseworker",), unit="nord", permissions=("protected_identity",))
OLLE = Persona("olle", "Olle Olsson", ("caseworker",), unit="nord")
OLLE_MOVED = Persona("olle", "Olle Olsson", ("caseworker",), unit="syd")



@pytest.fixture(autouse=True)
def _start(monday_morning):
    """Every test starts on Monday morning (conftest)."""


@pytest.fixture(scope="module")
async def env(issuer, as_persona, clock, owner):
    async with fresh_database("meetings") as url:
        app = make_app(url, issuer, clock, owner=owner, clearance_max_age_seconds=int(MAX_AGE.total_seconds()))
        async with app_client(app) as client:
            nord = await setup_nord(client, as_persona)
            yield client, nord


def bearer(issuer, persona: Persona) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.persona_token(persona)}"}


async def offered_to_dana(client, as_persona, nord) -> set[str]:
    r = await client.get("/slots", headers=as_persona("dana"), params={
        "meeting_type_id": nord.visit, "from": "2026-03-24", "to": "2026-03-24"})
    assert r.status_code == 200, r.text
    return {s["caseworker_id"] for s in r.json()["slots"]}


async def pia_books_dana_with_maja(client, issuer, nord, hour: int):
    return await client.post("/bookings", headers=bearer(issuer, PIA), json={
        "meeting_type_id": nord.phone, "caseworker_id": MAJA, "personal_number": DANA,
        "start": sthlm(2026, 3, 25, hour).isoformat()})


async def test_clearance_follows_the_current_token(env, as_persona, issuer):
    client, nord = env
    assert await offered_to_dana(client, as_persona, nord) == {MAJA}
    # Maja's clearance is withdrawn at the IdP: her next request (any) says so
    assert (await client.get("/me/bookings", headers=bearer(issuer, MAJA_WITHDRAWN))).status_code == 200
    assert await offered_to_dana(client, as_persona, nord) == set()
    r = await pia_books_dana_with_maja(client, issuer, nord, 9)
    assert r.status_code == 409 and r.json()["type"] == PROBLEM + "caseworker-not-cleared"
    # cleared again
    assert (await client.get("/me/bookings", headers=as_persona("maja"))).status_code == 200
    assert await offered_to_dana(client, as_persona, nord) == {MAJA}


async def test_a_stored_clearance_goes_stale(env, as_persona, issuer, clock):
    client, nord = env
    assert (await client.get("/me/bookings", headers=as_persona("maja"))).status_code == 200
    clock.advance(hours=7)
    assert await offered_to_dana(client, as_persona, nord) == {MAJA}
    clock.advance(hours=2)  # nine hours since Maja's token last said she is cleared
    assert await offered_to_dana(client, as_persona, nord) == set()
    r = await pia_books_dana_with_maja(client, issuer, nord, 10)
    assert r.status_code == 409 and r.json()["type"] == PROBLEM + "caseworker-not-cleared"
    r = await client.post("/bookings", headers=as_persona("dana"), json={
        "meeting_type_id": nord.visit, "caseworker_id": MAJA, "start": sthlm(2026, 3, 24, 9).isoformat()})
    assert r.status_code == 409
    # Maja works again: her token confirms it
    assert (await client.get("/me/bookings", headers=as_persona("maja"))).status_code == 200
    assert await offered_to_dana(client, as_persona, nord) == {MAJA}
    r = await pia_books_dana_with_maja(client, issuer, nord, 10)
    assert r.status_code == 201, r.text


async def test_a_feed_expires(env, as_persona, clock):
    client, _ = env
    r = await client.post("/me/feed", headers=as_persona("karin"))
    assert r.status_code == 201
    body = r.json()
    assert dt.datetime.fromisoformat(body["expires_at"]) == clock.now + dt.timedelta(days=90)
    token = body["url"].rsplit("/", 1)[1]
    assert (await client.get(f"/feeds/{token}")).status_code == 200
    clock.set(dt.datetime.fromisoformat(body["expires_at"]) - dt.timedelta(seconds=1))
    assert (await client.get(f"/feeds/{token}")).status_code == 200
    clock.advance(seconds=1)
    r = await client.get(f"/feeds/{token}")
    assert r.status_code == 404 and r.json()["type"] == PROBLEM + "feed-not-found"


async def test_a_feed_is_revoked_by_its_owner(env, as_persona):
    client, _ = env
    token = (await client.post("/me/feed", headers=as_persona("karin"))).json()["url"].rsplit("/", 1)[1]
    assert (await client.get(f"/feeds/{token}")).status_code == 200
    assert (await client.delete("/me/feed", headers=as_persona("karin"))).status_code == 204
    assert (await client.get(f"/feeds/{token}")).status_code == 404
    assert (await client.delete("/me/feed", headers=as_persona("anna"))).status_code == 403


async def test_a_feed_stops_when_its_owner_changes_unit(env, issuer):
    client, _ = env
    r = await client.put("/caseworkers/me/hours", headers=bearer(issuer, OLLE), json={"hours": WEEKDAY_HOURS})
    assert r.status_code == 200
    token = (await client.post("/me/feed", headers=bearer(issuer, OLLE))).json()["url"].rsplit("/", 1)[1]
    assert (await client.get(f"/feeds/{token}")).status_code == 200
    assert (await client.get("/me/bookings", headers=bearer(issuer, OLLE_MOVED))).status_code == 200
    assert (await client.get(f"/feeds/{token}")).status_code == 404
    # and he is now Syd's: Nord's staff no longer see his calendar
    r = await client.get(f"/caseworkers/{OLLE.sub}/hours", headers=bearer(issuer, PERSONAS["tove"]))
    assert r.status_code == 404


async def test_a_feed_stops_with_the_clearance_it_was_made_under(env, as_persona, issuer, clock):
    client, nord = env
    maja = as_persona("maja")
    r = await client.post("/bookings", headers=as_persona("dana"), json={
        "meeting_type_id": nord.visit, "caseworker_id": MAJA, "start": sthlm(2026, 3, 26, 10).isoformat()})
    assert r.status_code == 201, r.text
    reference = r.json()["reference"]
    token = (await client.post("/me/feed", headers=maja)).json()["url"].rsplit("/", 1)[1]
    assert reference in (await client.get(f"/feeds/{token}")).text
    # her clearance is not confirmed lately: the feed still works, without the protected client's meeting
    clock.advance(hours=9)
    r = await client.get(f"/feeds/{token}")
    assert r.status_code == 200 and reference not in r.text
    # confirmed again: back
    assert (await client.get("/me/bookings", headers=maja)).status_code == 200
    assert reference in (await client.get(f"/feeds/{token}")).text
    # withdrawn: the feed made under it stops
    assert (await client.get("/me/bookings", headers=bearer(issuer, MAJA_WITHDRAWN))).status_code == 200
    assert (await client.get(f"/feeds/{token}")).status_code == 404
    assert (await client.get("/me/bookings", headers=maja)).status_code == 200  # (cleared again for the others)
