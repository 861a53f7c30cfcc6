"""Who sees what: the household, the unit's staff (protected identity only with clearance), nobody else.

A thread you may not see is a 404 exactly like one that does not exist.
"""

from __future__ import annotations

import uuid

import pytest

from tests.messaging.conftest import CECILIA, DANA, PDF, event, make_app, make_known
from tests.support import app_client, fresh_database


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("messaging") as url:
        yield url


@pytest.fixture(scope="module")
async def client(db_url, issuer):
    async with app_client(make_app(db_url, issuer)) as c:
        yield c


@pytest.fixture(scope="module")
async def world(client, as_persona, service_headers):
    """Three threads: Anna's household case in Nord, Dana's protected case in Nord, Cecilia in Syd."""
    case, protected_case = uuid.uuid4(), uuid.uuid4()
    for body in (event("application.submitted", case),
                 event("application.submitted", protected_case, recipients=(DANA,), protected=True)):
        assert (await client.post("/events", json=body, headers=service_headers(body))).status_code == 202
    household = (await client.post("/threads", headers=as_persona("anna"),
                                   json={"case_id": str(case), "subject": "Hushållet", "body": "Hej"})).json()
    protected = (await client.post("/threads", headers=as_persona("dana"),
                                   json={"case_id": str(protected_case), "subject": "Skyddad", "body": "Hej"})).json()
    await make_known(client, service_headers, CECILIA, unit="syd")
    syd = (await client.post("/threads", headers=as_persona("lars"),
                             json={"personal_number": CECILIA, "subject": "Syd", "body": "Hej Cecilia"})).json()
    attachment = (await client.post(f"/threads/{household['id']}/attachments", headers=as_persona("anna"),
                                    files={"file": ("a.pdf", PDF)})).json()
    await client.post(f"/threads/{household['id']}/messages", headers=as_persona("anna"),
                      json={"body": "Bilaga", "attachment_ids": [attachment["id"]]})
    return {"household": household, "protected": protected, "syd": syd, "case": case,
            "protected_case": protected_case, "attachment": attachment["id"]}


# persona -> (household, protected, syd): 200 may read, 404 may not know it exists
READ_MATRIX = {
    "anna": (200, 404, 404),      # owner
    "bertil": (200, 404, 404),    # co-applicant, same household
    "cecilia": (404, 404, 200),   # another client
    "dana": (404, 200, 404),      # the protected client sees her own
    "karin": (200, 404, 404),     # caseworker Nord, not cleared for protected identity
    "maja": (200, 200, 404),      # caseworker Nord, cleared
    "tove": (200, 404, 404),      # team lead Nord: reads (supervision)
    "lars": (404, 404, 200),      # caseworker of another unit
    "nils": (404, 404, 404),      # employment officer in another unit
}


@pytest.mark.parametrize("persona", sorted(READ_MATRIX))
async def test_read_matrix(client, as_persona, world, persona):
    headers = as_persona(persona)
    for name, expected in zip(("household", "protected", "syd"), READ_MATRIX[persona], strict=True):
        tid = world[name]["id"]
        for url in (f"/threads/{tid}", f"/threads/{tid}/messages"):
            response = await client.get(url, headers=headers)
            assert response.status_code == expected, (persona, name, url, response.text)
            if expected == 404:
                assert response.json()["detail"] == "No such thread."  # the same as for a missing one
        listed = {t["id"] for t in (await client.get("/threads", headers=headers)).json()}
        assert (tid in listed) is (expected == 200), (persona, name)
    download = await client.get(f"/threads/{world['household']['id']}/attachments/{world['attachment']}",
                                headers=headers)
    assert download.status_code == READ_MATRIX[persona][0]


async def test_missing_thread_is_the_same_404(client, as_persona):
    response = await client.get(f"/threads/{uuid.uuid4()}", headers=as_persona("karin"))
    assert response.status_code == 404 and response.json()["detail"] == "No such thread."


@pytest.mark.parametrize(("persona", "status"), [("anna", 201), ("bertil", 201), ("karin", 201), ("maja", 201),
                                                 ("tove", 403), ("cecilia", 404), ("lars", 404)])
async def test_write_matrix(client, as_persona, world, persona, status):
    tid = world["household"]["id"]
    response = await client.post(f"/threads/{tid}/messages", headers=as_persona(persona), json={"body": "x"})
    assert response.status_code == status, response.text


@pytest.mark.parametrize("persona", ["adam"])
async def test_roles_without_messages(client, as_persona, world, persona):
    assert (await client.get("/threads", headers=as_persona(persona))).status_code == 403
    assert (await client.get(f"/threads/{world['household']['id']}", headers=as_persona(persona))).status_code == 403


async def test_a_service_token_reads_no_thread(client, world, service_headers):
    assert (await client.get(f"/threads/{world['household']['id']}", headers=service_headers())).status_code == 403


async def test_no_token_is_401(client, world):
    assert (await client.get(f"/threads/{world['household']['id']}")).status_code == 401


async def test_only_services_post_events(client, as_persona, service_headers, issuer):
    body = event("application.decided", uuid.uuid4())
    assert (await client.post("/events", json=body, headers=as_persona("anna"))).status_code == 403
    assert (await client.post("/events", json=body, headers=as_persona("karin"))).status_code == 403
    # The gateway's client gets no token for messaging from the IdP (401); even one made for messaging is refused.
    assert (await client.post("/events", json=body, headers=service_headers(body, client_id="gateway"))
            ).status_code == 401
    made = {"Authorization": f"Bearer {issuer.service_token('gateway', 'bistand:messaging')}",
            "Idempotency-Key": body["id"]}
    other = await client.post("/events", json=body, headers=made)
    assert other.status_code == 403 and other.json()["type"] == "urn:bistand:problem:forbidden"


async def test_a_client_cannot_join_another_households_case(client, as_persona, world):
    response = await client.post("/threads", headers=as_persona("cecilia"),
                                 json={"case_id": str(world["case"]), "subject": "Intrång"})
    assert response.status_code == 404


async def test_staff_cannot_start_a_thread_in_another_unit(client, as_persona, world):
    response = await client.post("/threads", headers=as_persona("lars"),
                                 json={"case_id": str(world["case"]), "subject": "Fel enhet"})
    assert response.status_code == 404
    response = await client.post("/threads", headers=as_persona("lars"),
                                 json={"personal_number": CECILIA, "unit": "nord", "subject": "Fel enhet"})
    assert response.status_code == 422 and response.json()["type"] == "urn:bistand:problem:unit-not-yours"


async def test_export_per_case_for_staff_of_the_unit(client, as_persona, world):
    case = world["case"]
    exported = await client.get(f"/cases/{case}/export", headers=as_persona("karin"))
    assert exported.status_code == 200
    thread = exported.json()["threads"][0]
    assert thread["subject"] == "Hushållet" and [m["body"] for m in thread["messages"]][:2] == ["Hej", "Bilaga"]
    assert thread["messages"][1]["attachments"][0]["sha256"]
    assert (await client.get(f"/cases/{case}/export", headers=as_persona("lars"))).status_code == 404
    assert (await client.get(f"/cases/{case}/export", headers=as_persona("anna"))).status_code == 403
    protected = world["protected_case"]
    assert (await client.get(f"/cases/{protected}/export", headers=as_persona("karin"))).status_code == 404
    assert (await client.get(f"/cases/{protected}/export", headers=as_persona("maja"))).status_code == 200
