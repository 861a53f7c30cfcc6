"""A full exchange between a client household and a caseworker, on real PostgreSQL and real SMTP."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from sqlalchemy import text

from kit.db import make_engine
from tests.messaging.conftest import ANNA, PDF, PNG, Clock, event, make_app, make_known
from tests.support import app_client, fresh_database


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("messaging") as url:
        yield url


@pytest.fixture(scope="module")
def clock():
    return Clock()


@pytest.fixture(scope="module")
async def app(db_url, issuer, clock, smtp):
    _, port = smtp
    return make_app(db_url, issuer, clock, smtp_host="127.0.0.1", smtp_port=port)


@pytest.fixture(scope="module")
async def client(app, service_headers):
    async with app_client(app) as c:
        await make_known(c, service_headers, ANNA)  # a client of unit Nord, so staff may write to her
        yield c


def problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"urn:bistand:problem:{slug}", body
    return body


async def test_client_and_caseworker_exchange_with_attachment_and_read_receipt(
        app, client, as_persona, service_headers, smtp, clock):
    sink, _ = smtp
    case_id = uuid.uuid4()
    submitted = event("application.submitted", case_id)
    assert (await client.post("/events", json=submitted, headers=service_headers(submitted))).status_code == 202
    anna, bertil, karin = as_persona("anna"), as_persona("bertil"), as_persona("karin")
    contact = await client.put("/me/contact", headers=anna,
                               json={"email": "anna@example.se", "channels": ["email"]})
    assert contact.status_code == 200, contact.text

    # Anna writes about her case: it lands in the unit inbox (the case has no caseworker yet).
    created = await client.post("/threads", headers=anna, json={
        "case_id": str(case_id), "subject": "Fråga om hyran", "body": "Hej! Räknas elen in i hyran?"})
    assert created.status_code == 201, created.text
    thread = created.json()
    assert thread["unit"] == "nord" and thread["side"] == "client" and thread["assigned_to"] is None
    tid = thread["id"]
    inbox = (await client.get("/threads", params={"view": "unit"}, headers=karin)).json()
    mine_before = [t for t in inbox if t["id"] == tid]
    assert mine_before and mine_before[0]["unread"] == 1 and mine_before[0]["assigned_to"] is None
    unread = (await client.get("/me/unread", headers=karin)).json()
    assert unread["unit_inbox"]["nord"] >= 1

    # Karin takes it, reads it: Anna sees "read by the caseworker at".
    taken = await client.post(f"/threads/{tid}/take", headers=karin)
    assert taken.status_code == 200 and taken.json()["assigned_to"] == "persona:karin"
    assert tid in [t["id"] for t in (await client.get("/threads", params={"view": "mine"}, headers=karin)).json()]
    messages = (await client.get(f"/threads/{tid}/messages", headers=karin)).json()
    assert [m["body"] for m in messages] == ["Hej! Räknas elen in i hyran?"]
    assert messages[0]["read_at"] is None and messages[0]["side"] == "client"
    clock.advance(minutes=1)
    read = await client.post(f"/threads/{tid}/read", headers=karin, json={})
    assert read.json() == {"thread_id": tid, "last_read_seq": 1, "newly_read": 1}
    seen = (await client.get(f"/threads/{tid}/messages", headers=anna)).json()[0]
    assert seen["read_at"] is not None and seen["mine"] is True and seen["sender"] is None

    # Bertil, in the same household, sends a rental contract as a PDF and a photo of a bill.
    pdf = await client.post(f"/threads/{tid}/attachments", headers=bertil,
                            files={"file": ("hyreskontrakt.pdf", PDF, "application/pdf")})
    assert pdf.status_code == 201, pdf.text
    png = await client.post(f"/threads/{tid}/attachments", headers=bertil,
                            files={"file": ("../../etc/elräkning.exe", PNG, "application/octet-stream")})
    assert png.status_code == 201 and png.json()["media_type"] == "image/png"
    assert png.json()["filename"] == "elräkning.exe"  # a name, never a path; the type comes from the bytes
    assert pdf.json()["sha256"] == hashlib.sha256(PDF).hexdigest() and pdf.json()["sent"] is False
    sent = await client.post(f"/threads/{tid}/messages", headers=bertil, json={
        "body": "Här är kontraktet och elräkningen.", "attachment_ids": [pdf.json()["id"], png.json()["id"]]})
    assert sent.status_code == 201, sent.text
    assert [a["filename"] for a in sent.json()["attachments"]] == ["hyreskontrakt.pdf", "elräkning.exe"]
    download = await client.get(f"/threads/{tid}/attachments/{pdf.json()['id']}", headers=karin)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"

    # Karin answers: the household gets a notification by mail that says nothing about it.
    reply_text = "Ja, hushållsel ingår i normen. Skicka gärna också hyresavin för december."
    reply = await client.post(f"/threads/{tid}/messages", headers=karin, json={"body": reply_text})
    assert reply.status_code == 201 and reply.json()["sender_name"] == "Karin Karlsson"
    before = len(sink.to("anna@example.se"))
    assert await app.state.kit.runtime.relay.run_once() >= 1
    mails = sink.to("anna@example.se")[before:]
    assert len(mails) == 1
    mail = mails[0]
    content = mail.get_payload(decode=True).decode()
    assert "https://minasidor.kommun.example/meddelanden" in content
    for secret in ("hushållsel", "normen", "hyresavi", "Karin", "nord", "hyran", "socialtjänst", "bistånd"):
        assert secret.lower() not in (content + mail["Subject"]).lower()
    assert mail["Subject"] == "Nytt meddelande"

    anna_unread = (await client.get("/me/unread", headers=anna)).json()
    assert anna_unread["threads"] == {tid: 1} and anna_unread["total"] == 1
    anna_view = (await client.get(f"/threads/{tid}/messages", headers=anna)).json()
    assert [m["side"] for m in anna_view] == ["client", "client", "staff"]
    assert anna_view[1]["mine"] is False  # Bertil's, same household
    await client.post(f"/threads/{tid}/read", headers=anna)
    assert (await client.get("/me/unread", headers=anna)).json()["total"] == 0
    karin_view = (await client.get(f"/threads/{tid}/messages", headers=karin)).json()
    assert karin_view[2]["read_at"] is not None  # read by the client


async def test_staff_reads_are_audited(client, as_persona, db_url):
    anna, karin = as_persona("anna"), as_persona("karin")
    tid = (await client.post("/threads", headers=anna, json={"unit": "nord", "subject": "Audit"})).json()["id"]
    await client.get(f"/threads/{tid}/messages", headers=anna)  # the client's own read: not audited
    await client.get(f"/threads/{tid}/messages", headers=karin)
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT actor, action, resource_type, subject FROM audit_log WHERE details->>'thread_id' = :t"),
                {"t": tid})).all()
    finally:
        await engine.dispose()
    assert [(r.actor, r.action, r.resource_type) for r in rows] == [("persona:karin", "read", "messages")]
    assert rows[0].subject == ANNA


async def test_html_is_kept_as_text_never_rendered(client, as_persona):
    anna = as_persona("anna")
    tid = (await client.post("/threads", headers=anna, json={"unit": "nord", "subject": "<b>rubrik</b>"})).json()["id"]
    script = "<script>alert('x')</script> & <img src=x onerror=alert(1)>"
    sent = await client.post(f"/threads/{tid}/messages", headers=anna, json={"body": script})
    assert sent.status_code == 201
    assert sent.headers["content-type"] == "application/json"
    assert sent.json()["body"] == script and sent.json()["format"] == "text/plain"
    listed = (await client.get(f"/threads/{tid}", headers=anna)).json()
    assert listed["subject"] == "<b>rubrik</b>"


async def test_control_characters_are_dropped_and_whitespace_trimmed(client, as_persona):
    anna = as_persona("anna")
    tid = (await client.post("/threads", headers=anna, json={"unit": "nord", "subject": "x"})).json()["id"]
    sent = await client.post(f"/threads/{tid}/messages", headers=anna, json={"body": "  rad 1\r\nrad\x00 2\x07  "})
    assert sent.json()["body"] == "rad 1\nrad 2"


async def test_limits_and_bad_input_have_stable_problem_types(client, as_persona):
    anna = as_persona("anna")
    tid = (await client.post("/threads", headers=anna, json={"unit": "nord", "subject": "Gränser"})).json()["id"]
    url = f"/threads/{tid}/messages"
    problem(await client.post(url, headers=anna, json={"body": "   \n "}), 422, "message-empty")
    body = problem(await client.post(url, headers=anna, json={"body": "å" * 5001}), 422, "message-too-long")
    assert body["max_chars"] == 5000
    problem(await client.post(url, headers=anna, json={}), 422, "validation-error")
    problem(await client.post(url, headers=anna, json={"body": "x", "attachment_ids": [str(uuid.uuid4())] * 1
                                                       + [str(uuid.uuid4()) for _ in range(5)]}),
            422, "too-many-attachments")
    problem(await client.post(url, headers=anna, json={"body": "x", "attachment_ids": [str(uuid.uuid4())]}),
            422, "attachment-unknown")
    problem(await client.post("/threads", headers=anna, json={"unit": "nord", "subject": " "}), 422,
            "subject-invalid")
    problem(await client.post("/threads", headers=anna, json={"subject": "x"}), 422, "thread-needs-unit")
    upload = f"/threads/{tid}/attachments"
    exe = b"MZ\x90\x00 not a pdf"
    problem(await client.post(upload, headers=anna, files={"file": ("a.pdf", exe, "application/pdf")}),
            415, "attachment-unsupported-type")
    problem(await client.post(upload, headers=anna, files={"file": ("a.pdf", b"", "application/pdf")}), 422,
            "attachment-empty")
    for _ in range(5):
        assert (await client.post(upload, headers=anna, files={"file": ("a.pdf", PDF)})).status_code == 201
    problem(await client.post(upload, headers=anna, files={"file": ("a.pdf", PDF)}), 422, "too-many-attachments")


async def test_attachment_size_cap(db_url, issuer, as_persona):
    app = make_app(db_url, issuer, attachment_max_bytes=1000)
    async with app_client(app) as client:
        anna = as_persona("anna")
        tid = (await client.post("/threads", headers=anna, json={"unit": "nord", "subject": "Stor"})).json()["id"]
        big = PDF + b"0" * 1000
        problem(await client.post(f"/threads/{tid}/attachments", headers=anna, files={"file": ("a.pdf", big)}),
                413, "attachment-too-large")


async def test_an_attachment_is_sent_once_and_only_by_its_uploader(client, as_persona):
    anna, bertil, karin = as_persona("anna"), as_persona("bertil"), as_persona("karin")
    # A general thread: staff start it with the client's personal number (no case).
    started = await client.post("/threads", headers=karin, json={"personal_number": ANNA, "subject": "Filer"})
    tid = started.json()["id"]
    up = (await client.post(f"/threads/{tid}/attachments", headers=anna, files={"file": ("a.pdf", PDF)})).json()
    # Unsent: only the uploader sees it.
    assert (await client.get(f"/threads/{tid}/attachments/{up['id']}", headers=anna)).status_code == 200
    assert (await client.get(f"/threads/{tid}/attachments/{up['id']}", headers=karin)).status_code == 404
    problem(await client.post(f"/threads/{tid}/messages", headers=karin,
                              json={"body": "x", "attachment_ids": [up["id"]]}), 422, "attachment-unknown")
    ok = await client.post(f"/threads/{tid}/messages", headers=anna, json={"body": "x", "attachment_ids": [up["id"]]})
    assert ok.status_code == 201
    problem(await client.post(f"/threads/{tid}/messages", headers=anna,
                              json={"body": "again", "attachment_ids": [up["id"]]}), 422, "attachment-unknown")
    assert (await client.get(f"/threads/{tid}/attachments/{up['id']}", headers=karin)).status_code == 200
    assert (await client.get(f"/threads/{tid}", headers=bertil)).status_code == 404  # Anna's alone, not the case


async def test_retract_within_the_window_only_by_the_sender(client, as_persona, clock, db_url):
    anna, karin = as_persona("anna"), as_persona("karin")
    tid = (await client.post("/threads", headers=anna, json={"unit": "nord", "subject": "Ånger"})).json()["id"]
    first = (await client.post(f"/threads/{tid}/messages", headers=anna, json={"body": "Fel person!"})).json()
    assert first["retractable_until"] is not None
    problem(await client.post(f"/threads/{tid}/messages/{first['id']}/retract", headers=karin), 403,
            "retract-not-sender")
    clock.advance(minutes=4)
    done = await client.post(f"/threads/{tid}/messages/{first['id']}/retract", headers=anna)
    assert done.status_code == 200, done.text
    assert done.json()["retracted"] is True and done.json()["body"] is None
    problem(await client.post(f"/threads/{tid}/messages/{first['id']}/retract", headers=anna), 409,
            "retract-already-done")
    shown = (await client.get(f"/threads/{tid}/messages", headers=karin)).json()
    assert shown[0]["retracted"] is True and shown[0]["body"] is None
    second = (await client.post(f"/threads/{tid}/messages", headers=anna, json={"body": "Nu rätt."})).json()
    clock.advance(minutes=5, seconds=1)
    body = problem(await client.post(f"/threads/{tid}/messages/{second['id']}/retract", headers=anna), 409,
                   "retract-window-passed")
    assert body["window_minutes"] == 5
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            audited = (await conn.execute(text(
                "SELECT count(*) FROM audit_log WHERE action = 'retract' AND resource_id = :m"),
                {"m": first["id"]})).scalar_one()
            # The database itself refuses to change a sent message or undo a retraction.
            with pytest.raises(Exception, match="immutable"):
                await conn.execute(text("UPDATE messages SET sender_sub = 'x' WHERE id = :m"), {"m": second["id"]})
            await conn.rollback()
            with pytest.raises(Exception, match="immutable"):
                await conn.execute(text("UPDATE messages SET retracted_at = NULL WHERE id = :m"), {"m": first["id"]})
            await conn.rollback()
            with pytest.raises(Exception, match="immutable"):
                await conn.execute(text("DELETE FROM messages WHERE id = :m"), {"m": second["id"]})
    finally:
        await engine.dispose()
    assert audited == 1


async def test_rate_limit_per_sender(db_url, issuer, as_persona):
    app = make_app(db_url, issuer, Clock(), sender_rate_per_minute=3)
    async with app_client(app) as client:
        cecilia = as_persona("cecilia")
        tid = (await client.post("/threads", headers=cecilia, json={"unit": "syd", "subject": "Många"})).json()["id"]
        for n in range(3):
            assert (await client.post(f"/threads/{tid}/messages", headers=cecilia,
                                      json={"body": f"{n}"})).status_code == 201
        limited = await client.post(f"/threads/{tid}/messages", headers=cecilia, json={"body": "4"})
        problem(limited, 429, "message-rate-limited")
        assert limited.headers["retry-after"] == "60"


async def test_idempotency_key_returns_the_first_message(client, as_persona):
    anna = as_persona("anna")
    tid = (await client.post("/threads", headers=anna, json={"unit": "nord", "subject": "Igen"})).json()["id"]
    headers = {**anna, "Idempotency-Key": uuid.uuid4().hex}
    first = await client.post(f"/threads/{tid}/messages", headers=headers, json={"body": "En gång"})
    again = await client.post(f"/threads/{tid}/messages", headers=headers, json={"body": "En gång"})
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert len((await client.get(f"/threads/{tid}/messages", headers=anna)).json()) == 1
