"""The HTTP contract: who may call what, problem+json with the field named, batch item by item, the public
trial and norm tables.

Nothing is stored by this service (a calculation is a function of its input), so there is no resource one
caller could read of another's: the access questions are "signed in?" and "may run batches?".
"""

from __future__ import annotations

import pytest

from tests.calculation.conftest import child, make_app, req
from tests.support import app_client, fresh_database

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("calculation") as url:
        yield url


@pytest.fixture(scope="module")
async def client(db_url, issuer):
    async with app_client(make_app(db_url, issuer, batch_max_items=5)) as c:
        yield c


@pytest.fixture(scope="module")
def service(issuer):
    return {"Authorization": f"Bearer {issuer.service_token('applications')}"}


async def test_health(client):
    assert (await client.get("/livez")).status_code == 200
    assert (await client.get("/readyz")).status_code == 200


@pytest.mark.parametrize("path", ["/calculations", "/calculations/batch"])
async def test_a_token_is_required(client, path):
    response = await client.post(path, json=req())
    assert response.status_code == 401 and response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "urn:bistand:problem:unauthorized"
    forged = await client.post(path, json=req(), headers={"Authorization": "Bearer not.a.token"})
    assert forged.status_code == 401
    garbage = await client.post(path, content=b"{nope", headers={"Content-Type": "application/json"})
    assert garbage.status_code == 401  # who is asking comes before what is asked


@pytest.mark.parametrize("persona", ["anna", "karin", "lars", "adam"])
async def test_any_signed_in_person_may_calculate(client, as_persona, persona):
    response = await client.post("/calculations", json=req("2026-01"), headers=as_persona(persona))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["entitlement"] == 5220 and body["norm_year"] == 2026 and body["month"] == "2026-01"
    assert set(body["totals"]) == {"norm", "costs", "incomes", "disregarded", "deductions"}
    line = body["lines"][0]
    assert {"component", "rule_id", "member", "amount", "legal_reference", "norm_year", "source", "text"} <= set(line)
    assert set(line["legal_reference"]) == set(line["text"]) == {"sv", "en"}


async def test_a_service_may_calculate(client, service):
    response = await client.post("/calculations", json=req("2026-01", partner="1990-02-02"), headers=service)
    assert response.status_code == 200 and response.json()["entitlement"] == 8510


async def test_the_same_input_gives_the_same_answer(client, service):
    body = req("2025-05", children=[child("k", "2019-01-01")], costs=[{"type": "rent", "amount": 6000}])
    first = (await client.post("/calculations", json=body, headers=service)).json()
    second = (await client.post("/calculations", json=body, headers=service)).json()
    assert first == second and first["input_hash"].startswith("sha256:")


@pytest.mark.parametrize(("body", "field"), [
    (req(costs=[{"type": "rent", "amount": -100}]), "costs.0.amount"),
    (req(applicant="1990-02-30"), "household.applicant.birth_date"),
    (req("2026-03", children=[child("k", "2026-05-01")]), "household.children.0.birth_date"),
    (req(incomes=[{"type": "bitcoin", "member": "applicant", "amount": 1}]), "incomes.0.type"),
    (req(incomes=[{"type": "pension", "member": "nobody", "amount": 1}]), "incomes.0.member"),
])
async def test_bad_input_is_422_naming_the_field(client, service, body, field):
    response = await client.post("/calculations", json=body, headers=service)
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "urn:bistand:problem:validation-error"
    assert field in [e["field"] for e in problem["errors"]]


async def test_month_not_covered(client, service):
    response = await client.post("/calculations", json=req("2031-01"), headers=service)
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "urn:bistand:problem:month-not-covered"
    assert problem["errors"][0]["field"] == "month" and problem["covered_years"] == list(range(2021, 2027))


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b"null", b'"text"'])
async def test_not_a_request_is_422_not_500(client, service, raw):
    response = await client.post("/calculations", content=raw,
                                 headers={**service, "Content-Type": "application/json"})
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM


async def test_batch_answers_item_by_item(client, service):
    items = [req("2026-01"), req(costs=[{"type": "rent", "amount": -1}]), req("2019-01"),
             req("2026-01", partner="1990-01-01")]
    response = await client.post("/calculations/batch", json={"items": items}, headers=service)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == 4 and body["failed"] == 2
    statuses = [(i["index"], i["status"]) for i in body["items"]]
    assert statuses == [(0, 200), (1, 422), (2, 422), (3, 200)]
    assert body["items"][0]["result"]["entitlement"] == 5220 and body["items"][3]["result"]["entitlement"] == 8510
    assert body["items"][1]["problem"]["errors"][0]["field"] == "items.1.costs.0.amount"
    assert body["items"][2]["problem"]["type"] == "urn:bistand:problem:month-not-covered"


async def test_batch_without_lines(client, service):
    body = (await client.post("/calculations/batch", json={"items": [req()], "explain": False},
                              headers=service)).json()
    result = body["items"][0]["result"]
    assert result["lines"] == [] and result["entitlement"] == 5220


async def test_batch_over_the_limit_is_413(client, service):
    response = await client.post("/calculations/batch", json={"items": [req()] * 6}, headers=service)
    assert response.status_code == 413 and response.json()["type"] == "urn:bistand:problem:batch-too-large"


@pytest.mark.parametrize("body", [{"items": "all"}, {}, {"items": [], "extra": 1}, {"items": [], "explain": 3}])
async def test_batch_shape_errors(client, service, body):
    response = await client.post("/calculations/batch", json=body, headers=service)
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(("persona", "status"), [("anna", 403), ("cecilia", 403), ("karin", 200), ("tove", 200)])
async def test_batch_is_for_staff_and_services(client, as_persona, persona, status):
    response = await client.post("/calculations/batch", json={"items": [req()]}, headers=as_persona(persona))
    assert response.status_code == status


async def test_trial_is_public_and_simple(client):
    response = await client.post("/trial", json={"month": "2026-04", "adults": 2, "rent": 6000,
                                                 "children": [{"age": 4, "lunch_at_home": False}],
                                                 "wages_net": 4000})
    assert response.status_code == 200, response.text
    body = response.json()
    # 7 100 + 2 710 (4-6 without lunch) + 1 780 (common for 3) = 11 590; + rent 6 000 - wages 4 000 = 13 590
    assert body["totals"]["norm"] == 11590 and body["entitlement"] == 13590


async def test_trial_defaults_to_this_month_in_stockholm(client):
    body = (await client.post("/trial", json={})).json()
    assert body["month"] == "2026-03" and body["entitlement"] == 5220


async def test_trial_takes_the_full_request_too(client):
    response = await client.post("/trial", json=req("2026-01"))
    assert response.status_code == 200 and response.json()["entitlement"] == 5220


@pytest.mark.parametrize(("body", "field"), [
    ({"adults": 3}, "adults"), ({"rent": -5}, "rent"), ({"children": [{"age": 25}]}, "children.0.age"),
    ({"name": "Anna"}, "name"), ({"month": "2040-01"}, "month"),
])
async def test_trial_refuses_bad_input(client, body, field):
    response = await client.post("/trial", json=body)
    assert response.status_code == 422 and field in [e["field"] for e in response.json()["errors"]]


async def test_norms_are_public(client):
    years = (await client.get("/norms")).json()["years"]
    assert [y["year"] for y in years] == list(range(2021, 2027))
    table = (await client.get("/norms/2026")).json()
    assert table["totals"]["single_adult"] == 5220 and table["totals"]["confirmed"]["couple"] == 8510
    assert table["personal"]["confidence"] == "derived" and table["source"]["sv"]
    assert table["personal"]["children_with_lunch"]["19-20"] == 4990
    assert (await client.get("/norms/2021")).json()["source"]["id"] == "SFS 2020:1013"
    missing = await client.get("/norms/1999")
    assert missing.status_code == 404 and missing.json()["type"] == "urn:bistand:problem:norm-year-not-found"


async def test_openapi_describes_the_bodies(client):
    doc = (await client.get("/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    assert {"CalculationRequest", "BatchRequest", "TrialRequest", "HouseholdIn"} <= set(schemas)
    body = doc["paths"]["/calculations"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/CalculationRequest"}


async def test_a_large_batch_answer_is_gzipped_when_the_caller_accepts_it(service, db_url, issuer):
    from services.calculation.service.batch import GZIP_FROM_BYTES

    async with app_client(make_app(db_url, issuer, batch_max_items=200)) as big:
        body = {"items": [req("2026-01", children=[child(f"k{n}", "2015-01-01") for n in range(6)])] * 200}
        plain = await big.post("/calculations/batch", json=body, headers={**service, "Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers and len(plain.content) >= GZIP_FROM_BYTES
        packed = await big.post("/calculations/batch", json=body, headers={**service, "Accept-Encoding": "gzip"})
        assert packed.headers["content-encoding"] == "gzip" and packed.headers["vary"] == "Accept-Encoding"
        assert packed.json() == plain.json()  # httpx unpacks it
        refused = await big.post("/calculations/batch", json=body,
                                 headers={**service, "Accept-Encoding": "gzip;q=0"})
        assert "content-encoding" not in refused.headers
