"""The look-up audit read back: the person looked up sees their own look-ups (who as a category only); team
leads their unit's, admins all; the rows cannot be changed."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from contracts.registers import Source
from kit.db import async_url
from tests.registers.conftest import ANNA, BERTIL, CASE_NORD, CASE_SYD, CECILIA, KARIN, income, population, running


@pytest.fixture(scope="module")
async def world(issuer, service_headers, session_control):
    """Look-ups about Anna (automated, Nord; a caseworker's, Nord), Cecilia (Syd), Anna and Bertil (population),
    made across February and March."""
    async with running(issuer, session_control) as (client, fake, clock, url):
        async def ask(path, body, client_id="applications"):
            r = await client.post(path, json=body, headers=service_headers(client_id))
            assert r.status_code == 200, r.text
            clock.advance(minutes=1)  # each later than the one before
            return r.json()

        clock.advance(days=-20)  # 2026-02-24
        auto = await ask("/internal/lookups", income(sources=["csn"]))
        clock.advance(days=20)  # 2026-03-16
        fake.fail(Source.CSN)
        manual = await ask("/internal/lookups", income(purpose="case_handling", caseworker=KARIN,
                                                       process="applications:case_handling"))
        syd = await ask("/internal/lookups", income(CECILIA, case_id=str(CASE_SYD), unit="syd"))
        await ask("/internal/population", population(ANNA, BERTIL, unit="nord"), "meetings")
        yield client, url, {"auto": auto["lookup_id"], "manual": manual["lookup_id"], "syd": syd["lookup_id"]}


async def test_a_client_sees_the_look_ups_about_them_and_no_one_else(world, headers_of):
    client, _, ids = world
    r = await client.get("/me/lookups", headers=headers_of("anna"))
    assert r.status_code == 200, r.text
    mine = r.json()
    assert [m["kind"] for m in mine] == ["population", "income", "income"]  # newest first
    assert {m["id"] for m in mine if m["kind"] == "income"} == {ids["auto"], ids["manual"]}
    manual = next(m for m in mine if m["id"] == ids["manual"])
    assert manual["who"] == "caseworker" and manual["purpose"] == "case_handling"
    assert manual["legal_basis"] == "SoL (2025:400) 11 kap." and manual["period"] == "2026-02"
    assert manual["case_id"] == str(CASE_NORD)
    csn = next(s for s in manual["sources"] if s["source"] == "csn")
    assert csn == {"source": "csn", "status": "unavailable", "error": "source_unavailable"}
    auto = next(m for m in mine if m["id"] == ids["auto"])
    assert auto["who"] == "automated_process" and auto["made_at"].startswith("2026-02-24")
    # Never who the caseworker was, nor the asking service's process, nor anyone else's number.
    for hidden in (KARIN, "persona:", "applications:", "requested_by", "client_id", "answer_sha256", ANNA, BERTIL,
                   CECILIA, "nord"):
        assert hidden not in r.text, hidden
    bertil = (await client.get("/me/lookups", headers=headers_of("bertil"))).json()
    assert [m["kind"] for m in bertil] == ["population"]
    cecilia = (await client.get("/me/lookups", headers=headers_of("cecilia"))).json()
    assert [m["id"] for m in cecilia] == [ids["syd"]]
    assert (await client.get("/me/lookups", headers=headers_of("dana"))).json() == []


async def test_an_admin_searches_all_a_team_lead_their_unit(world, headers_of):
    client, _, ids = world
    everything = (await client.get("/lookups", headers=headers_of("adam"))).json()
    assert len(everything) == 5
    manual = next(row for row in everything if row["id"] == ids["manual"])
    assert manual["requested_by"] == KARIN and manual["client_id"] == "applications"
    assert manual["process"] == "applications:case_handling" and manual["unit"] == "nord"
    assert len(manual["answer_sha256"]) == 64
    assert ANNA not in str(everything) and CECILIA not in str(everything)  # the case leads to the person
    nord = (await client.get("/lookups", headers=headers_of("tove"))).json()
    assert {row["unit"] for row in nord} == {"nord"} and len(nord) == 4
    syd = (await client.get("/lookups", headers=headers_of("ture"))).json()
    assert [row["id"] for row in syd] == [ids["syd"]]


@pytest.mark.parametrize(("query", "expected"), [
    (f"case_id={CASE_SYD}", {"syd"}),
    ("month=2026-02", {"auto"}),
    (f"month=2026-03&case_id={CASE_NORD}", {"manual", None}),
    ("month=2026-04", set()),
])
async def test_the_search_filters(world, headers_of, query, expected):
    client, _, ids = world
    r = await client.get(f"/lookups?{query}", headers=headers_of("adam"))
    assert r.status_code == 200, r.text
    by_id = {v: k for k, v in ids.items()}
    assert {by_id.get(row["id"]) for row in r.json()} == expected


async def test_one_look_up_for_staff_who_may_see_it(world, headers_of):
    client, _, ids = world
    r = await client.get(f"/lookups/{ids['manual']}", headers=headers_of("tove"))
    assert r.status_code == 200 and r.json()["requested_by"] == KARIN
    assert (await client.get(f"/lookups/{ids['manual']}", headers=headers_of("ture"))).status_code == 404
    assert (await client.get(f"/lookups/{uuid.uuid4()}", headers=headers_of("adam"))).status_code == 404


@pytest.mark.parametrize("query", ["month=2026-13", "month=march", "month=0000-01", "month=9999-12",
                                   "case_id=nope", "limit=0", "limit=501"])
async def test_bad_filters_are_422(world, headers_of, query):
    client, _, _ = world
    r = await client.get(f"/lookups?{query}", headers=headers_of("adam"))
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"].startswith("query.")


@pytest.mark.parametrize("change", ["UPDATE lookups SET purpose = 'case_handling'", "DELETE FROM lookups"])
async def test_the_audit_is_append_only(world, change):
    _, url, _ = world
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError, match="append-only"):
                await conn.execute(text(change))
    finally:
        await engine.dispose()
