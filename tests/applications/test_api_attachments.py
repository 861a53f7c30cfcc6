"""Attachments: sniffed by content, at most 10 MB and 30 per application, SHA-256 kept, retries idempotent."""

from __future__ import annotations

from tests.applications.conftest import EXE, PDF, PNG, couple, sha256


async def _draft(client, as_persona, period: str) -> str:
    created = await client.post("/applications", json=couple(period), headers=as_persona("anna"))
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def test_upload_and_download(client, as_persona):
    case_id = await _draft(client, as_persona, "2026-03")
    up = await client.post(f"/applications/{case_id}/attachments", headers=as_persona("anna"),
                           files={"file": ("../../kontoutdrag februari.png", PNG, "application/pdf")},
                           data={"category": "bank_statements"})
    assert up.status_code == 201, up.text
    meta = up.json()
    assert meta["media_type"] == "image/png" and meta["sha256"] == sha256(PNG) and meta["size"] == len(PNG)
    assert meta["filename"] == "kontoutdrag februari.png"
    # Bertil, named as partner, sees the files once he has accepted (an invitee reads only what he would sign).
    invited = await client.get(f"/applications/{case_id}/attachments", headers=as_persona("bertil"))
    assert invited.status_code == 404
    assert (await client.post(f"/applications/{case_id}/accept", headers=as_persona("bertil"))).status_code == 200
    listed = (await client.get(f"/applications/{case_id}/attachments", headers=as_persona("bertil"))).json()
    assert [a["id"] for a in listed["items"]] == [meta["id"]]
    down = await client.get(f"/applications/{case_id}/attachments/{meta['id']}", headers=as_persona("anna"))
    assert down.status_code == 200 and down.content == PNG
    assert down.headers["content-type"] == "image/png" and down.headers["x-content-type-options"] == "nosniff"
    for persona in ("cecilia", "lars", "nils"):
        other = await client.get(f"/applications/{case_id}/attachments/{meta['id']}", headers=as_persona(persona))
        assert other.status_code == 404, persona
        assert (await client.post(f"/applications/{case_id}/attachments", headers=as_persona(persona),
                                  files={"file": ("a.pdf", PDF)})).status_code == 404


async def test_renamed_exe_and_oversize_are_refused(client, as_persona):
    case_id = await _draft(client, as_persona, "2026-04")
    url = f"/applications/{case_id}/attachments"
    exe = await client.post(url, headers=as_persona("anna"), files={"file": ("faktura.pdf", EXE, "application/pdf")})
    assert exe.status_code == 415
    assert exe.json()["type"] == "urn:bistand:problem:attachment-unsupported-type"
    big = PDF + b"0" * (11 * 1024 * 1024)
    too_big = await client.post(url, headers=as_persona("anna"), files={"file": ("big.pdf", big)})
    assert too_big.status_code == 413
    assert too_big.json()["type"] == "urn:bistand:problem:attachment-too-large"
    empty = await client.post(url, headers=as_persona("anna"), files={"file": ("empty.pdf", b"")})
    assert empty.status_code == 422
    # Nothing half-written: the refused files left no rows.
    assert (await client.get(url, headers=as_persona("anna"))).json()["items"] == []


async def test_limit_of_30_and_idempotent_retry(client, as_persona):
    case_id = await _draft(client, as_persona, "2026-05")
    url = f"/applications/{case_id}/attachments"
    keyed = {**as_persona("anna"), "Idempotency-Key": "upload-1"}
    first = await client.post(url, headers=keyed, files={"file": ("a.pdf", PDF)})
    retry = await client.post(url, headers=keyed, files={"file": ("a.pdf", PDF)})
    assert first.status_code == retry.status_code == 201 and first.json()["id"] == retry.json()["id"]
    for i in range(29):
        assert (await client.post(url, headers=as_persona("anna"),
                                  files={"file": (f"{i}.pdf", PDF + str(i).encode())})).status_code == 201
    over = await client.post(url, headers=as_persona("anna"), files={"file": ("31.pdf", PDF)})
    assert over.status_code == 409 and over.json()["type"] == "urn:bistand:problem:attachment-too-many"
    assert len((await client.get(url, headers=as_persona("anna"))).json()["items"]) == 30
