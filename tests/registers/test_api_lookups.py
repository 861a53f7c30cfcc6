"""POST /internal/lookups: the income look-up asked of the registers (the real SSBTEK adapter, the simulator behind
it), answered with every section as it came (partial answers pass through), and audited with the hash of the
answer given."""

from __future__ import annotations

import hashlib
import json

import pytest

from contracts.registers import Benefit, Payment, SectionStatus, Source, TaxedIncome
from services.registers.app import create_app
from services.registers.integration.build import build_sources
from services.registers.integration.sources import IncomeOrder, Sources
from services.registers.settings import RegistersSettings
from tests.registers.conftest import (
    ANNA,
    CASE_NORD,
    KARIN,
    ORG_NUMBER,
    Clock,
    income,
    rows,
    running,
    simulator_settings,
)
from tests.support import app_client, fresh_database, verifier_for

PROBLEM = "application/problem+json"


@pytest.fixture
async def app(issuer, registers):
    async with running(issuer, registers) as e:
        yield e


def canonical_sha(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False).encode()).hexdigest()


async def test_an_income_look_up_answers_every_source_and_is_audited_with_its_hash(app, service_headers):
    client, fake, clock, url = app
    fake.set_person(ANNA, payments=[Payment(benefit=Benefit.BOSTADSBIDRAG, period="2026-02", amount=1800),
                                    Payment(benefit=Benefit.PENSION, period="2026-02", amount=900),
                                    Payment(benefit=Benefit.BOSTADSBIDRAG, period="2026-01", amount=1700)],
                    taxed_incomes=[TaxedIncome(year=2025, amount=120_000)])
    r = await client.post("/internal/lookups", json=income(), headers=service_headers())
    assert r.status_code == 200, r.text
    answer = r.json()
    assert [s["source"] for s in answer["sections"]] == [s.value for s in Source]
    assert answer["complete"] is True and answer["period"] == "2026-02"
    fk = next(s for s in answer["sections"] if s["source"] == "forsakringskassan")
    assert fk["payments"] == [{"benefit": "bostadsbidrag", "period": "2026-02", "amount": 1800}]
    assert next(s for s in answer["sections"] if s["source"] == "skatteverket")["taxed_incomes"] == [
        {"year": 2025, "amount": 120000}]
    # What the register was asked: the process asked (no caseworker), about whom, why and for which case.
    [order] = fake.asked("ssbtek")
    assert order["requested_by"] == "process:applications:decision_proposal"
    assert order["organisation_number"] == ORG_NUMBER
    assert order["personal_number"] == ANNA and order["case_id"] == str(CASE_NORD)
    assert (order["period_from"], order["period_to"]) == ("2026-02", "2026-02")
    assert order["legal_basis"] == "SoL (2025:400) 11 kap." and order["purpose"] == "decision_proposal"

    [row] = await rows(url)
    assert str(row.id) == answer["lookup_id"] and row.made_at == clock.now
    assert row.kind == "income" and row.client_id == "applications" and row.caseworker is None
    assert row.requested_by == "process:applications:decision_proposal" and row.unit == "nord"
    assert row.case_id == CASE_NORD and row.purpose == "decision_proposal" and row.period == "2026-02"
    assert [o["status"] for o in row.outcomes] == ["ok"] * len(Source)
    assert row.answer_sha256 == canonical_sha(answer)  # the answer exactly as the caller got it
    # The person is kept as a keyed fingerprint and sealed, never in the clear; nothing of the answer is kept.
    stored = json.dumps([str(v) for v in row])
    assert ANNA not in stored and ANNA[2:] not in stored and "1800" not in stored
    assert row.subject_fingerprint.startswith("dev-insecure:") and set(row.subject_sealed) == {"sealed", "kid"}


async def test_a_partial_answer_passes_through_section_by_section(app, service_headers):
    client, fake, _, url = app
    fake.fail(Source.CSN)
    fake.fail(Source.ARBETSFORMEDLINGEN, SectionStatus.ERROR)
    r = await client.post("/internal/lookups", json=income(sources=["csn", "forsakringskassan", "arbetsformedlingen"]),
                          headers=service_headers())
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["complete"] is False
    assert [(s["source"], s["status"], s["error"]) for s in answer["sections"]] == [
        ("csn", "unavailable", "source_unavailable"), ("forsakringskassan", "ok", None),
        ("arbetsformedlingen", "error", "source_error")]
    assert fake.asked("ssbtek")[-1]["sources"] == ["csn", "forsakringskassan", "arbetsformedlingen"]
    [row] = await rows(url)
    assert row.outcomes == [{"source": "csn", "status": "unavailable", "error": "source_unavailable"},
                            {"source": "forsakringskassan", "status": "ok", "error": None},
                            {"source": "arbetsformedlingen", "status": "error", "error": "source_error"}]


async def test_a_caseworkers_look_up_names_the_caseworker(app, service_headers):
    client, fake, _, url = app
    r = await client.post("/internal/lookups", headers=service_headers(), json=income(
        purpose="case_handling", caseworker=KARIN, process="applications:case_handling", sources=["csn"]))
    assert r.status_code == 200, r.text
    assert fake.asked("ssbtek")[-1]["requested_by"] == f"handlaggare:{KARIN}"
    [row] = await rows(url)
    assert row.caseworker == KARIN and row.requested_by == KARIN


async def test_a_silent_register_reads_as_sources_unavailable_then_the_circuit_opens(issuer, registers,
                                                                                     service_headers):
    async with running(issuer, registers, breaker_failures=1) as (client, sim, _, url):
        sim.down("ssbtek")
        r = await client.post("/internal/lookups", json=income(sources=["csn", "akassa"]), headers=service_headers())
        assert r.status_code == 200, r.text
        assert [(s["status"], s["error"]) for s in r.json()["sections"]] == [("unavailable",
                                                                              "service_unavailable")] * 2
        # One failure opens the circuit: the next look-up does not reach the register and says why.
        r = await client.post("/internal/lookups", json=income(sources=["csn"]), headers=service_headers())
        assert [(s["status"], s["error"]) for s in r.json()["sections"]] == [("unavailable", "circuit_open")]
        assert len(sim.requests("ssbtek")) == 1 and r.json()["complete"] is False
        assert len(await rows(url)) == 2  # audited all the same


class Forgetful:
    """An income adapter that leaves out an asked section. The real one cannot (it answers one section per asked
    source whatever the register sends, tests/registers/test_adapters_reading.py), so this guard of the service
    against its adapter is the one thing here not reached over the wire."""

    async def fetch(self, order: IncomeOrder) -> list:
        return []

    async def aclose(self) -> None:
        return None


async def test_a_section_the_adapter_leaves_out_reads_as_unavailable(issuer, registers, service_headers):
    real = build_sources(RegistersSettings(**simulator_settings(registers.simulator)).connection())
    sources = Sources(income=Forgetful(), population=real.population)
    async with fresh_database("registers") as url:
        settings = RegistersSettings(database_url=url, housekeeping_enabled=False)
        app = create_app(settings, sources=sources, clock=Clock(), verifier=verifier_for(issuer))
        async with app_client(app) as client:
            r = await client.post("/internal/lookups", json=income(sources=["csn"]), headers=service_headers())
        await real.aclose()
        assert r.json()["sections"] == [{"source": "csn", "status": "unavailable", "error": "no_section",
                                         "payments": [], "taxed_incomes": [], "registration": None, "vehicles": [],
                                         "permits": []}]
        assert r.json()["complete"] is False
        assert len(await rows(url)) == 1  # audited all the same


@pytest.mark.parametrize(("change", "fields"), [
    ({"personal_number": "198903149809"}, {"body.personal_number"}),  # check digit
    ({"period": "2026-13"}, {"body.period"}),
    ({"purpose": "curiosity"}, {"body.purpose"}),
    ({"legal_basis": ""}, {"body.legal_basis"}),
    ({"process": "Has Spaces"}, {"body.process"}),
    ({"case_id": "not-a-uuid"}, {"body.case_id"}),
    ({"sources": ["skatteverket", "nobody"]}, {"body.sources.1"}),
    ({"surprise": 1}, {"body.surprise"}),
    ({"purpose": "protection_check"}, {"body.purpose"}),  # not a reason for an income look-up
    ({"sources": []}, {"body.sources"}),
    ({"sources": ["csn", "csn"]}, {"body.sources"}),
])
async def test_bad_input_is_a_422_listing_the_fields_and_asks_nobody(app, service_headers, change, fields):
    client, fake, _, url = app
    r = await client.post("/internal/lookups", json=income(**change), headers=service_headers())
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["type"].startswith("urn:bistand:problem:") and {e["field"] for e in body["errors"]} == fields
    assert ANNA not in r.text
    assert fake.requests("ssbtek") == [] and await rows(url) == []


async def test_a_missing_field_and_a_body_that_is_not_json(app, service_headers):
    client, _, _, _ = app
    body = income()
    del body["period"]
    r = await client.post("/internal/lookups", json=body, headers=service_headers())
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {"body.period"}
    r = await client.post("/internal/lookups", content=b"{nope", headers={**service_headers(),
                                                                          "content-type": "application/json"})
    assert 400 <= r.status_code < 500 and r.headers["content-type"] == PROBLEM
