"""Free slots through the API: Stockholm wall time across the DST change, no slots on public holidays,
absences and extra hours, who may search what."""

from __future__ import annotations

import datetime as dt

import pytest

from services.meetings.domain.times import local
from tests.meetings.conftest import KARIN, LARS, MAJA, Clock, make_app, setup_nord, sthlm
from tests.support import app_client, fresh_database


@pytest.fixture(scope="module")
async def env(issuer, as_persona, owner):
    async with fresh_database("meetings") as url:
        app = make_app(url, issuer, Clock(), owner=owner)
        async with app_client(app) as client:
            nord = await setup_nord(client, as_persona)
            yield client, nord


async def slots(client, headers, type_id, first, last, **params):
    r = await client.get("/slots", headers=headers, params={"meeting_type_id": type_id, "from": first, "to": last,
                                                            **params})
    assert r.status_code == 200, r.text
    return r.json()["slots"]


async def test_slots_keep_local_hours_across_dst_and_skip_holidays(env, as_persona):
    client, nord = env
    found = await slots(client, as_persona("anna"), nord.visit, "2026-03-23", "2026-04-10", caseworker_id=KARIN)
    starts = [dt.datetime.fromisoformat(s["start"]) for s in found]
    local_starts = [local(s) for s in starts]
    # 09:00 and 10:15 (60 min + 15 min buffer does not shift the grid: the grid steps by the duration)
    assert {(t.hour, t.minute) for t in local_starts} == {(9, 0), (10, 0), (11, 0)}
    # Friday 27 March (CET, UTC+1) and Monday 30 March (CEST, UTC+2): same wall time, different UTC hour.
    before = [s for s in starts if local(s).date() == dt.date(2026, 3, 27)]
    after = [s for s in starts if local(s).date() == dt.date(2026, 3, 30)]
    assert before[0] == dt.datetime(2026, 3, 27, 8, 0, tzinfo=dt.UTC)
    assert after[0] == dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC)
    days = {t.date() for t in local_starts}
    assert dt.date(2026, 4, 3) not in days  # Långfredag
    assert dt.date(2026, 4, 6) not in days  # Annandag påsk
    assert dt.date(2026, 4, 2) in days and dt.date(2026, 4, 7) in days
    assert all(s["start_local"].endswith(("+01:00", "+02:00")) for s in found)
    assert all(s["caseworker_id"] == KARIN for s in found)


async def test_absence_removes_and_extra_hours_add_slots(env, as_persona):
    client, nord = env
    karin = as_persona("karin")
    r = await client.post("/caseworkers/me/exceptions", headers=karin,
                          json={"kind": "absence", "start": "2026-03-24T00:00", "end": "2026-03-25T00:00"})
    assert r.status_code == 201, r.text
    absence = r.json()["id"]
    r = await client.post("/caseworkers/me/exceptions", headers=karin,
                          json={"kind": "extra", "start": "2026-04-06T13:00", "end": "2026-04-06T15:00"})
    assert r.status_code == 201, r.text
    found = await slots(client, karin, nord.visit, "2026-03-23", "2026-04-10", caseworker_id=KARIN)
    days = {local(dt.datetime.fromisoformat(s["start"])).date() for s in found}
    assert dt.date(2026, 3, 24) not in days
    holiday = [local(dt.datetime.fromisoformat(s["start"])) for s in found
               if local(dt.datetime.fromisoformat(s["start"])).date() == dt.date(2026, 4, 6)]
    assert [(t.hour, t.minute) for t in holiday] == [(13, 0), (14, 0)]  # an explicit entry beats the holiday
    r = await client.get("/caseworkers/me/exceptions", headers=karin)
    assert len(r.json()) == 2
    assert (await client.delete(f"/caseworkers/me/exceptions/{absence}", headers=karin)).status_code == 204
    found = await slots(client, karin, nord.visit, "2026-03-24", "2026-03-24", caseworker_id=KARIN)
    assert len(found) == 3


async def test_unit_search_lists_every_free_caseworker(env, as_persona):
    client, nord = env
    found = await slots(client, as_persona("anna"), nord.visit, "2026-03-26", "2026-03-26")
    assert {s["caseworker_id"] for s in found} == {KARIN, MAJA}  # first meeting: anyone of the unit
    assert LARS not in {s["caseworker_id"] for s in found}


async def test_min_notice_applies_to_clients_not_staff(env, as_persona):
    client, nord = env
    # T0 is Monday 16 March 09:00: with 2 h notice the client's first slot that day is 11:00; staff get 09:00.
    found = await slots(client, as_persona("anna"), nord.visit, "2026-03-16", "2026-03-16", caseworker_id=KARIN)
    assert [local(dt.datetime.fromisoformat(s["start"])).hour for s in found] == [11]
    found = await slots(client, as_persona("karin"), nord.visit, "2026-03-16", "2026-03-16", caseworker_id=KARIN)
    assert [local(dt.datetime.fromisoformat(s["start"])).hour for s in found] == [9, 10, 11]
    assert sthlm(2026, 3, 16, 9) == local(dt.datetime.fromisoformat(found[0]["start"]))


async def test_bad_searches_are_problems(env, as_persona):
    client, nord = env
    anna = as_persona("anna")
    r = await client.get("/slots", headers=anna, params={"meeting_type_id": nord.visit, "from": "2026-04-01",
                                                          "to": "2026-03-01"})
    assert r.status_code == 422 and r.json()["type"] == "urn:bistand:problem:slot-window-invalid"
    r = await client.get("/slots", headers=anna, params={"meeting_type_id": nord.visit, "from": "2026-01-01",
                                                          "to": "2026-12-31"})
    assert r.status_code == 422
    r = await client.get("/slots", headers=anna, params={"meeting_type_id": nord.phone})
    assert r.status_code == 403 and r.json()["type"] == "urn:bistand:problem:meeting-type-not-self-bookable"
    r = await client.get("/slots", headers=anna, params={"meeting_type_id": "not-a-uuid"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    r = await client.get("/slots", headers=as_persona("lars"), params={"meeting_type_id": nord.visit})
    assert r.status_code == 403 and r.json()["type"] == "urn:bistand:problem:meeting-type-other-unit"
    r = await client.get("/slots", headers=as_persona("nils"), params={"meeting_type_id": nord.visit})
    assert r.status_code == 403


async def test_calendars_are_for_the_unit(env, as_persona):
    client, _ = env
    assert (await client.get(f"/caseworkers/{KARIN}/hours", headers=as_persona("maja"))).status_code == 200
    r = await client.get(f"/caseworkers/{KARIN}/hours", headers=as_persona("lars"))
    assert r.status_code == 404 and r.json()["type"] == "urn:bistand:problem:caseworker-not-found"
    assert (await client.get(f"/caseworkers/{KARIN}/hours", headers=as_persona("anna"))).status_code == 403
    r = await client.put(f"/caseworkers/{KARIN}/hours", headers=as_persona("maja"), json={"hours": []})
    assert r.status_code == 403  # a colleague may read, not change
    r = await client.put(f"/caseworkers/{LARS}/hours", headers=as_persona("tove"), json={"hours": []})
    assert r.status_code == 404  # another unit's caseworker
    r = await client.put("/caseworkers/me/hours", headers=as_persona("karin"),
                         json={"hours": [{"weekday": 0, "start": "12:00", "end": "09:00"}]})
    assert r.status_code == 422


async def test_ready_with_migrations_at_head(env):
    client, _ = env
    r = await client.get("/readyz")
    assert r.status_code == 200, r.text
