"""Ombud in meetings: a representative with the MEETINGS scope books, sees and cancels the client's meetings, as the
client, recorded as themselves on the client's behalf; without it 403; after the end date (Swedish time, compared
on every use even from the cache) or for someone else's representation: 404."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.meetings.conftest import ANNA, KARIN, make_app, setup_nord, sql, sthlm
from tests.representation_standin import OLLE, Applications, acting
from tests.support import app_client, fresh_database

pytestmark = pytest.mark.xdist_group("meetings-representation")


@pytest.fixture(scope="module")
async def env(issuer, as_persona, clock, owner):
    async with fresh_database("meetings") as url:
        app = make_app(url, issuer, clock, owner=owner)
        async with app_client(app) as client:
            applications = Applications()
            applications.install(app, clock)
            nord = await setup_nord(client, as_persona)
            yield client, nord, url, applications


@pytest.fixture(autouse=True)
def _start(monday_morning):
    """Every test starts on Monday morning (conftest)."""


async def test_a_representative_books_for_the_client(env, issuer, as_persona):
    client, nord, url, applications = env
    rid = applications.add(ANNA, ["meetings"], valid_until=dt.date(2026, 3, 31))
    h = acting(issuer, rid)
    r = await client.post("/bookings", headers=h, json={
        "meeting_type_id": nord.visit, "caseworker_id": KARIN, "start": sthlm(2026, 3, 17, 10).isoformat(),
        "channel": "in_person"})
    assert r.status_code == 201, r.text
    booking = r.json()
    assert ANNA not in r.text or booking.get("client") == ANNA  # the client's own booking, nobody else's
    mine = await client.get("/me/bookings", headers=as_persona("anna"))
    assert booking["id"] in {b["id"] for b in mine.json()}
    assert (await client.get(f"/bookings/{booking['id']}", headers=h)).status_code == 200
    rows = await sql(url, "SELECT actor, actor_roles, details FROM audit_log WHERE details->>'on_behalf_of' = :p",
                     p=ANNA)
    assert rows and {r.actor for r in rows} == {OLLE.sub}
    # Staff routes: 403 (no scope), staff with the header: 400.
    assert (await client.get("/units/nord/calendar", headers=h)).status_code == 403
    r = await client.get("/me/bookings", headers={**as_persona("karin"), "X-Representation": rid})
    assert r.status_code == 400


async def test_outside_the_scope_after_the_end_and_someone_elses(env, issuer, clock):
    client, _, _, applications = env
    messages_only = applications.add(ANNA, ["messages"])
    r = await client.get("/me/bookings", headers=acting(issuer, messages_only))
    assert r.status_code == 403 and r.json()["type"].endswith("representation-scope")
    rid = applications.add(ANNA, ["meetings"], valid_until=dt.date(2026, 3, 16))
    assert (await client.get("/me/bookings", headers=acting(issuer, rid))).status_code == 200
    unknown = await client.get("/me/bookings", headers=acting(issuer, "6f1c2b1e-0000-4000-8000-000000000000"))
    # The cached answer is still there; the day has changed in Stockholm: the same 404 as an unknown id.
    clock.set(sthlm(2026, 3, 17, 0, 30))
    ended = await client.get("/me/bookings", headers=acting(issuer, rid))
    other = await client.get("/me/bookings", headers=acting(issuer, applications.add(
        ANNA, ["meetings"], representative="196507079801")))
    for r in (ended, other):
        assert r.status_code == unknown.status_code == 404
        assert r.json()["type"] == unknown.json()["type"] and r.json()["detail"] == unknown.json()["detail"]
        assert ANNA not in r.text
