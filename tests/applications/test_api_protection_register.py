"""Protected identity comes from the population register (through the registers service), not from a checkbox nor a
token claim: applications asks it whenever a case's parties change, keeps the answer as the case's copy, and fails
closed (503, nothing written) when the register cannot answer. Bodies are read: no person, name or case leaks."""

from __future__ import annotations

import datetime as dt

import pytest

from contracts.protection import PATH
from simulators.idp.personas import Persona
from tests.applications.conftest import make_app, single
from tests.applications.test_domain_factories import pnr_for
from tests.conftest import register_down
from tests.support import app_client

pytestmark = pytest.mark.asyncio

PROBLEM = "urn:bistand:problem:"
# People of this module only (the registers' state lives as long as the test process).
MARKED = pnr_for(dt.date(1962, 2, 12))  # the register marks her protected; her token says nothing
CLAIMS = pnr_for(dt.date(1963, 3, 13))  # her token claims protected identity; the register does not
APPLICANT = pnr_for(dt.date(1971, 1, 21))  # names a partner the register marks protected
PARTNER = pnr_for(dt.date(1972, 2, 22))
LATE = pnr_for(dt.date(1973, 3, 23))  # applies while the register is unavailable
DRAFTED = pnr_for(dt.date(1974, 4, 24))  # the register marks her while her application is a draft
NAME = "Skyddad Sjöberg"


@pytest.fixture(scope="module")
def login(issuer):
    def headers(pnr: str, *, claim: bool = False) -> dict[str, str]:
        persona = Persona(key=f"p{pnr}", name="Testperson", roles=("client",), personal_number=pnr,
                          protected_identity=claim)
        return {"Authorization": f"Bearer {issuer.persona_token(persona)}"}

    return headers


@pytest.fixture(scope="module", autouse=True)
def people(registers):
    registers.set_person(MARKED, protected=True, name=NAME)
    registers.set_person(PARTNER, protected=True, name=NAME)
    for pnr in (CLAIMS, APPLICANT, LATE, DRAFTED):
        registers.set_person(pnr, name="Öppen Person")


def leaks_nothing(response, *secrets: str) -> None:
    for secret in (NAME, *secrets):
        assert secret not in response.text


async def submitted(client, headers: dict[str, str], pnr: str, period: str) -> str:
    made = await client.post("/applications", json=single(pnr, period), headers=headers)
    assert made.status_code == 201, made.text
    case_id = made.json()["id"]
    assert (await client.post(f"/applications/{case_id}/signatures", headers=headers)).status_code == 201
    done = await client.post(f"/applications/{case_id}/submit", headers=headers)
    assert done.status_code == 200, done.text
    return case_id  # type: ignore[no-any-return]


async def test_a_client_the_register_marks_is_protected(client, as_persona, login, registers):
    asked_before = len(registers.requests)
    case_id = await submitted(client, login(MARKED), MARKED, "2026-04")
    assert (PATH, {"personal_numbers": [MARKED]}) in registers.requests[asked_before:]

    refused = await client.get(f"/applications/{case_id}", headers=as_persona("karin"))  # not cleared
    assert refused.status_code == 404
    leaks_nothing(refused, MARKED, MARKED[2:])  # (the instance echoes the URL the caller sent)
    queue = await client.get("/queue?view=all", headers=as_persona("karin"))
    assert queue.status_code == 200 and case_id not in queue.text
    leaks_nothing(queue, MARKED, MARKED[2:])

    seen = await client.get(f"/applications/{case_id}", headers=as_persona("maja"))  # cleared
    assert seen.status_code == 200 and seen.json()["protected_identity"] is True
    assert NAME not in seen.text  # the register's name never reaches the case
    cleared_queue = (await client.get("/queue?view=all", headers=as_persona("maja"))).json()["items"]
    assert "protected_identity" in next(c for c in cleared_queue if c["id"] == case_id)["flags"]


async def test_a_token_claim_protects_nobody(client, as_persona, login):
    """The register is the source: a token that claims protected identity changes nothing (and never loosens)."""
    case_id = await submitted(client, login(CLAIMS, claim=True), CLAIMS, "2026-04")
    seen = await client.get(f"/applications/{case_id}", headers=as_persona("karin"))
    assert seen.status_code == 200 and seen.json()["protected_identity"] is False


async def test_a_co_applicant_the_register_marks_protects_the_case(client, as_persona, login, registers):
    content = single(APPLICANT, "2026-05")
    content["household"]["partner"] = {"personal_number": PARTNER, "relation": "married"}
    made = await client.post("/applications", json=content, headers=login(APPLICANT))
    assert made.status_code == 201, made.text
    case_id = made.json()["id"]
    # Invited only: the partner's status is not asked, so naming them tells nothing.
    assert (PATH, {"personal_numbers": [PARTNER]}) not in registers.requests
    open_case = await client.get(f"/applications/{case_id}", headers=as_persona("karin"))
    assert open_case.status_code == 200 and open_case.json()["protected_identity"] is False

    joined = await client.post(f"/applications/{case_id}/accept", headers=login(PARTNER))
    assert joined.status_code == 200, joined.text
    assert (PATH, {"personal_numbers": sorted([APPLICANT, PARTNER])}) in registers.requests
    refused = await client.get(f"/applications/{case_id}", headers=as_persona("karin"))
    assert refused.status_code == 404
    leaks_nothing(refused, PARTNER, APPLICANT)
    seen = await client.get(f"/applications/{case_id}", headers=as_persona("maja"))
    assert seen.status_code == 200 and seen.json()["protected_identity"] is True
    # The applicant sees their own case, but the register's facts about the partner (their name) do not appear.
    own = await client.get(f"/applications/{case_id}", headers=login(APPLICANT))
    assert own.status_code == 200 and NAME not in own.text


async def test_a_marking_made_during_the_draft_counts_at_submit(client, as_persona, login, registers):
    made = await client.post("/applications", json=single(DRAFTED, "2026-04"), headers=login(DRAFTED))
    assert made.status_code == 201, made.text
    case_id = made.json()["id"]
    assert (await client.post(f"/applications/{case_id}/signatures", headers=login(DRAFTED))).status_code == 201
    registers.set_person(DRAFTED, protected=True, name=NAME)
    with register_down(registers):  # the submit asks again: no answer, no submit
        refused = await client.post(f"/applications/{case_id}/submit", headers=login(DRAFTED))
        assert refused.status_code == 503 and refused.json()["type"] == PROBLEM + "protection-check-unavailable"
    done = await client.post(f"/applications/{case_id}/submit", headers=login(DRAFTED))
    assert done.status_code == 200, done.text
    refused = await client.get(f"/applications/{case_id}", headers=as_persona("karin"))
    assert refused.status_code == 404
    leaks_nothing(refused, DRAFTED, DRAFTED[2:])
    seen = await client.get(f"/applications/{case_id}", headers=as_persona("maja"))
    assert seen.status_code == 200, seen.text
    assert seen.json()["protected_identity"] is True and seen.json()["status"] == "submitted"


async def test_the_register_unavailable_fails_closed(client, as_persona, login, registers):
    with register_down(registers):
        refused = await client.post("/applications", json=single(LATE, "2026-06"), headers=login(LATE))
        assert refused.status_code == 503
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["type"] == PROBLEM + "protection-check-unavailable"
        leaks_nothing(refused, LATE, LATE[2:])
        staff = await client.post("/staff/applications", headers=as_persona("karin"), json={
            "personal_number": LATE, "source": "paper", "content": single(LATE, "2026-06")})
        assert staff.status_code == 503 and staff.json()["type"] == PROBLEM + "protection-check-unavailable"
        mine = await client.get("/me/cases", headers=login(LATE))
        assert mine.status_code == 200 and "2026-06" not in mine.text  # nothing was written
    made = await client.post("/applications", json=single(LATE, "2026-06"), headers=login(LATE))
    assert made.status_code == 201, made.text


async def test_without_registers_nothing_is_written(db_url, issuer):
    async with app_client(make_app(db_url, issuer)) as bare:  # no registers URL configured
        persona = Persona(key="p-bare", name="Testperson", roles=("client",), personal_number=LATE)
        refused = await bare.post("/applications", json=single(LATE, "2026-07"),
                                  headers={"Authorization": f"Bearer {issuer.persona_token(persona)}"})
    assert refused.status_code == 503 and refused.json()["type"] == PROBLEM + "protection-check-unavailable"


async def test_no_checkbox_route_remains(client, as_persona, service_auth):
    """Nobody sets protected identity here: the registrar's route and the old owner's answer are gone."""
    assert (await client.put("/staff/people/protection", headers=as_persona("adam"), json={
        "personal_number": CLAIMS, "protected_identity": True, "reason": "test"})).status_code in (404, 405)
    assert (await client.post(PATH, headers=service_auth("messaging"),
                              json={"personal_numbers": [MARKED]})).status_code in (404, 405)
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/staff/people/protection" not in paths and PATH not in paths
    checkbox = await client.post("/staff/applications", headers=as_persona("karin"), json={
        "personal_number": CLAIMS, "source": "paper", "content": single(CLAIMS, "2026-08"),
        "protected_identity": True})
    assert checkbox.status_code == 422
    assert [e["field"] for e in checkbox.json()["errors"]] == ["body.protected_identity"]
