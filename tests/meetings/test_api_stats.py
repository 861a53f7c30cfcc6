"""Weekly statistics through the API match seeded meetings: every kind of work counted, per caseworker, ISO week
and the unit's total; the unit's own choice of key figures."""

from __future__ import annotations

import pytest

from tests.meetings.conftest import CECILIA, KARIN, MAJA, OFFICE, Clock, make_app, setup_nord, sthlm
from tests.support import app_client, fresh_database


@pytest.fixture(scope="module")
async def env(issuer, as_persona, owner):
    async with fresh_database("meetings") as url:
        clock = Clock()
        app = make_app(url, issuer, clock, owner=owner)
        async with app_client(app) as client:
            nord = await setup_nord(client, as_persona)
            r = await client.post("/units/nord/meeting-types", headers=as_persona("tove"), json={
                "name": "Öppen mottagning", "kind": "drop_in", "duration_minutes": 30, "channels": ["in_person"],
                "office_address": OFFICE})
            drop_in = r.json()["id"]
            karin, maja = as_persona("karin"), as_persona("maja")
            plan = [  # (who, headers, type, day, hour, channel, outcome)
                (KARIN, karin, nord.visit, 17, 9, "phone", "held"),
                (KARIN, karin, nord.phone, 17, 11, None, "no_show"),
                (KARIN, karin, nord.home, 18, 9, None, "held"),
                (MAJA, maja, nord.joint, 17, 9, "video", "held"),
                (MAJA, maja, nord.visit, 18, 10, None, "cancelled_late"),
                (KARIN, karin, nord.visit, 24, 9, "in_person", "held"),
                (KARIN, karin, drop_in, 24, 11, None, "held"),
                (KARIN, karin, nord.visit, 25, 9, None, "cancel"),
            ]
            made = []
            for who, headers, type_id, day, hour, channel, outcome in plan:
                body = {"meeting_type_id": type_id, "caseworker_id": who, "personal_number": CECILIA,
                        "start": sthlm(2026, 3, day, hour).isoformat()}
                if channel:
                    body["channel"] = channel
                r = await client.post("/bookings", headers=headers, json=body)
                assert r.status_code == 201, r.text
                made.append((r.json()["id"], headers, outcome))
            clock.set(sthlm(2026, 3, 20, 12))
            for booking_id, headers, outcome in made:
                if outcome == "cancel":
                    r = await client.post(f"/bookings/{booking_id}/cancel", headers=headers, json={"reason": "Sjuk"})
                    assert r.status_code == 200, r.text
            clock.set(sthlm(2026, 3, 27, 12))
            for booking_id, headers, outcome in made:
                if outcome != "cancel":
                    r = await client.post(f"/bookings/{booking_id}/outcome", headers=headers, json={"outcome": outcome})
                    assert r.status_code == 200, r.text
            # contacts recorded afterwards: a short drop-in visit (anonymous) and an unplanned call
            r = await client.post("/contacts", headers=karin, json={
                "meeting_type_id": drop_in, "start": sthlm(2026, 3, 26, 13).isoformat(), "minutes": 10})
            assert r.status_code == 201, r.text
            assert r.json()["outcome"] == "held" and r.json()["personal_number"] is None
            r = await client.post("/contacts", headers=karin, json={
                "meeting_type_id": nord.phone, "start": sthlm(2026, 3, 26, 14).isoformat(), "personal_number": CECILIA})
            assert r.status_code == 201, r.text
            yield client


def rows_by_key(body):
    return {(r["caseworker_id"], r["week"]): r["figures"] for r in body["rows"]}


async def test_weekly_figures_match_the_seeded_meetings(env, as_persona):
    r = await env.get("/stats", headers=as_persona("tove"), params={"unit": "nord", "from": "2026-03-16",
                                                                    "to": "2026-03-29"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["from"] == "2026-03-16" and body["unit"] == "nord"
    rows = rows_by_key(body)
    assert set(rows) == {(KARIN, "2026-W12"), (MAJA, "2026-W12"), (None, "2026-W12"), (KARIN, "2026-W13"),
                         (None, "2026-W13")}
    assert rows[(KARIN, "2026-W12")] == {
        "held": 2, "no_show": 1, "cancelled_late": 0, "multi_party_meetings": 0, "home_visits": 1,
        "phone_contacts": 1, "drop_in_contacts": 0, "contacts": 2, "work_minutes": 60 + 90}
    assert rows[(MAJA, "2026-W12")] == {
        "held": 1, "no_show": 0, "cancelled_late": 1, "multi_party_meetings": 1, "home_visits": 0,
        "phone_contacts": 0, "drop_in_contacts": 0, "contacts": 1, "work_minutes": 60}
    assert rows[(None, "2026-W12")] == {
        "held": 3, "no_show": 1, "cancelled_late": 1, "multi_party_meetings": 1, "home_visits": 1,
        "phone_contacts": 1, "drop_in_contacts": 0, "contacts": 3, "work_minutes": 210}
    assert rows[(KARIN, "2026-W13")] == {
        "held": 4, "no_show": 0, "cancelled_late": 0, "multi_party_meetings": 0, "home_visits": 0,
        "phone_contacts": 1, "drop_in_contacts": 2, "contacts": 4, "work_minutes": 60 + 30 + 10 + 30}


async def test_contacts_are_recorded_after_the_fact_by_the_units_staff(env, as_persona):
    types = (await env.get("/units/nord/meeting-types", headers=as_persona("karin"))).json()
    phone = next(t["id"] for t in types if t["kind"] == "phone")
    r = await env.post("/contacts", headers=as_persona("karin"), json={
        "meeting_type_id": phone, "start": sthlm(2026, 3, 30, 9).isoformat()})
    assert r.status_code == 422 and r.json()["type"] == "urn:bistand:problem:contact-in-future"
    r = await env.post("/contacts", headers=as_persona("lars"), json={
        "meeting_type_id": phone, "start": sthlm(2026, 3, 20, 9).isoformat()})
    assert r.status_code == 403 and r.json()["type"] == "urn:bistand:problem:meeting-type-other-unit"
    r = await env.post("/contacts", headers=as_persona("anna"), json={
        "meeting_type_id": phone, "start": sthlm(2026, 3, 20, 9).isoformat()})
    assert r.status_code == 403


async def test_the_unit_chooses_its_key_figures(env, as_persona):
    tove = as_persona("tove")
    r = await env.put("/units/nord/settings", headers=tove, json={"key_figures": ["bookings", "cancelled", "held"]})
    assert r.status_code == 200, r.text
    r = await env.get("/stats", headers=tove, params={"unit": "nord", "from": "2026-03-23", "to": "2026-03-29"})
    assert r.json()["key_figures"] == ["bookings", "cancelled", "held"]
    assert rows_by_key(r.json())[(None, "2026-W13")] == {"bookings": 5, "cancelled": 1, "held": 4}
    r = await env.get("/stats", headers=tove, params={"unit": "nord", "from": "2026-03-16", "to": "2026-03-22",
                                                      "figures": "home_visit.held,phone.no_show"})
    assert rows_by_key(r.json())[(None, "2026-W12")] == {"home_visit.held": 1, "phone.no_show": 1}
    r = await env.get("/stats", headers=tove, params={"unit": "nord", "from": "2026-03-16", "to": "2026-03-22",
                                                      "figures": "quota"})
    assert r.status_code == 422 and r.json()["type"] == "urn:bistand:problem:unknown-key-figure"
    r = await env.get("/stats", headers=tove, params={"unit": "nord", "from": "2026-03-22", "to": "2026-03-16"})
    assert r.status_code == 422
    await env.put("/units/nord/settings", headers=tove, json={})
