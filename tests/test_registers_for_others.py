"""tests/registers_standin.py end to end: the real registers service in front of the real simulator, driven by the
knobs other services' tests use (set_person, fail, navet_down, reset, requests)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from contracts.registers import Address, Benefit, Payment, SectionStatus, Source
from simulators.idp.personas import PERSONAS
from tests.registers_standin import registers_standin

ANNA = PERSONAS["anna"].personal_number
BERTIL = PERSONAS["bertil"].personal_number
DANA = PERSONAS["dana"].personal_number
HOME = Address(street="Storgatan 1", postal_code="111 22", city="Nordstad")


@pytest.fixture(scope="module")
def registers(issuer):
    with registers_standin(issuer) as r:
        yield r


@pytest.fixture
def reg(registers):
    registers.reset()
    return registers


def ask(reg, issuer, path: str, body: dict, client: str = "applications") -> httpx.Response:
    token = issuer.service_token(client, "bistand:registers")
    return httpx.post(f"{reg.url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=20)


def income(pnr: str = ANNA, **over) -> dict:
    return {"personal_number": pnr, "case_id": str(uuid.uuid4()), "period": "2026-02", "purpose": "decision_proposal",
            "legal_basis": "SoL (2025:400) 11 kap.", "process": "applications:decision_proposal", "unit": "nord",
            **over}


def test_a_protected_person_is_protected_at_once_and_not_after_a_change(reg, issuer):
    reg.set_person(DANA, protected=True, name="Dana Dahl")
    reg.set_person(ANNA, name="Anna Andersson", address=HOME)
    r = ask(reg, issuer, "/internal/protection", {"personal_numbers": [ANNA, DANA, BERTIL]}, "meetings")
    assert r.status_code == 200, r.text
    assert r.json() == {"protected": [DANA]}
    reg.set_person(ANNA, protected=True, name="Anna Andersson")  # no cache in between
    assert ask(reg, issuer, "/internal/protection", {"personal_numbers": [ANNA]}).json() == {"protected": [ANNA]}


def test_population_as_set_and_protected_people_stripped(reg, issuer):
    reg.set_person(ANNA, name="Anna Andersson", address=HOME, residents=(BERTIL,))
    reg.set_person(DANA, protected=True, name="Dana Dahl", address=HOME)
    r = ask(reg, issuer, "/internal/population", {"personal_numbers": [ANNA, DANA, BERTIL], "purpose": "case_handling",
                                                  "process": "applications:household"})
    assert r.status_code == 200, r.text
    anna, dana, bertil = r.json()["people"]
    assert anna["name"] == "Anna Andersson" and anna["address"]["street"] == "Storgatan 1"
    assert anna["residents"] == [BERTIL]
    assert dana["protected"] is True and dana["address"] is None and "Storgatan" not in str(dana)
    assert bertil["found"] is False  # not set: unknown (the simulator starts empty here)


def test_payments_and_a_failing_source_section_by_section(reg, issuer):
    reg.set_person(ANNA, payments=[Payment(benefit=Benefit.BOSTADSBIDRAG, period="2026-02", amount=1800)])
    reg.fail(Source.CSN)
    reg.fail(Source.SKATTEVERKET, SectionStatus.ERROR)
    r = ask(reg, issuer, "/internal/lookups", income(sources=["forsakringskassan", "csn", "skatteverket"]))
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["complete"] is False
    assert [(s["source"], s["status"], s["error"]) for s in answer["sections"]] == [
        ("forsakringskassan", "ok", None), ("csn", "unavailable", "source_unavailable"),
        ("skatteverket", "error", "source_error")]
    assert answer["sections"][0]["payments"] == [{"benefit": "bostadsbidrag", "period": "2026-02", "amount": 1800}]
    reg.reset()
    r = ask(reg, issuer, "/internal/lookups", income(sources=["csn"]))
    assert r.json()["complete"] is True  # reset: every source answers again


def test_navet_down_is_a_503_for_population_and_protection_until_it_is_up(reg, issuer):
    reg.set_person(DANA, protected=True)
    reg.navet_down = True
    r = ask(reg, issuer, "/internal/protection", {"personal_numbers": [DANA]})
    assert r.status_code == 503 and r.json()["type"] == "urn:bistand:problem:register-unavailable"
    r = ask(reg, issuer, "/internal/population", {"personal_numbers": [DANA], "purpose": "protection_check",
                                                  "process": "meetings:protection_check"}, "meetings")
    assert r.status_code == 503
    reg.navet_down = False
    assert ask(reg, issuer, "/internal/protection", {"personal_numbers": [DANA]}).json() == {"protected": [DANA]}


def test_requests_are_recorded_as_received_and_refused_ones_are_not(reg, issuer):
    ask(reg, issuer, "/internal/protection", {"personal_numbers": [ANNA]}, "messaging")
    body = income(sources=["csn"])
    ask(reg, issuer, "/internal/lookups", body)
    refused = httpx.post(f"{reg.url}/internal/protection", json={"personal_numbers": [ANNA]})
    assert refused.status_code == 401
    assert [path for path, _ in reg.requests] == ["/internal/protection", "/internal/lookups"]
    assert reg.requests[0][1] == {"personal_numbers": [ANNA]}
    looked = reg.requests[1][1]
    assert looked["personal_number"] == ANNA and looked["case_id"] == body["case_id"] and looked["sources"] == ["csn"]
    # A service the registers do not serve that route to is refused there (the real access rules).
    assert ask(reg, issuer, "/internal/lookups", body, "meetings").status_code == 403
