"""The work queue (unassigned / mine, filters, cursor pages) and the monthly trust-check draw."""

from __future__ import annotations

import datetime as dt

import pytest

from services.applications.domain.trust_checks import draw_trust_checks
from tests.applications.conftest import Clock, make_app, single, with_services
from tests.applications.test_domain_factories import pnr_for
from tests.support import app_client, fresh_database

CLIENTS = [pnr_for(dt.date(1960, 1, day)) for day in range(1, 6)]


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("applications") as url:
        yield url


@pytest.fixture(scope="module")
def clock():
    return Clock(dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC))


@pytest.fixture(scope="module")
async def client(db_url, issuer, clock, idp_url, calc, registers):
    app = make_app(db_url, issuer, clock, registers=registers, trust_checks_per_caseworker=2,
                   **with_services(idp_url, calculation_url=calc[0]))
    async with app_client(app) as c:
        yield c


@pytest.fixture(scope="module")
async def cases(client, as_persona, clock):
    """Five paper applications in Nord submitted a day apart (oldest first)."""
    k = as_persona("karin")
    ids = []
    for pnr in CLIENTS:
        created = await client.post("/staff/applications", headers=k,
                                    json={"personal_number": pnr, "source": "phone", "content": single(pnr)})
        case_id = created.json()["id"]
        await client.post(f"/applications/{case_id}/signatures", headers=k, json={"personal_number": pnr})
        assert (await client.post(f"/applications/{case_id}/submit", headers=k)).status_code == 200
        ids.append(case_id)
        clock.advance(days=1)
    return ids


async def test_queue_views_filters_and_pages(client, as_persona, cases, clock):
    k = as_persona("karin")
    unassigned = (await client.get("/queue", headers=k)).json()
    assert [c["id"] for c in unassigned["items"]] == cases  # oldest waiting first
    assert unassigned["items"][0]["waiting_days"] == 5 and unassigned["items"][0]["source"] == "phone"
    assert "personal_number" not in str(unassigned)

    await client.post(f"/applications/{cases[1]}/assign", headers=k)
    mine = (await client.get("/queue?view=mine", headers=k)).json()["items"]
    assert [c["id"] for c in mine] == [cases[1]] and mine[0]["status"] == "in_review"
    assert cases[1] not in [c["id"] for c in (await client.get("/queue", headers=k)).json()["items"]]
    in_review = (await client.get("/queue?view=all&status=in_review", headers=k)).json()["items"]
    assert [c["id"] for c in in_review] == [cases[1]]
    assert (await client.get("/queue?view=all&month=2026-04", headers=k)).json()["items"] == []
    waited = (await client.get("/queue?view=all&min_waiting_days=4", headers=k)).json()["items"]
    assert [c["id"] for c in waited] == cases[:2]

    seen: list[str] = []
    cursor = None
    while True:
        page = (await client.get("/queue?view=all&limit=2" + (f"&cursor={cursor}" if cursor else ""),
                                 headers=k)).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == cases

    assert (await client.get("/queue?view=all", headers=as_persona("lars"))).json()["items"] == []
    assert (await client.get("/queue", headers=as_persona("anna"))).status_code == 403
    bad = await client.get("/queue?cursor=not-a-cursor", headers=k)
    assert bad.status_code == 400 and bad.json()["type"] == "urn:bistand:problem:bad-cursor"
    assert (await client.get("/queue?status=nonsense", headers=k)).status_code == 422


async def test_trust_check_draw_is_reproducible_and_flagged(client, as_persona, cases):
    k, tove = as_persona("karin"), as_persona("tove")
    for case_id in cases[2:]:
        await client.post(f"/applications/{case_id}/assign", headers=k)
        assert (await client.post(f"/applications/{case_id}/calculation", headers=k)).status_code == 200
        approved = await client.post(f"/applications/{case_id}/decision", headers=k,
                                     json={"reason_for_need": "unemployed_no_benefit"})
        assert approved.status_code == 201 and approved.json()["outcome"] == "approved"
    assert (await client.post("/trust-checks/draw", headers=k, json={"month": "2026-03"})).status_code == 403
    drawn = await client.post("/trust-checks/draw", headers=tove, json={"month": "2026-03"})
    assert drawn.status_code == 201, drawn.text
    body = drawn.json()
    expected = draw_trust_checks([(c, "persona:karin") for c in cases[2:]], 2, "2026-03", "test-seed")
    assert sorted(body["case_ids"]) == sorted(expected) and body["population"] == 3
    again = await client.post("/trust-checks/draw", headers=tove, json={"month": "2026-03"})
    assert again.status_code == 200 and again.json()["case_ids"] == body["case_ids"]
    assert (await client.get("/trust-checks?month=2026-03", headers=k)).json()["id"] == body["id"]
    flagged = (await client.get("/queue?view=all&flag=trust_check", headers=k)).json()["items"]
    assert sorted(c["id"] for c in flagged) == sorted(expected)
    assert all("trust_check" in c["flags"] for c in flagged)
    case = (await client.get(f"/applications/{expected[0]}", headers=k)).json()
    assert case["trust_check"] is True
