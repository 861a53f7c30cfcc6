"""Drafts, ETag/If-Match, signing by each adult applicant, submit with Idempotency-Key, monthly prefill."""

from __future__ import annotations

from tests.applications.conftest import ANNA, CECILIA, couple, single, submitted_case


async def test_draft_save_resume_with_etag(client, as_persona):
    draft = {"kind": "first", "period": "2026-01"}
    created = await client.post("/applications", json=draft, headers=as_persona("cecilia"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "draft" and body["source"] == "digital"
    assert body["content"]["household"]["applicant"]["personal_number"] == CECILIA  # filled from the token
    assert "housing.type" in [m["code"] for m in body["missing"]]
    etag = created.headers["etag"]
    url = f"/applications/{body['id']}"

    missing = await client.put(url, json=single(CECILIA, "2026-01"), headers=as_persona("cecilia"))
    assert missing.status_code == 428
    assert missing.headers["content-type"].startswith("application/problem+json")
    saved = await client.put(url, json=single(CECILIA, "2026-01"), headers={**as_persona("cecilia"), "If-Match": etag})
    assert saved.status_code == 200, saved.text
    assert saved.headers["etag"] != etag
    stale = await client.put(url, json=single(CECILIA, "2026-01"), headers={**as_persona("cecilia"), "If-Match": etag})
    assert stale.status_code == 412
    assert stale.json()["type"] == "urn:bistand:problem:version-mismatch"

    resumed = await client.get(url, headers=as_persona("cecilia"))
    assert resumed.status_code == 200
    assert [m["code"] for m in resumed.json()["missing"]] == ["signature.applicant"]


async def test_other_client_gets_404(client, as_persona):
    created = await client.post("/applications", json={"kind": "first", "period": "2026-02"},
                                headers=as_persona("cecilia"))
    url = f"/applications/{created.json()['id']}"
    assert (await client.get(url, headers=as_persona("anna"))).status_code == 404
    put = await client.put(url, json=single(CECILIA, "2026-02"), headers={**as_persona("anna"), "If-Match": '"1"'})
    assert put.status_code == 404
    assert (await client.post(f"{url}/submit", headers=as_persona("anna"))).status_code == 404
    assert (await client.get(url, headers=as_persona("lars"))).status_code == 404  # unit syd


async def test_co_applicant_must_sign_before_submit(client, as_persona):
    created = await client.post("/applications", json=couple("2026-03"), headers=as_persona("anna"))
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    signed = await client.post(f"/applications/{case_id}/signatures", headers=as_persona("anna"))
    assert signed.status_code == 201
    assert [m["code"] for m in signed.json()["missing"]] == ["signature.partner"]

    blocked = await client.post(f"/applications/{case_id}/submit", headers=as_persona("anna"))
    assert blocked.status_code == 422
    problem = blocked.json()
    assert problem["type"] == "urn:bistand:problem:application-incomplete"
    assert [m["code"] for m in problem["missing"]] == ["signature.partner"]

    # Bertil sees the joint application and signs with his own token.
    assert (await client.get(f"/applications/{case_id}", headers=as_persona("bertil"))).status_code == 200
    assert (await client.post(f"/applications/{case_id}/signatures", headers=as_persona("bertil"))).status_code == 201
    cecilia = await client.post(f"/applications/{case_id}/signatures", headers=as_persona("cecilia"))
    assert cecilia.status_code == 404

    keyed = {**as_persona("anna"), "Idempotency-Key": "k1"}
    first = await client.post(f"/applications/{case_id}/submit", headers=keyed)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "submitted"
    retry = await client.post(f"/applications/{case_id}/submit", headers=keyed)
    assert retry.status_code == 200 and retry.json() == first.json()
    again = await client.post(f"/applications/{case_id}/submit", headers=as_persona("anna"))
    assert again.status_code == 409
    assert again.json()["type"] == "urn:bistand:problem:case-transition-not-allowed"


async def test_content_change_voids_signatures(client, as_persona):
    created = await client.post("/applications", json=couple("2026-04"), headers=as_persona("anna"))
    case_id, etag = created.json()["id"], created.headers["etag"]
    await client.post(f"/applications/{case_id}/signatures", headers=as_persona("anna"))
    await client.post(f"/applications/{case_id}/signatures", headers=as_persona("bertil"))
    changed = couple("2026-04", message="Ändrat")
    saved = await client.put(f"/applications/{case_id}", json=changed, headers={**as_persona("anna"), "If-Match": etag})
    assert saved.status_code == 200
    assert {m["code"] for m in saved.json()["missing"]} == {"signature.applicant", "signature.partner"}
    stale = await client.post(f"/applications/{case_id}/signatures", headers=as_persona("anna"),
                              json={"content_hash": "0" * 64})
    assert stale.status_code == 409


async def test_create_retry_and_one_per_month(client, as_persona):
    headers = {**as_persona("anna"), "Idempotency-Key": "create-2026-05"}
    first = await client.post("/applications", json=couple("2026-05"), headers=headers)
    retry = await client.post("/applications", json=couple("2026-05"), headers=headers)
    assert first.status_code == retry.status_code == 201
    assert first.json()["id"] == retry.json()["id"]
    dup = await client.post("/applications", json=couple("2026-05"), headers=as_persona("anna"))
    assert dup.status_code == 409
    assert dup.json()["application_id"] == first.json()["id"]
    # Bertil is named as partner: he applies as himself or joins Anna's, never as Anna (issue 11).
    as_anna = await client.post("/applications", json=couple("2026-05"), headers=as_persona("bertil"))
    assert as_anna.status_code == 422 and as_anna.json()["type"] == "urn:bistand:problem:applicant-not-you"


async def test_monthly_prefill_from_last_month(client, as_persona):
    await submitted_case(client, as_persona, couple("2026-07"))
    monthly = await client.post("/applications/monthly", json={"month": "2026-08"}, headers=as_persona("anna"))
    assert monthly.status_code == 201, monthly.text
    body = monthly.json()
    assert body["kind"] == "monthly" and body["period"] == "2026-08"
    assert body["content"]["housing"]["rent"] == 8200
    codes = [m["code"] for m in body["missing"]]
    assert "incomes.confirm" in codes and "assets.declared" in codes
    none = await client.post("/applications/monthly", json={"month": "2026-08"}, headers=as_persona("dana"))
    assert none.status_code == 409
    bad = await client.post("/applications/monthly", json={"month": "2026-13"}, headers=as_persona("anna"))
    assert bad.status_code == 422


async def test_bad_input_is_a_problem_not_a_500(client, as_persona):
    bad = await client.post("/applications", json={"kind": "first", "period": "2026-01",
                                                   "household": {"applicant": {"personal_number": "19890314-0000"}}},
                            headers=as_persona("cecilia"))
    assert bad.status_code == 422
    assert ANNA not in bad.text
    staff = await client.post("/applications", json={"kind": "first", "period": "2026-01"}, headers=as_persona("karin"))
    assert staff.status_code == 403
    other = await client.post("/applications", json=single(ANNA, "2026-09"), headers=as_persona("cecilia"))
    assert other.status_code == 422
    assert other.json()["type"] == "urn:bistand:problem:applicant-not-you"


async def test_answers_match_the_documented_shapes(client, as_persona):
    from services.applications.api import schemas

    created = await client.post("/applications", json=couple("2026-11"), headers=as_persona("anna"))
    schemas.CaseOut.model_validate(created.json())
    assert created.json()["created_at"] == "2026-03-02T10:00:00+01:00"  # the test clock's 09:00 UTC, Swedish time
    case_id = created.json()["id"]
    schemas.SignedOut.model_validate(
        (await client.post(f"/applications/{case_id}/signatures", headers=as_persona("anna"))).json())
    schemas.CaseOut.model_validate((await client.get(f"/applications/{case_id}", headers=as_persona("karin"))).json())
    schemas.HistoryOut.model_validate(
        (await client.get(f"/applications/{case_id}/history", headers=as_persona("anna"))).json())
    schemas.MyCases.model_validate((await client.get("/me/cases", headers=as_persona("anna"))).json())
    schemas.MyCaseOut.model_validate((await client.get(f"/me/cases/{case_id}", headers=as_persona("anna"))).json())
    schemas.ProfileOut.model_validate((await client.get("/me/profile", headers=as_persona("anna"))).json())
    schemas.QueuePage.model_validate((await client.get("/queue?view=all", headers=as_persona("karin"))).json())
