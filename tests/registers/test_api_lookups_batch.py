"""POST /internal/lookups/batch: the look-ups of one decision proposal in one request. Each is asked and audited as
on its own route (the same rows), the registers are asked at once, and a silent population register is that
part's None (its rows audited as unavailable), not a 503 that would lose the income answers."""

from __future__ import annotations

import pytest

from contracts.registers import Benefit, Payment
from tests.registers.conftest import ANNA, BERTIL, CASE_NORD, income, population, rows, running


@pytest.fixture
async def app(issuer, registers):
    async with running(issuer, registers) as e:
        yield e


def batch(*people: str, navet: bool = True) -> dict:
    body: dict = {"lookups": [income(p) for p in people]}
    if navet:
        body["population"] = population(people[0], purpose="decision_proposal",
                                        process="applications:decision_proposal")
    return body


async def test_a_batch_answers_and_audits_each_look_up_as_on_its_own_route(app, service_headers):
    client, fake, clock, url = app
    fake.set_person(ANNA, name="Anna Andersson", residents=(BERTIL,),
                    payments=[Payment(benefit=Benefit.BOSTADSBIDRAG, period="2026-02", amount=1800)])
    r = await client.post("/internal/lookups/batch", json=batch(ANNA, BERTIL), headers=service_headers())
    assert r.status_code == 200, r.text
    answer = r.json()
    assert len(answer["lookups"]) == 2 and answer["population"]["people"][0]["residents"] == [BERTIL]
    [ssbtek_anna, ssbtek_bertil] = sorted(fake.asked("ssbtek"), key=lambda o: o["personal_number"] != ANNA)
    assert (ssbtek_anna["personal_number"], ssbtek_bertil["personal_number"]) == (ANNA, BERTIL)
    stored = await rows(url)
    assert sorted((r.kind, r.purpose, r.case_id, r.unit) for r in stored) == [
        ("income", "decision_proposal", CASE_NORD, "nord"), ("income", "decision_proposal", CASE_NORD, "nord"),
        ("population", "decision_proposal", CASE_NORD, None)]
    ids = {str(r.id) for r in stored if r.kind == "income"}
    assert ids == {a["lookup_id"] for a in answer["lookups"]}
    # The same audit row as a look-up on its own route: compare with one asked alone.
    alone = await client.post("/internal/lookups", json=income(ANNA), headers=service_headers())
    columns = ("kind", "client_id", "process", "caseworker", "requested_by", "case_id", "unit", "purpose",
               "legal_basis", "period", "outcomes", "subject_fingerprint")
    after = await rows(url)
    single = next(r for r in after if str(r.id) == alone.json()["lookup_id"])
    batched = next(r for r in after if str(r.id) == answer["lookups"][0]["lookup_id"])
    assert [getattr(single, c) for c in columns] == [getattr(batched, c) for c in columns]
    assert ANNA not in str(list(after))


async def test_a_silent_population_register_leaves_the_incomes_answered(app, service_headers):
    client, fake, _, url = app
    fake.down("navet")
    r = await client.post("/internal/lookups/batch", json=batch(ANNA), headers=service_headers())
    assert r.status_code == 200, r.text
    assert r.json()["population"] is None and r.json()["lookups"][0]["complete"] is True
    navet_rows = await rows(url, "SELECT outcomes FROM lookups WHERE kind = 'population'")
    assert [row.outcomes[0]["status"] for row in navet_rows] == ["unavailable"]


async def test_only_services_allowed_both_look_ups_may_batch(app, service_headers, as_persona):
    client, *_ = app
    for who in ("meetings", "messaging"):  # population yes, incomes no
        assert (await client.post("/internal/lookups/batch", json=batch(ANNA),
                                  headers=service_headers(who))).status_code == 403
    assert (await client.post("/internal/lookups/batch", json=batch(ANNA),
                              headers=as_persona("karin"))).status_code in (401, 403)
    assert (await client.post("/internal/lookups/batch", json={"lookups": [income(ANNA)] * 11},
                              headers=service_headers())).status_code == 422
