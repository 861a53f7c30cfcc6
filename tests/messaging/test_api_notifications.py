"""Notifications: from outbox events and messages to SMS (the simulator, over HTTP) and e-mail (aiosmtpd),
saying only that there is something to read and where; once each; never for protected identity."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

import httpx
import pytest
from sqlalchemy import text

from kit.db import make_engine
from kit.outbox import opened
from kit.tables import OutboxMessage
from tests.messaging.conftest import ANNA, BERTIL, CECILIA, DANA, Clock, event, make_app, make_known
from tests.support import app_client, free_port, fresh_database, outbox_rows

PHONE = "+46701234567"
EMAIL = "anna@example.se"
NOBODY = "198001019804"  # a valid test number of someone who never gave contact details
STRANGER = "198001029803"  # a valid test number nobody here has heard of

# Tests may run in any order and on any xdist worker: each makes what it needs, and counts by difference.


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("messaging") as url:
        yield url


@pytest.fixture(scope="module")
def clock():
    return Clock()


@pytest.fixture(scope="module")
def wiring(smtp, sms_url):
    _, port = smtp
    return {"smtp_host": "127.0.0.1", "smtp_port": port, "sms_url": sms_url}


@pytest.fixture(scope="module")
async def app(db_url, issuer, clock, wiring):
    return make_app(db_url, issuer, clock, **wiring)


@pytest.fixture(scope="module")
async def client(app, as_persona, service_headers):
    async with app_client(app) as c:
        await make_known(c, service_headers, ANNA)  # a client of unit Nord, so staff may write to her
        response = await c.put("/me/contact", headers=as_persona("anna"),
                               json={"phone": "070-123 45 67", "email": EMAIL, "channels": ["sms", "email"]})
        assert response.status_code == 200, response.text
        yield c


def relay(app):
    return app.state.kit.runtime.relay


async def drain(app) -> None:
    while await relay(app).run_once():
        pass


def sms_to(sms_url: str, phone: str = PHONE) -> list[dict]:
    return httpx.get(f"{sms_url}/messages", params={"to": phone}).json()


async def sql(db_url: str, query: str, **params):
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(query), params)).all()
    finally:
        await engine.dispose()


async def post_event(client, service_headers, body):
    response = await client.post("/events", json=body, headers=service_headers(body))
    assert response.status_code == 202, response.text
    return response.json()


async def test_a_decision_notifies_by_sms_and_mail_without_content(app, client, service_headers, smtp, sms_url):
    sink, _ = smtp
    await drain(app)
    mails, texts = len(sink.to(EMAIL)), len(sms_to(sms_url))
    decided = event("application.decided", uuid.uuid4(), recipients=(ANNA, NOBODY))
    answer = await post_event(client, service_headers, decided)
    assert answer == {"id": decided["id"], "status": "accepted", "notifications": 2}  # one person has no contact
    assert await relay(app).run_once() == 2
    mail = sink.to(EMAIL)[mails:]
    sms = sms_to(sms_url)[texts:]
    assert len(mail) == 1 and len(sms) == 1
    assert mail[0]["Subject"] == "Nytt beslut" and mail[0]["Auto-Submitted"] == "auto-generated"
    assert "Du har ett nytt beslut att läsa." in mail[0].get_payload(decode=True).decode()
    assert sms[0]["text"] == "Du har ett nytt beslut att läsa. Logga in för att läsa: https://minasidor.kommun.example/arenden"
    assert sms[0]["idempotency_key"]  # the notification id: the gateway drops a repeat
    assert await relay(app).run_once() == 0


async def test_the_same_event_twice_notifies_once(app, client, service_headers, smtp):
    sink, _ = smtp
    await drain(app)
    before = len(sink.to(EMAIL))
    body = event("application.info_requested", uuid.uuid4())
    first = await post_event(client, service_headers, body)
    second = await post_event(client, service_headers, body)
    assert first == second and first["notifications"] == 2
    await relay(app).run_once()
    await relay(app).run_once()
    assert len(sink.to(EMAIL)) == before + 1
    mail = sink.to(EMAIL)[-1]
    assert mail["Subject"] == "Något att komplettera"


async def test_outbox_holds_ids_only_and_those_sealed(app, client, db_url, service_headers):
    await post_event(client, service_headers, event("application.decided", uuid.uuid4(), recipients=(ANNA,)))
    rows = await sql(db_url, "SELECT id, topic, payload FROM outbox")
    sealer = app.state.kit.sealer
    payloads = [opened(sealer, OutboxMessage(id=r.id, topic=r.topic, payload=r.payload)).payload for r in rows]
    assert payloads and all(set(p) == {"notification_id"} for p in payloads)
    dump = " ".join(str(r.payload) for r in rows)
    assert PHONE not in dump and EMAIL not in dump and ANNA not in dump
    assert not any(p["notification_id"] in dump for p in payloads)  # sealed: not even the id shows


async def test_unknown_topics_are_accepted_and_ignored(client, service_headers, db_url):
    body = event("application.archived", uuid.uuid4())
    answer = await post_event(client, service_headers, body)
    assert answer["status"] == "ignored" and answer["notifications"] == 0


async def test_a_malformed_event_for_a_known_topic_is_422(client, service_headers):
    body = event("application.decided", uuid.uuid4(), recipients=("not-a-number",))
    response = await client.post("/events", json=body, headers=service_headers(body))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].startswith("payload.recipients")
    assert "not-a-number" not in response.text


async def test_a_message_from_staff_notifies_once_per_quiet_period(app, client, as_persona, smtp, clock):
    sink, _ = smtp
    await drain(app)
    karin = as_persona("karin")
    tid = (await client.post("/threads", headers=karin, json={"personal_number": ANNA, "subject": "Hemligt ämne"})
           ).json()["id"]
    before = len(sink.to(EMAIL))
    for n in range(3):
        await client.post(f"/threads/{tid}/messages", headers=karin, json={"body": f"Hemligt innehåll {n}"})
    await relay(app).run_once()
    mails = sink.to(EMAIL)[before:]
    assert len(mails) == 1
    body = mails[0].get_payload(decode=True).decode()
    assert "Hemligt" not in body and "Hemligt" not in mails[0]["Subject"]
    assert "https://minasidor.kommun.example/meddelanden" in body
    clock.advance(minutes=16)
    await client.post(f"/threads/{tid}/messages", headers=karin, json={"body": "Senare"})
    await relay(app).run_once()
    assert len(sink.to(EMAIL)) == before + 2
    # Messages the client writes notify nobody.
    await client.post(f"/threads/{tid}/messages", headers=as_persona("anna"), json={"body": "Tack"})
    assert await relay(app).run_once() == 0


async def test_a_retracted_message_is_not_notified(app, client, as_persona, smtp, clock, db_url):
    sink, _ = smtp
    await drain(app)
    karin = as_persona("karin")
    tid = (await client.post("/threads", headers=karin, json={"personal_number": ANNA, "subject": "Oj"})).json()["id"]
    clock.advance(minutes=30)
    sent = (await client.post(f"/threads/{tid}/messages", headers=karin, json={"body": "Fel mottagare"})).json()
    assert (await client.post(f"/threads/{tid}/messages/{sent['id']}/retract", headers=karin)).status_code == 200
    before = len(sink.to(EMAIL))
    await relay(app).run_once()
    assert len(sink.to(EMAIL)) == before
    statuses = {r.status for r in await sql(db_url, "SELECT status FROM notifications WHERE message_id = :m",
                                            m=uuid.UUID(sent["id"]))}
    assert statuses == {"cancelled"}


async def test_sms_gateway_failures_are_retried_and_sent_once(app, client, service_headers, sms_url, db_url):
    await drain(app)
    async with httpx.AsyncClient() as http:
        await http.post(f"{sms_url}/dev/fail-next", params={"count": 2})
    before = len(sms_to(sms_url))
    body = event("application.decided", uuid.uuid4(), recipients=(ANNA,))
    await post_event(client, service_headers, body)
    await relay(app).run_once()  # mail goes, SMS fails
    await relay(app).run_once()  # SMS fails again (backoff 0 s in tests)
    await relay(app).run_once()
    assert len(sms_to(sms_url)) == before + 1
    (sms,) = await sql(db_url, "SELECT id FROM notifications WHERE source = :s AND channel = 'sms'",
                       s=f"event:{body['id']}")
    rows = [m for m in await outbox_rows(db_url, "messaging") if m.payload["notification_id"] == str(sms.id)]
    assert [r.attempts for r in rows] == [3]


async def test_nothing_for_protected_identity(issuer, as_persona, service_headers, smtp, sms_url, wiring):
    sink, _ = smtp
    async with fresh_database("messaging") as url:
        app = make_app(url, issuer, **wiring)
        async with app_client(app) as client:
            anna = as_persona("anna")
            await client.put("/me/contact", headers=anna, json={"email": "skyddad@example.se", "channels": ["email"]})
            await make_known(client, service_headers, ANNA)
            # A message is on its way when Anna's case turns out to be protected: it is not sent.
            tid = (await client.post("/threads", headers=as_persona("karin"),
                                     json={"personal_number": ANNA, "subject": "x", "body": "y"})).json()["id"]
            protected = event("application.submitted", uuid.uuid4(), recipients=(ANNA,), protected=True)
            await post_event(client, service_headers, protected)
            decided = event("application.decided", uuid.uuid4(), recipients=(ANNA,), protected=True)
            assert (await post_event(client, service_headers, decided))["notifications"] == 0
            assert await relay(app).run_once() == 1  # the message's outbox entry, closed without sending
            assert sink.to("skyddad@example.se") == []
            statuses = await sql(url, "SELECT status, detail FROM notifications")
            assert [(r.status, r.detail) for r in statuses] == [("cancelled", "protected identity")]
            # The contact details were dropped, and new ones are refused.
            assert (await client.get("/me/contact", headers=anna)).status_code == 404
            refused = await client.put("/me/contact", headers=anna, json={"email": "a@example.se",
                                                                          "channels": ["email"]})
            assert refused.status_code == 409
            assert refused.json()["type"] == "urn:bistand:problem:contact-protected-identity"
            # The thread is protected now: Karin (no clearance) no longer sees it; Maja's messages notify nobody.
            assert (await client.get(f"/threads/{tid}", headers=as_persona("karin"))).status_code == 404
            await client.post(f"/threads/{tid}/messages", headers=as_persona("maja"), json={"body": "Hej"})
            assert len(await sql(url, "SELECT 1 FROM notifications")) == 1
            # Dana, whose token says protected identity, cannot store contact details either.
            dana = await client.put("/me/contact", headers=as_persona("dana"),
                                    json={"phone": "0701234567", "channels": ["sms"]})
            assert dana.status_code == 409
            assert await sql(url, "SELECT 1 FROM contacts WHERE personal_number = :p", p=DANA) == []


async def test_a_restart_between_event_and_delivery_delivers_exactly_once(issuer, service_headers, as_persona, smtp,
                                                                          wiring):
    sink, _ = smtp
    address = "omstart@example.se"
    async with fresh_database("messaging") as url:
        body = event("application.decided", uuid.uuid4(), recipients=(ANNA,))
        first = make_app(url, issuer, **wiring)
        async with app_client(first) as client:
            await client.put("/me/contact", headers=as_persona("anna"), json={"email": address, "channels": ["email"]})
            await post_event(client, service_headers, body)
        # The first instance is gone before it delivered; a new one on the same database picks it up.
        second = make_app(url, issuer, **wiring)
        async with app_client(second) as client:
            assert await relay(second).run_once() == 1
            assert await relay(second).run_once() == 0
            again = await client.post("/events", json=body, headers=service_headers(body))
            assert again.status_code == 202 and again.json()["notifications"] == 1  # the first answer, again
            assert await relay(second).run_once() == 0
        assert len(sink.to(address)) == 1


async def test_a_crash_after_sending_does_not_send_again(issuer, service_headers, as_persona, smtp, wiring):
    """The relay died after the mail went out but before it marked the outbox entry: the retry finds the
    notification already sent."""
    sink, _ = smtp
    address = "krasch@example.se"
    async with fresh_database("messaging") as url:
        app = make_app(url, issuer, **wiring)
        async with app_client(app) as client:
            await client.put("/me/contact", headers=as_persona("anna"), json={"email": address, "channels": ["email"]})
            await post_event(client, service_headers, event("application.decided", uuid.uuid4(), recipients=(ANNA,)))
            (row,) = await sql(url, "SELECT id, topic, payload, attempts FROM outbox")
            stored = OutboxMessage(id=row.id, topic=row.topic, payload=row.payload, attempts=0)
            await app.state.kit.runtime.notifier.deliver(opened(app.state.kit.sealer, stored))
            assert len(sink.to(address)) == 1
            assert await relay(app).run_once() == 1  # the entry is closed...
            assert len(sink.to(address)) == 1  # ...without a second mail


async def test_mail_server_down_is_retried_later_then_given_up(issuer, service_headers, as_persona):
    async with fresh_database("messaging") as url:
        app = make_app(url, issuer, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_timeout_seconds=2,
                       notify_max_attempts=2)
        async with app_client(app) as client:
            await client.put("/me/contact", headers=as_persona("anna"), json={"email": "x@example.se",
                                                                              "channels": ["email"]})
            await post_event(client, service_headers, event("application.decided", uuid.uuid4(), recipients=(ANNA,)))
            for _ in range(2):
                assert await relay(app).run_once() == 0
                assert [r.status for r in await sql(url, "SELECT status FROM notifications")] == ["pending"]
            (outbox,) = await sql(url, "SELECT attempts, last_error FROM outbox")
            assert outbox.attempts == 2 and "TransientFailure" in outbox.last_error
            assert await relay(app).run_once() == 1
            assert [(r.status, r.detail) for r in await sql(url, "SELECT status, detail FROM notifications")] == [
                ("failed", "gave up after 2 attempts")]


async def test_contact_details(client, as_persona, service_headers):
    anna = as_persona("anna")
    await post_event(client, service_headers, event("application.submitted", uuid.uuid4(), recipients=(BERTIL,)))
    mine = (await client.get("/me/contact", headers=anna)).json()
    assert mine == {"phone": PHONE, "email": EMAIL, "channels": ["email", "sms"], "language": "sv", "direction": "ltr"}
    for body, slug in [({"phone": "12", "channels": ["sms"]}, "contact-invalid-phone"),
                       ({"email": "inte en adress", "channels": ["email"]}, "contact-invalid-email"),
                       ({"channels": ["sms"]}, "contact-channel-without-address")]:
        response = await client.put("/me/contact", headers=as_persona("bertil"), json=body)
        assert response.status_code == 422 and response.json()["type"] == f"urn:bistand:problem:{slug}"
        assert "inte en adress" not in response.text
    assert (await client.get("/me/contact", headers=as_persona("karin"))).status_code == 403
    # Staff set it for a client of their unit who is not digital (Bertil: a case in Nord); they see it masked.
    stranger = await client.put("/contacts", headers=as_persona("karin"), json={
        "personal_number": STRANGER, "phone": "0739876543", "channels": ["sms"]})
    assert stranger.status_code == 404  # not a client of Nord
    by_staff = await client.put("/contacts", headers=as_persona("karin"), json={
        "personal_number": BERTIL, "phone": "0739876543", "channels": ["sms"], "language": "en"})
    assert by_staff.json() == {"phone": "+467******43", "email": None, "channels": ["sms"], "language": "en",
                               "direction": "ltr"}
    assert (await client.put("/contacts", headers=as_persona("lars"), json={
        "personal_number": BERTIL, "channels": []})).status_code == 404
    assert (await client.get("/me/contact", headers=as_persona("bertil"))).json()["phone"] == "+46739876543"


async def test_english_texts(app, client, service_headers, as_persona, sms_url):
    await post_event(client, service_headers, event("application.submitted", uuid.uuid4(), recipients=(BERTIL,)))
    await client.put("/contacts", headers=as_persona("karin"), json={
        "personal_number": BERTIL, "phone": "0739876543", "channels": ["sms"], "language": "en"})
    await post_event(client, service_headers, event("application.decided", uuid.uuid4(), recipients=(BERTIL,)))
    await drain(app)
    assert sms_to(sms_url, "+46739876543")[-1]["text"] == (
        "You have a new decision to read. Log in to read it: https://minasidor.kommun.example/arenden")


async def test_arabic_contact_and_texts(app, client, service_headers, as_persona, smtp, sms_url):
    """Arabic (right to left): accepted as the contact's language; the SMS and e-mail are Arabic, say where to log
    in and nothing else. An unknown language is refused."""
    sink, _ = smtp
    cecilia = as_persona("cecilia")
    phone, email = "+46705554433", "arabiska@example.se"
    chosen = await client.put("/me/contact", headers=cecilia,
                              json={"phone": phone, "email": email, "channels": ["sms", "email"], "language": "ar"})
    assert chosen.status_code == 200, chosen.text
    assert chosen.json() == {"phone": phone, "email": email, "channels": ["email", "sms"], "language": "ar",
                             "direction": "rtl"}
    assert (await client.get("/me/contact", headers=cecilia)).json()["direction"] == "rtl"
    refused = await client.put("/me/contact", headers=cecilia, json={"channels": [], "language": "xx"})
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/me/contact", headers=cecilia)).json()["language"] == "ar"  # nothing changed
    await drain(app)
    mails, texts = len(sink.to(email)), len(sms_to(sms_url, phone))
    await post_event(client, service_headers, event("application.decided", uuid.uuid4(), unit="syd",
                                                    recipients=(CECILIA,)))
    await drain(app)
    (sms,) = sms_to(sms_url, phone)[texts:]
    (mail,) = sink.to(email)[mails:]
    assert sms["text"] == "لديك قرار جديد للقراءة. سجّل الدخول للقراءة: https://minasidor.kommun.example/arenden"
    assert mail["Subject"] == "قرار جديد" and mail["Content-Language"] == "ar"
    content = mail.get_payload(decode=True).decode()
    assert "سجّل الدخول للقراءة: https://minasidor.kommun.example/arenden" in content
    assert "لا ترد عليها" in content and "beslut" not in content and "bistånd" not in content.lower()
    meeting = meeting_event("meeting.reminder", recipients=(CECILIA,), unit="syd", location="Storgatan 1")
    await post_event(client, service_headers, meeting)
    await drain(app)
    assert sms_to(sms_url, phone)[-1]["text"] == (
        "تذكير: لديك موعد محجوز يوم الثلاثاء 1 ديسمبر الساعة 10:00. "
        "سجّل الدخول لمعرفة المزيد: https://minasidor.kommun.example/moten")


async def test_contact_details_never_reach_the_logs(app, client, as_persona, service_headers, caplog):
    caplog.set_level(logging.DEBUG)
    cecilia = as_persona("cecilia")
    await client.put("/me/contact", headers=cecilia,
                     json={"phone": "0709998877", "email": "logg@example.se", "channels": ["sms", "email"]})
    await post_event(client, service_headers, event("application.decided", uuid.uuid4(), unit="syd",
                                                    recipients=(CECILIA,)))
    await drain(app)
    await client.put("/me/contact", headers=cecilia, json={"phone": "12", "channels": ["sms"]})
    ours = [r for r in caplog.records if not r.name.startswith("mail.")]  # not the test's SMTP server
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in ours)
    assert "notification sent" in logged
    for secret in ("0709998877", "+46709998877", "logg@example.se", CECILIA):
        assert secret not in logged


def meeting_event(topic: str, *, recipients=(ANNA,), protected: bool = False, **extra) -> dict:
    return {"id": str(uuid.uuid4()), "topic": topic, "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
            "payload": {"booking_id": str(uuid.uuid4()), "unit": "nord", "recipients": list(recipients),
                        "protected_identity": protected, "starts_at": "2026-12-01T09:00:00+00:00",
                        "channel": "in_person", **extra}}


async def test_a_meeting_reminder_says_when_never_where(app, client, service_headers, smtp, sms_url):
    sink, _ = smtp
    await drain(app)
    mails, texts = len(sink.to(EMAIL)), len(sms_to(sms_url))
    body = meeting_event("meeting.reminder", location="Storgatan 1, plan 3", unit_name="Ekonomiskt bistånd Nord")
    answer = await post_event(client, service_headers, body)
    assert answer["notifications"] == 2
    await drain(app)
    sms = sms_to(sms_url)[texts:]
    mail = sink.to(EMAIL)[mails:]
    assert [s["text"] for s in sms] == ["Påminnelse: du har en bokad tid tisdag 1 december kl. 10.00. "
                                        "Logga in för att se mer: https://minasidor.kommun.example/moten"]
    assert len(mail) == 1 and mail[0]["Subject"] == "Påminnelse"
    content = mail[0].get_payload(decode=True).decode()
    assert "kl. 10.00" in content and "Storgatan" not in content and "bistånd" not in content.lower()
    # The same event again (a redelivery) sends nothing more.
    assert (await post_event(client, service_headers, body))["notifications"] == 2
    await drain(app)
    assert len(sms_to(sms_url)) == texts + 1


async def test_no_meeting_notification_for_protected_identity(client, service_headers, db_url):
    body = meeting_event("meeting.booked", recipients=(CECILIA,), protected=True)
    assert (await post_event(client, service_headers, body))["notifications"] == 0
    assert await sql(db_url, "SELECT 1 FROM protected_persons WHERE personal_number = :p", p=CECILIA)
    assert await sql(db_url, "SELECT 1 FROM notifications WHERE source = :s", s=f"event:{body['id']}") == []


async def test_a_meeting_event_without_a_time_is_422(client, service_headers):
    body = meeting_event("meeting.changed")
    del body["payload"]["starts_at"]
    response = await client.post("/events", json=body, headers=service_headers(body, client_id="meetings"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "payload.starts_at"


async def test_a_notification_row_names_nobody(app, client, service_headers, db_url):
    """It keeps a reference to the contact it goes to, not the personnummer (migration 0004)."""
    body = event("application.decided", uuid.uuid4(), recipients=(ANNA,))
    assert (await post_event(client, service_headers, body))["notifications"] == 2
    rows = await sql(db_url, "SELECT row_to_json(n)::text AS t FROM notifications n WHERE source = :s",
                     s=f"event:{body['id']}")
    assert len(rows) == 2 and not any(ANNA in r.t or ANNA[2:] in r.t for r in rows)
    await drain(app)  # and they are still delivered, to the right person
    statuses = await sql(db_url, "SELECT status FROM notifications WHERE source = :s", s=f"event:{body['id']}")
    assert {r.status for r in statuses} == {"sent"}
