"""Who sees what: the household, the unit's staff (protected identity only with clearance), the assigned
employment officer (plan only), nobody else — and every staff read is in the audit log."""

from __future__ import annotations

import asyncpg
import pytest

from kit.db import plain_url
from tests.applications.conftest import ANNA, BERTIL, CECILIA, DANA, couple, single, submitted_case


@pytest.fixture(scope="module")
async def world(client, as_persona):
    household = await submitted_case(client, as_persona, couple())
    await client.put("/me/profile", headers=as_persona("dana"),
                     json={"preferred_language": "ar", "interpreter_needed": True, "interpreter_language": "ar",
                           "address": "Hemliga gatan 1", "phone": "+46701234567"})
    protected = await submitted_case(client, as_persona, single(DANA), signers=("dana",), owner="dana")
    syd = await client.post("/staff/applications", headers=as_persona("lars"),
                            json={"personal_number": CECILIA, "source": "visit", "content": single(CECILIA)})
    assert syd.status_code == 201, syd.text
    return {"household": household["id"], "protected": protected["id"], "syd": syd.json()["id"]}


# persona -> (household in Nord, protected in Nord, Cecilia's in Syd): 200 may read, 404 may not know it exists
READ_MATRIX = {
    "anna": (200, 404, 404),      # applicant
    "bertil": (200, 404, 404),    # co-applicant
    "cecilia": (404, 404, 200),   # another client: only her own
    "dana": (404, 200, 404),      # the protected client sees her own
    "karin": (200, 404, 404),     # caseworker Nord, not cleared for protected identity
    "maja": (200, 200, 404),      # caseworker Nord, cleared
    "tove": (200, 404, 404),      # team lead Nord
    "lars": (404, 404, 200),      # caseworker Syd
    "nils": (404, 404, 404),      # employment officer, not assigned
    "adam": (404, 404, 404),      # admin: no case data
}


@pytest.mark.parametrize("persona", sorted(READ_MATRIX))
async def test_read_matrix(client, as_persona, world, persona):
    for key, expected in zip(("household", "protected", "syd"), READ_MATRIX[persona], strict=True):
        for path in ("", "/history", "/attachments", "/document-requests"):
            answer = await client.get(f"/applications/{world[key]}{path}", headers=as_persona(persona))
            assert answer.status_code == expected, (persona, key, path, answer.text)
            if expected == 404:
                assert answer.json()["type"] == "urn:bistand:problem:not-found"


async def test_me_cases_lists_only_my_household(client, as_persona, world):
    anna = (await client.get("/me/cases", headers=as_persona("anna"))).json()["items"]
    assert [c["id"] for c in anna] == [world["household"]]
    assert anna[0]["title"] == "Ansökan är skickad"
    bertil = (await client.get("/me/cases?lang=en", headers=as_persona("bertil"))).json()["items"]
    assert bertil[0]["title"] == "Application sent"
    assert (await client.get(f"/me/cases/{world['household']}", headers=as_persona("cecilia"))).status_code == 404
    assert (await client.get(f"/me/cases/{world['household']}", headers=as_persona("karin"))).status_code == 404
    assert (await client.get("/me/cases", headers=as_persona("karin"))).status_code == 403


async def test_protected_contact_never_leaves(client, as_persona, world):
    seen = await client.get(f"/applications/{world['protected']}", headers=as_persona("maja"))
    assert seen.status_code == 200
    body = seen.json()
    assert body["protected_identity"] is True
    assert body["client"] == {"preferred_language": "ar", "interpreter_needed": True, "interpreter_language": "ar"}
    assert "Hemliga" not in seen.text and "+4670" not in seen.text
    own = (await client.get("/me/profile", headers=as_persona("dana"))).json()
    assert own["address"] == "Hemliga gatan 1"
    karin_queue = (await client.get("/queue?view=all", headers=as_persona("karin"))).json()["items"]
    maja_queue = (await client.get("/queue?view=all", headers=as_persona("maja"))).json()["items"]
    assert world["protected"] not in [c["id"] for c in karin_queue]
    assert world["protected"] in [c["id"] for c in maja_queue]
    assert "protected_identity" in next(c for c in maja_queue if c["id"] == world["protected"])["flags"]


async def test_staff_reads_are_audited_with_reason(client, as_persona, world, db_url):
    headers = {**as_persona("karin"), "X-Access-Reason": "utredning av ansokan"}
    assert (await client.get(f"/applications/{world['household']}", headers=headers)).status_code == 200
    assert (await client.get(f"/applications/{world['household']}", headers=as_persona("anna"))).status_code == 200
    conn = await asyncpg.connect(plain_url(db_url))
    try:
        rows = await conn.fetch("SELECT actor, action, resource_type, resource_id, subject, purpose, at FROM audit_log "
                                "WHERE resource_id = $1 AND action = 'read'", world["household"])
    finally:
        await conn.close()
    karin = [r for r in rows if r["actor"] == "persona:karin" and r["purpose"] == "utredning av ansokan"]
    assert karin and karin[0]["resource_type"] == "application" and karin[0]["at"] is not None
    assert karin[0]["subject"] == f"{ANNA},{BERTIL}"
    assert not [r for r in rows if r["actor"] == "persona:anna"]  # the client's own reads are not staff reads
