"""Employment officers (arbetsmarknadssekreterare) work on the plan toward work, not on the money: in messaging
they see only the threads they are a party to (started, or handed to them) and no case export, the same rule
as in applications (status, plan and meetings only). And no export carries a retracted message's text."""

from __future__ import annotations

import uuid

import pytest

from simulators.idp.personas import Persona
from tests.messaging.conftest import ANNA, event, make_app
from tests.support import app_client, fresh_database

# An employment officer in unit Nord itself (the demo's Nils works in another unit, so he proves nothing here).
NORA = Persona("nora", "Nora Nyberg", ("employment_officer",), unit="nord")
MONEY = "Hyran på 8200 kr och skulden till hyresvärden"
PLAN = "Praktikplats hos kommunen från måndag"


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("messaging") as url:
        yield url


@pytest.fixture(scope="module")
async def client(db_url, issuer):
    async with app_client(make_app(db_url, issuer)) as c:
        yield c


@pytest.fixture(scope="module")
def nora(issuer):
    return {"Authorization": f"Bearer {issuer.persona_token(NORA)}"}


@pytest.fixture(scope="module")
async def world(client, as_persona, service_headers, nora):
    case = uuid.uuid4()
    body = event("application.submitted", case)
    assert (await client.post("/events", json=body, headers=service_headers(body))).status_code == 202
    money = await client.post("/threads", headers=as_persona("anna"),
                              json={"case_id": str(case), "subject": "Ekonomin", "body": MONEY})
    general = await client.post("/threads", headers=as_persona("karin"),
                                json={"personal_number": ANNA, "subject": "Försörjningsstöd", "body": MONEY})
    plan = await client.post("/threads", headers=nora,
                             json={"case_id": str(case), "subject": "Planeringen", "body": PLAN})
    for made in (money, general, plan):
        assert made.status_code == 201, made.text
    return {"case": case, "money": money.json()["id"], "general": general.json()["id"], "plan": plan.json()["id"]}


async def test_an_employment_officer_sees_only_their_own_threads(client, nora, world):
    listed = await client.get("/threads", headers=nora)
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json()] == [world["plan"]]
    assert "Ekonomin" not in listed.text and "Försörjningsstöd" not in listed.text
    for name in ("money", "general"):
        for url in (f"/threads/{world[name]}", f"/threads/{world[name]}/messages"):
            response = await client.get(url, headers=nora)
            assert response.status_code == 404, (name, url)
            assert MONEY not in response.text
    messages = await client.get(f"/threads/{world['plan']}/messages", headers=nora)
    assert messages.status_code == 200 and PLAN in messages.text and MONEY not in messages.text
    unread = (await client.get("/me/unread", headers=nora)).json()
    assert unread["unit_inbox"] == {"nord": 0}  # the unit's money threads are not counted for her either


async def test_an_employment_officer_gets_no_case_export(client, nora, world):
    response = await client.get(f"/cases/{world['case']}/export", headers=nora)
    assert response.status_code == 403
    assert MONEY not in response.text and PLAN not in response.text
    # The same answer for a case that does not exist: nothing to learn from it.
    other = await client.get(f"/cases/{uuid.uuid4()}/export", headers=nora)
    assert (other.status_code, other.json()["type"]) == (403, response.json()["type"])


async def test_a_thread_handed_to_her_is_hers(client, as_persona, nora, world):
    handed = await client.post("/threads", headers=as_persona("karin"),
                               json={"personal_number": ANNA, "subject": "Arbetsträning", "body": "Om träningen"})
    tid = handed.json()["id"]
    assert (await client.get(f"/threads/{tid}", headers=nora)).status_code == 404
    assigned = await client.post(f"/threads/{tid}/assign", headers=as_persona("karin"), json={"to": "persona:nora"})
    assert assigned.status_code == 200, assigned.text
    assert (await client.get(f"/threads/{tid}/messages", headers=nora)).status_code == 200


async def test_caseworkers_still_see_every_thread_of_the_case(client, as_persona, world):
    exported = await client.get(f"/cases/{world['case']}/export", headers=as_persona("karin"))
    assert exported.status_code == 200
    assert {t["thread_id"] for t in exported.json()["threads"]} == {world["money"], world["plan"]}


async def test_the_export_keeps_a_marker_but_never_a_retracted_text(client, as_persona, world):
    oops = "Fel mottagare: mitt kontonummer 1234-5678"
    sent = await client.post(f"/threads/{world['money']}/messages", headers=as_persona("anna"), json={"body": oops})
    assert sent.status_code == 201
    retracted = await client.post(f"/threads/{world['money']}/messages/{sent.json()['id']}/retract",
                                  headers=as_persona("anna"))
    assert retracted.status_code == 200, retracted.text
    for who in ("karin", "tove", "maja"):
        exported = await client.get(f"/cases/{world['case']}/export", headers=as_persona(who))
        assert exported.status_code == 200
        assert oops not in exported.text and "1234-5678" not in exported.text
        money = next(t for t in exported.json()["threads"] if t["thread_id"] == world["money"])
        marker = next(m for m in money["messages"] if m["id"] == sent.json()["id"])
        assert marker["retracted"] is True and marker["retracted_at"] and marker["body"] is None
        assert marker["attachments"] == []
        assert any(m["body"] == MONEY for m in money["messages"])  # what was not retracted stays in the record
