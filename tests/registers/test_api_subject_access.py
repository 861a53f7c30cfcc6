"""Registers' part of a client's register extract (POST /internal/subject-access): the look-ups made about the
person (when, why, on what legal basis, which sources and how each answered, who as a category) and none about
anyone else; for the applications service only; the export is audited without the personnummer in the clear."""

from __future__ import annotations

import uuid

import pytest

from contracts.registers import Source
from contracts.subject_access import PATH, SubjectAccessAnswer
from tests.registers.conftest import (
    ANNA,
    BERTIL,
    CASE_NORD,
    CASE_SYD,
    CECILIA,
    DANA,
    KARIN,
    income,
    population,
    rows,
    running,
)

PROBLEM = "application/problem+json"


def ask(pnr: str = ANNA, **over: object) -> dict[str, object]:
    return {"personal_number": pnr, "requested_by": "client", "request_id": str(uuid.uuid4()), **over}


@pytest.fixture(scope="module")
async def world(issuer, service_headers, session_control):
    """Anna: an automated income look-up (CSN failing) and a caseworker's; a population look-up of Anna and Bertil
    together; Cecilia: one of her own (Syd)."""
    async with running(issuer, session_control) as (client, fake, clock, url):
        async def look(path, body, client_id="applications"):
            r = await client.post(path, json=body, headers=service_headers(client_id))
            assert r.status_code == 200, r.text
            clock.advance(minutes=1)
            return r.json()

        fake.fail(Source.CSN)
        auto = await look("/internal/lookups", income())
        manual = await look("/internal/lookups", income(purpose="case_handling", caseworker=KARIN,
                                                        process="applications:case_handling", period="2026-01"))
        syd = await look("/internal/lookups", income(CECILIA, case_id=str(CASE_SYD), unit="syd"))
        await look("/internal/population", population(ANNA, BERTIL, unit="nord"), "meetings")
        yield client, url, {"auto": auto["lookup_id"], "manual": manual["lookup_id"], "syd": syd["lookup_id"]}


def _entries(item: dict) -> dict:
    return {e["key"]: e["value"] for e in item["entries"]}


async def test_a_persons_part_holds_their_look_ups_and_no_one_elses(world, service_headers):
    client, _, ids = world
    r = await client.post(PATH, json=ask(), headers=service_headers())
    assert r.status_code == 200, r.text
    answer = SubjectAccessAnswer.model_validate(r.json())
    assert answer.service == "registers"
    [section] = r.json()["sections"]
    assert section["key"] == "lookups"
    items = section["items"]
    assert [_entries(i)["kind"] for i in items] == ["population", "income", "income"]  # newest first
    assert {i["id"] for i in items if _entries(i)["kind"] == "income"} == {ids["auto"], ids["manual"]}
    manual = _entries(next(i for i in items if i["id"] == ids["manual"]))
    assert manual["who"] == "caseworker" and manual["purpose"] == "case_handling" and manual["period"] == "2026-01"
    assert manual["legal_basis"] == "SoL (2025:400) 11 kap." and manual["case_id"] == str(CASE_NORD)
    assert manual["made_at"].startswith("2026-03-16T09:01") and manual["made_at"].endswith("+01:00")  # Swedish time
    auto = next(i for i in items if i["id"] == ids["auto"])
    assert _entries(auto)["who"] == "automated_process" and _entries(auto)["purpose"] == "decision_proposal"
    sources = {_entries(s)["source"]: _entries(s) for s in auto["items"]}
    assert set(sources) == {s.value for s in Source}
    assert sources["csn"]["status"] == "unavailable" and sources["csn"]["error"] == "source_unavailable"
    assert all(s["status"] == "ok" for name, s in sources.items() if name != "csn")
    assert _entries(items[0])["who"] == "automated_process" and _entries(items[0])["purpose"] == "case_handling"
    # Never the caseworker, the asking service or its process, the hash, the unit, nor another person.
    for hidden in (KARIN, "persona:", "applications", "meetings", "process:", "nord", "answer_sha256", BERTIL,
                   BERTIL[2:], CECILIA, CECILIA[2:], ids["syd"], str(CASE_SYD), ANNA, ANNA[2:]):
        assert hidden not in r.text, hidden


async def test_each_person_gets_only_their_own(world, service_headers):
    client, _, ids = world

    async def listed(pnr: str) -> list[str]:
        r = await client.post(PATH, json=ask(pnr), headers=service_headers())
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["sections"][0]["items"]]

    assert await listed(CECILIA) == [ids["syd"]]
    assert len(await listed(BERTIL)) == 1 and ids["auto"] not in await listed(BERTIL)  # the shared population ask
    assert await listed(DANA) == []
    assert len(await listed(ANNA[2:])) == 3  # ten digits name the same person


PERSONS = ("anna", "bertil", "cecilia", "dana", "karin", "lars", "maja", "nils", "tove", "ture", "adam")


@pytest.mark.parametrize(("who", "expected"), [*((p, 403) for p in PERSONS), ("meetings", 403), ("messaging", 403),
                                               ("payments", 403), ("calculation", 403), ("anon", 401),
                                               ("forged", 401), ("wrong-audience", 401), ("service", 200)])
async def test_only_the_applications_service_token_is_answered(world, issuer, headers_of, who, expected):
    client, _, _ = world
    if who == "forged":
        headers = {"Authorization": "Bearer not.a.token"}
    elif who == "wrong-audience":
        headers = {"Authorization": f"Bearer {issuer.service_token('applications', 'bistand:calculation')}"}
    else:
        headers = headers_of(who)
    r = await client.post(PATH, json=ask(), headers=headers)
    assert r.status_code == expected, r.text
    if expected != 200:
        assert r.headers["content-type"] == PROBLEM
        assert "sections" not in r.text and ANNA not in r.text and ANNA[2:] not in r.text


@pytest.mark.parametrize("body", [
    {}, ask(personal_number="19121212121X"), ask(personal_number="191212121213"), ask(request_id="not-a-uuid"),
    ask(requested_by=""), ask(extra="x"), {"personal_number": ANNA, "requested_by": "client"}])
async def test_bad_input_is_a_422_problem_that_echoes_no_number(world, service_headers, body):
    client, _, _ = world
    r = await client.post(PATH, json=body, headers=service_headers())
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM and r.json()["type"]
    assert ANNA not in r.text and "191212121213" not in r.text


async def test_the_export_is_audited_with_the_person_as_a_fingerprint(world, service_headers):
    client, url, _ = world
    body = ask(requested_by="karin")
    r = await client.post(PATH, json=body, headers=service_headers())
    assert r.status_code == 200, r.text
    [row] = await rows(url, "SELECT * FROM audit_log WHERE resource_id = :id", id=body["request_id"])
    assert (row.action, row.resource_type, row.purpose) == ("export", "subject_access", "registerutdrag")
    assert row.actor == "service:applications" and row.details == {"requested_by": "karin", "lookups": 3}
    fingerprints = {f for (f,) in await rows(url, "SELECT DISTINCT subject_fingerprint FROM lookups")}
    assert row.subject in fingerprints  # the person as the look-ups keep them
    logged = str(list(await rows(url, "SELECT * FROM audit_log")))
    assert ANNA not in logged and ANNA[2:] not in logged
