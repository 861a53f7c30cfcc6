"""Bad input is the caller's mistake: a problem+json 4xx with a stable type, never a 500."""

from __future__ import annotations

import uuid

import pytest

from tests.applications.conftest import couple


@pytest.fixture(scope="module")
async def case_id(client, as_persona):
    return (await client.post("/applications", json=couple("2026-10"), headers=as_persona("anna"))).json()["id"]


JUNK = [None, [], "x", 12, {"kind": "nope"}, {"kind": "first", "period": "2026-1"},
        {"kind": "first", "period": "2026-01", "costs": [{"type": "rent", "amount": 1}]},
        {"kind": "first", "period": "2026-01", "housing": {"rent": 12.5}},
        {"kind": "first", "period": "2026-01", "housing": {"rent": -1}},
        {"kind": "first", "period": "2026-01", "extra": True}]


@pytest.mark.parametrize("body", JUNK)
async def test_junk_drafts(client, as_persona, case_id, body):
    calls = (("POST", "/applications", {}), ("PUT", f"/applications/{case_id}", {"If-Match": '"1"'}))
    for method, path, headers in calls:
        answer = await client.request(method, path, json=body, headers={**as_persona("anna"), **headers})
        assert 400 <= answer.status_code < 500, (path, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/applications/not-a-uuid", None),
    ("GET", "/applications/7d0f8a52-2b1e-4d8e-9c3a-5f7b9e1d2c4a", None),
    ("POST", "/applications/{id}/signatures", {"content_hash": "xyz"}),
    ("POST", "/applications/{id}/assign", {"role": "boss"}),
    ("POST", "/applications/{id}/request-info", {"due_date": "tomorrow"}),
    ("POST", "/applications/{id}/decision", {"adjustments": [{"code": "RENT!", "decided": -5, "reason": ""}]}),
    ("POST", "/applications/{id}/document-requests", {"type": "passport"}),
    ("POST", "/applications/{id}/document-requests/{rid}/fly", None),
    ("POST", "/applications/{id}/document-requests/not-a-uuid/receive", {"attachment_id": "nope"}),
    ("POST", "/applications/{id}/attachments", None),
    ("GET", "/applications/{id}/attachments/not-a-uuid", None),
    ("GET", "/applications/{id}/decision.pdf?lang=de", None),
    ("GET", "/queue?limit=0", None),
    ("GET", "/queue?month=2026-13", None),
    ("POST", "/trust-checks/draw", {"month": "march"}),
    ("PUT", "/me/profile", {"email": "not an email"}),
    ("POST", "/staff/applications", {"personal_number": "123", "source": "fax", "content": {}}),
    ("POST", "/applications/monthly", {"month": 202603}),
])
async def test_junk_everywhere(client, as_persona, case_id, method, path, body):
    persona = "anna" if path.startswith(("/me", "/applications/monthly")) else "karin"
    if path.startswith("/trust-checks"):
        persona = "tove"
    url = path.replace("{id}", case_id).replace("{rid}", str(uuid.uuid4()))
    answer = await client.request(method, url, json=body, headers=as_persona(persona))
    assert 400 <= answer.status_code < 500, (url, answer.status_code, answer.text)
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["type"].startswith("urn:bistand:problem:")


async def test_no_token_is_401(client, case_id):
    for path in ("/applications", f"/applications/{case_id}", "/queue", "/me/cases"):
        answer = await client.get(path) if path != "/applications" else await client.post(path, json={})
        assert answer.status_code == 401
