"""Only the registrar sets or lifts protected identity (audited); a caseworker's checkbox does not; a client's own
token claim tightens, never loosens; the person's cases follow the status both ways."""

from __future__ import annotations

import datetime as dt

import asyncpg
import pytest

from kit.db import plain_url
from tests.applications.conftest import BERTIL, CECILIA, DANA, couple, single, submitted_case
from tests.applications.test_domain_factories import pnr_for

URL = "/staff/people/protection"


def body(pnr: str, protected: bool = True, reason: str = "Skatteverket: sekretessmarkering") -> dict:
    return {"personal_number": pnr, "protected_identity": protected, "reason": reason}


async def protected_among(client, service_auth, *pnrs: str) -> list[str]:
    answer = await client.post("/internal/protection", json={"personal_numbers": list(pnrs)},
                               headers=service_auth("messaging"))
    return answer.json()["protected"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("caller", "status"), [("karin", 403), ("maja", 403), ("tove", 403), ("nils", 403),
                                                ("anna", 403), ("dana", 403)])
async def test_only_the_registrar_may_set_it(client, as_persona, service_auth, caller, status):
    someone = pnr_for(dt.date(1966, 6, 6))
    refused = await client.put(URL, json=body(someone), headers=as_persona(caller))
    assert refused.status_code == status and someone not in refused.text
    assert (await client.put(URL, json=body(someone), headers=service_auth("messaging"))).status_code == 403
    assert (await client.put(URL, json=body(someone))).status_code == 401
    assert await protected_among(client, service_auth, someone) == []


async def test_the_caseworkers_checkbox_sets_nothing(client, as_persona, service_auth):
    someone = pnr_for(dt.date(1967, 7, 7))
    refused = await client.post("/staff/applications", headers=as_persona("karin"), json={
        "personal_number": someone, "source": "paper", "content": single(someone, "2026-06"),
        "protected_identity": True})
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["body.protected_identity"]
    assert await protected_among(client, service_auth, someone) == []


@pytest.mark.parametrize("bad", [{"personal_number": "123", "protected_identity": True, "reason": "because"},
                                 {"personal_number": CECILIA, "protected_identity": True},
                                 {"personal_number": CECILIA, "protected_identity": "maybe", "reason": "because"}])
async def test_bad_input_is_a_422(client, as_persona, bad):
    assert (await client.put(URL, json=bad, headers=as_persona("adam"))).status_code == 422


async def test_the_registrar_protects_a_person_and_their_cases_follow(client, as_persona, service_auth, db_url):
    """Anna and Bertil's submitted case: Adam marks Bertil protected. The case is hidden from uncleared staff at
    once, shown to cleared staff with the flag, audited with the reason; lifting it brings it back."""
    case = await submitted_case(client, as_persona, couple("2026-07"))
    url = f"/applications/{case['id']}"
    assert (await client.get(url, headers=as_persona("karin"))).status_code == 200

    marked = await client.put(URL, json=body(BERTIL), headers=as_persona("adam"))
    assert marked.status_code == 200, marked.text
    assert marked.json() == {"protected_identity": True, "changed": True, "cases_updated": 1}
    assert await protected_among(client, service_auth, BERTIL) == [BERTIL]
    assert (await client.get(url, headers=as_persona("karin"))).status_code == 404
    seen = await client.get(url, headers=as_persona("maja"))
    assert seen.status_code == 200 and seen.json()["protected_identity"] is True
    queue = (await client.get("/queue?view=all", headers=as_persona("karin"))).json()["items"]
    assert case["id"] not in [c["id"] for c in queue]
    again = await client.put(URL, json=body(BERTIL), headers=as_persona("adam"))
    assert again.json() == {"protected_identity": True, "changed": False, "cases_updated": 0}

    conn = await asyncpg.connect(plain_url(db_url))
    try:
        rows = await conn.fetch("SELECT actor, action, resource_type, subject, purpose FROM audit_log "
                                "WHERE resource_type = 'protected_identity' AND subject = $1", BERTIL)
    finally:
        await conn.close()
    assert [(r["actor"], r["action"], r["purpose"]) for r in rows] == [
        ("persona:adam", "protect", "Skatteverket: sekretessmarkering")] * 2

    lifted = await client.put(URL, json=body(BERTIL, False, "Markeringen upphörd"), headers=as_persona("adam"))
    assert lifted.json() == {"protected_identity": False, "changed": True, "cases_updated": 1}
    assert (await client.get(url, headers=as_persona("karin"))).status_code == 200
    assert await protected_among(client, service_auth, BERTIL) == []


async def test_a_case_stays_protected_while_another_party_is(client, as_persona):
    """Lifting one person's status leaves a case protected when its other party still is."""
    case = await client.post("/applications", json=single(DANA, "2026-08"), headers=as_persona("dana"))
    assert case.status_code == 201, case.text
    lifted = await client.put(URL, json=body(DANA, False, "test"), headers=as_persona("adam"))
    assert lifted.status_code == 200 and lifted.json()["cases_updated"] >= 1
    # Dana's own token still says protected: her next action marks her again (a claim tightens), cases included.
    again = await client.post("/applications", json=single(DANA, "2026-09"), headers=as_persona("dana"))
    assert again.status_code == 201
    for case_id in (case.json()["id"], again.json()["id"]):
        assert (await client.get(f"/applications/{case_id}", headers=as_persona("karin"))).status_code == 404


async def test_a_clients_token_cannot_loosen_it(client, as_persona, service_auth):
    """Cecilia's token carries no protected claim: after the registrar marks her, her new application is protected."""
    assert (await client.put(URL, json=body(CECILIA), headers=as_persona("adam"))).status_code == 200
    made = await client.post("/applications", json=single(CECILIA, "2026-10"), headers=as_persona("cecilia"))
    assert made.status_code == 201
    assert (await client.get(f"/applications/{made.json()['id']}", headers=as_persona("karin"))).status_code == 404
    assert await protected_among(client, service_auth, CECILIA) == [CECILIA]
