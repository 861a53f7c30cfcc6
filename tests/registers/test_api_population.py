"""POST /internal/population and POST /internal/protection: answered from the population register (the real Navet
adapter, the simulator behind it), each person asked audited; a silent register is a 503 (fail closed); protection
flags are cached."""

from __future__ import annotations

import pytest

from contracts.registers import Address
from tests.registers.conftest import ANNA, BERTIL, CASE_NORD, CECILIA, DANA, KARIN, population, rows, running

PROBLEM = "application/problem+json"
HOME = Address(street="Storgatan 1", postal_code="111 22", city="Nordstad")


@pytest.fixture
async def app(issuer, registers):
    async with running(issuer, registers, protection_cache_seconds=300) as e:
        fake = e[1]
        fake.set_person(ANNA, name="Anna Andersson", address=HOME, residents=(BERTIL,))
        fake.set_person(BERTIL, name="Bertil Andersson", address=HOME, residents=(ANNA,))
        fake.set_person(DANA, protected=True, name="Dana Dahl", address=HOME)
        yield e


async def test_people_as_the_register_has_them_each_audited(app, service_headers):
    client, fake, _, url = app
    r = await client.post("/internal/population", json=population(ANNA, DANA, CECILIA, ANNA, unit="nord",
                                                                  caseworker=KARIN), headers=service_headers())
    assert r.status_code == 200, r.text
    people = r.json()["people"]
    assert [p["personal_number"] for p in people] == [ANNA, DANA, CECILIA, ANNA]  # as asked, repeats too
    assert people[0]["name"] == "Anna Andersson" and people[0]["residents"] == [BERTIL]
    assert people[0]["address"]["street"] == "Storgatan 1"
    assert people[1]["protected"] is True and people[1]["address"] is None and people[1]["residents"] == []
    assert people[2]["found"] is False
    [asked] = fake.asked("navet")  # each person asked once, by the caseworker, why
    assert asked["personal_numbers"] == [ANNA, DANA, CECILIA]
    assert (asked["requested_by"], asked["purpose"]) == (f"handlaggare:{KARIN}", "case_handling")
    audit = await rows(url)
    assert len(audit) == 3 and {r.kind for r in audit} == {"population"}
    assert {r.caseworker for r in audit} == {KARIN} and {r.unit for r in audit} == {"nord"}
    assert {r.case_id for r in audit} == {CASE_NORD} and {r.period for r in audit} == {None}
    assert all(r.outcomes == [{"source": "navet", "status": "ok", "error": None}] for r in audit)
    assert {r.legal_basis for r in audit} == {"SoL (2025:400); folkbokföringsuppgifter för handläggning"}
    assert len({r.answer_sha256 for r in audit}) == 3  # one per person's record


async def test_a_protected_persons_address_never_passes_even_if_the_register_gives_it(app, service_headers):
    client, fake, _, _ = app
    fake.quirk("leak_protected_address")
    r = await client.post("/internal/population", json=population(DANA), headers=service_headers())
    [dana] = r.json()["people"]
    assert dana["protected"] is True and dana["address"] is None and dana["residents"] == []
    assert "Storgatan" not in r.text


@pytest.mark.parametrize("trouble", ["navet_down", "someone_else"])
async def test_a_silent_or_confused_register_is_a_503_and_still_audited(app, service_headers, trouble):
    client, fake, _, url = app
    if trouble == "navet_down":
        fake.down("navet")
    else:
        fake.quirk(trouble)  # answers about a person nobody asked for
    r = await client.post("/internal/population", json=population(ANNA, BERTIL), headers=service_headers())
    assert r.status_code == 503 and r.headers["content-type"] == PROBLEM
    assert r.json()["type"] == "urn:bistand:problem:register-unavailable"
    assert ANNA not in r.text and "Anna" not in r.text
    audit = await rows(url)
    assert len(audit) == 2 and {r.answer_sha256 for r in audit} == {None}
    assert {r.outcomes[0]["status"] for r in audit} == {"unavailable"}


async def test_protection_names_only_the_protected_and_is_cached(app, service_headers):
    client, fake, clock, url = app
    ask = {"personal_numbers": [ANNA, DANA, CECILIA]}
    r = await client.post("/internal/protection", json=ask, headers=service_headers("meetings"))
    assert r.status_code == 200, r.text
    assert r.json() == {"protected": [DANA]}
    [asked] = fake.asked("navet")
    assert asked["purpose"] == "protection_check" and asked["requested_by"] == "process:meetings:protection_check"
    first = await rows(url)
    assert len(first) == 3 and {r.purpose for r in first} == {"protection_check"}
    assert {r.client_id for r in first} == {"meetings"}

    # Within the cache time: nobody is asked again, nothing new is audited; a new person alone is asked.
    clock.advance(seconds=299)
    r = await client.post("/internal/protection", json={"personal_numbers": [DANA, ANNA, BERTIL]},
                          headers=service_headers("messaging"))
    assert r.json() == {"protected": [DANA]}
    assert fake.asked("navet")[-1]["personal_numbers"] == [BERTIL] and len(await rows(url)) == 4

    # A change in the register shows once the cached flag has aged out.
    fake.set_person(ANNA, protected=True)
    clock.advance(seconds=2)
    r = await client.post("/internal/protection", json={"personal_numbers": [ANNA]}, headers=service_headers())
    assert r.json() == {"protected": [ANNA]}


async def test_a_population_answer_refreshes_the_protection_cache(app, service_headers):
    client, fake, _, _ = app
    await client.post("/internal/population", json=population(DANA), headers=service_headers())
    calls = len(fake.requests("navet"))
    r = await client.post("/internal/protection", json={"personal_numbers": [DANA]}, headers=service_headers())
    assert r.json() == {"protected": [DANA]} and len(fake.requests("navet")) == calls


async def test_protection_fails_closed_when_the_register_is_silent(app, service_headers):
    client, fake, clock, _ = app
    fake.down("navet")
    r = await client.post("/internal/protection", json={"personal_numbers": [ANNA]}, headers=service_headers())
    assert r.status_code == 503 and r.json()["type"] == "urn:bistand:problem:register-unavailable"
    # What the cache holds is still answered; anyone not in it makes the whole answer a 503, never "not protected".
    fake.down("navet", False)
    await client.post("/internal/protection", json={"personal_numbers": [DANA]}, headers=service_headers())
    fake.down("navet")
    clock.advance(seconds=10)
    assert (await client.post("/internal/protection", json={"personal_numbers": [DANA]},
                              headers=service_headers())).json() == {"protected": [DANA]}
    r = await client.post("/internal/protection", json={"personal_numbers": [DANA, ANNA]}, headers=service_headers())
    assert r.status_code == 503 and DANA not in r.text
    # Ops see it: the register's silence and the cache's answers, by count only.
    metrics = (await client.get("/metrics")).text
    assert 'register_answers_total{error="service_unavailable",source="navet",status="unavailable"} 2.0' in metrics
    assert 'protection_checks_total{answered_by="cache"} 2.0' in metrics
    assert DANA not in metrics and ANNA not in metrics


@pytest.mark.parametrize(("path", "body", "fields"), [
    ("/internal/population", population("198903149809"), {"body.personal_numbers.0"}),
    ("/internal/population", {**population(ANNA), "purpose": "gossip"}, {"body.purpose"}),
    ("/internal/population", {**population(ANNA), "personal_numbers": []}, {"body.personal_numbers"}),
    ("/internal/population", {**population(ANNA), "personal_numbers": [ANNA] * 101}, {"body.personal_numbers"}),
    ("/internal/population", {**population(ANNA), "extra": True}, {"body.extra"}),
    ("/internal/protection", {"personal_numbers": []}, {"body.personal_numbers"}),
    ("/internal/protection", {"personal_numbers": ["12"]}, {"body.personal_numbers.0"}),
    ("/internal/protection", {"personal_numbers": [ANNA], "why": "x"}, {"body.why"}),
])
async def test_bad_input_is_a_422_listing_the_fields(app, service_headers, path, body, fields):
    client, fake, _, url = app
    r = await client.post(path, json=body, headers=service_headers())
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, r.text
    assert {e["field"] for e in r.json()["errors"]} == fields
    assert fake.requests("navet") == [] and await rows(url) == []
