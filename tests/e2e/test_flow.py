"""A client's month, across the real system: every service its own process, real HTTP between them.

Anna and Bertil apply and sign on their phones; Karin takes the case, gets the calculation from the calculation
service, decides; the applications outbox tells messaging, which sends Anna an SMS (the simulator) and an e-mail
(aiosmtpd) that say only that there is a decision. Then a meeting booked in the meetings service reaches her
the same way, with the time and never the place.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiosmtpd.controller import Controller

from devstack.stack import url
from tests.e2e.conftest import running_stack, this_month
from tests.messaging.conftest import MailSink
from tests.support import free_port

pytestmark = pytest.mark.xdist_group("e2e")

PHONE = "+46701234599"
EMAIL = "anna.e2e@example.se"


@pytest.fixture(scope="module")
def mail():
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def stack(mail):
    env = {"MESSAGING_SMTP_HOST": "127.0.0.1", "MESSAGING_SMTP_PORT": str(mail[1]),
           # the relays are woken on commit; a short poll only matters for a delivery that failed and waits
           "APPLICATIONS_RELAY_POLL_SECONDS": "0.2", "MESSAGING_NOTIFY_POLL_SECONDS": "0.2",
           "MEETINGS_WORKER_POLL_SECONDS": "0.2", "BISTAND_LOG_LEVEL": "WARNING"}
    with running_stack("flow", env) as running:
        yield running


@pytest.fixture(scope="module")
def api(stack):
    idp = url(stack.ports.idp)
    tokens: dict[str, dict[str, str]] = {}

    def headers(persona: str) -> dict[str, str]:
        if persona not in tokens:
            token = httpx.get(f"{idp}/dev/token", params={"persona": persona}).text
            tokens[persona] = {"Authorization": f"Bearer {token}"}
        return tokens[persona]

    with httpx.Client(base_url=f"{url(stack.ports.gateway)}/api", timeout=15) as client:
        yield client, headers


def eventually(check, timeout: float = 20.0):
    """Poll another process until it has done its part (a delivery through two outboxes), or fail."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)  # waiting for other processes' work, not for time to pass


def sms_to(stack, phone: str) -> list[dict]:
    return httpx.get(f"{url(stack.ports.sms)}/messages", params={"to": phone}).json()


def test_apply_calculate_decide_and_the_client_is_told(stack, api, mail):
    client, h = api
    sink, _ = mail
    contact = client.put("/messaging/me/contact", headers=h("anna"),
                         json={"phone": PHONE, "email": EMAIL, "channels": ["sms", "email"]})
    assert contact.status_code == 200, contact.text

    content = {
        "kind": "first", "period": this_month(),
        "household": {"applicant": {"personal_number": "198903149808", "name": "Anna Andersson"},
                      "partner": {"personal_number": "199107229800", "name": "Bertil Andersson",
                                  "relation": "married"},
                      "children": [{"ref": "child-1", "birth_date": "2022-02-01", "lunch_at_home": False}]},
        "housing": {"type": "rental", "rent": 8200, "household_size": 3},
        "incomes": {"items": [{"type": "barnbidrag", "member": "applicant", "amount": 1250}]},
        "costs": [{"type": "household_electricity", "amount": 450}],
        "assets": {"none_declared": True},
        "plan": {"activities": [{"member": "applicant", "status": "registered_at_af"},
                                {"member": "partner", "status": "in_activity"}]},
    }
    created = client.post("/applications/applications", headers=h("anna"), json=content)
    assert created.status_code == 201, created.text
    case = f"/applications/applications/{created.json()['id']}"
    for who in ("anna", "bertil"):
        assert client.post(f"{case}/signatures", headers=h(who)).status_code == 201
    submitted = client.post(f"{case}/submit", headers={**h("anna"), "Idempotency-Key": str(uuid.uuid4())})
    assert submitted.status_code == 200, submitted.text

    assert client.post(f"{case}/assign", headers=h("karin")).status_code == 200
    calculated = client.post(f"{case}/calculation", headers=h("karin"))
    assert calculated.status_code == 200, calculated.text
    calculation = calculated.json()["calculation"]
    # The real calculation service answered: its explained lines cite the law and the norm of the month's year.
    assert calculation["norm_year"] == int(content["period"][:4]) and calculation["input_hash"]
    assert calculation["entitlement"] > 0
    assert client.get(f"{case}", headers=h("lars")).status_code == 404  # another unit

    decided = client.post(f"{case}/decision", headers=h("karin"),
                          json={"reasons_sv": "Ansökan beviljas enligt beräkningen.",
                                "reasons_en": "Granted as calculated.", "reason_for_need": "unemployed_no_benefit"})
    assert decided.status_code == 201, decided.text
    assert decided.json()["granted"] == calculation["entitlement"]

    texts = eventually(lambda: sms_to(stack, PHONE))
    assert [t["text"] for t in texts] == [
        "Du har ett nytt beslut att läsa. Logga in för att läsa: https://minasidor.kommun.example/arenden"]
    mails = eventually(lambda: sink.to(EMAIL))
    assert len(mails) == 1 and mails[0]["Subject"] == "Nytt beslut"
    body = mails[0].get_payload(decode=True).decode()
    assert str(calculation["entitlement"]) not in body and "Karin" not in body

    # The client reads the decision; Cecilia, of another household, cannot.
    assert client.get(f"{case}/decision", headers=h("anna")).json()["granted"] == calculation["entitlement"]
    assert client.get(f"{case}/decision", headers=h("cecilia")).status_code == 404


def test_a_booked_meeting_reaches_the_client_with_the_time_only(stack, api):
    from devstack.demo import meetings as demo

    client, h = api
    phone = "+46701234598"
    contact = client.put("/messaging/me/contact", headers=h("anna"), json={"phone": phone, "channels": ["sms"]})
    assert contact.status_code == 200, contact.text
    asyncio.run(demo.seed(url(stack.ports.gateway), url(stack.ports.idp)))  # Karin's hours, Anna's booking
    booking = next(b for b in client.get("/meetings/me/bookings", headers=h("anna")).json()
                   if b["status"] == "booked")
    texts = eventually(lambda: [t for t in sms_to(stack, phone) if "bokad tid" in t["text"]])
    assert len(texts) == 1
    assert "Logga in för att se mer" in texts[0]["text"]
    starts = dt.datetime.fromisoformat(booking["start"]).astimezone(ZoneInfo("Europe/Stockholm"))
    assert f"kl. {starts:%H.%M}" in texts[0]["text"]
    assert "Storgatan" not in texts[0]["text"] and "Karin" not in texts[0]["text"]


def test_a_god_man_acts_for_the_client_through_the_gateway(stack, api):
    """Staff register Olle as Cecilia's god man; with his own e-ID and X-Representation he reads her case, writes to
    her caseworker and books her a meeting, every request through the gateway; beyond the scopes 403; revoked and
    unknown the same 404; staff naming a representation 400; nonsense no 500; the gateway's own routes unmoved."""
    from devstack.demo import meetings as demo

    client, h = api
    cecilia = h("cecilia")
    olle_pnr = "197001019806"  # a test personnummer the registers do not know: Olle has no case of his own here
    olle = {"Authorization": "Bearer " + httpx.get(f"{url(stack.ports.idp)}/dev/token",
                                                    params={"personal_number": olle_pnr}).text}
    created = client.post("/applications/applications", headers=cecilia, json={
        "kind": "first", "period": this_month(), "household": {"applicant": {"personal_number": "197501029800"}},
        "housing": {"type": "rental", "rent": 6000, "household_size": 1}, "incomes": {"none_declared": True},
        "assets": {"none_declared": True}, "plan": {"activities": [{"member": "applicant",
                                                                    "status": "registered_at_af"}]}})
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    case = f"/applications/applications/{case_id}"
    assert client.post(f"{case}/signatures", headers=cecilia).status_code == 201
    assert client.post(f"{case}/submit", headers=cecilia).status_code == 200

    until = (dt.datetime.now(ZoneInfo("Europe/Stockholm")).date() + dt.timedelta(days=30)).isoformat()

    def register(scopes: list[str]) -> str:
        made = client.post("/applications/staff/representations", headers=h("adam"), json={
            "personal_number": "197501029800", "representative": olle_pnr, "representative_name": "Olle Ombudsson",
            "kind": "god_man", "scopes": scopes, "valid_until": until,
            "document": "beslut Solna tingsrätt 2026-02-20, Ä 123-26"})
        assert made.status_code == 201, made.text
        return made.json()["id"]

    rid = register(["read", "messages", "meetings"])
    acting = {**olle, "X-Representation": rid}

    # Read: the case, and her list of cases.
    read = client.get(case, headers=acting)
    assert read.status_code == 200, read.text
    assert case_id in {c["id"] for c in client.get("/applications/me/cases", headers=acting).json()["items"]}
    assert client.get(case, headers=olle).status_code == 404  # himself, without the header: not his case

    # Messages: a thread on her case once messaging has heard of it (applications' outbox), and a reply in it.
    def thread():
        r = client.post("/messaging/threads", headers=acting,
                        json={"case_id": case_id, "subject": "Hyran", "body": "Hej, jag är Cecilias gode man."})
        return r if r.status_code == 201 else None

    made = eventually(thread)
    assert made is not None, "messaging never heard of Cecilia's case"
    sent = client.post(f"/messaging/threads/{made.json()['id']}/messages", headers=acting, json={"body": "En fråga"})
    assert sent.status_code == 201, sent.text
    hers = client.get(f"/messaging/threads/{made.json()['id']}/messages", headers=cecilia).json()
    # Cecilia sees it as written by him (his name, from his own token), not by herself.
    assert hers[-1]["mine"] is False and hers[-1]["sender_name"] != "Cecilia Carlsson"

    # Meetings: unit Nord's hours and types (the demo seed), then a free time with Karin, booked for her.
    asyncio.run(demo.seed(url(stack.ports.gateway), url(stack.ports.idp)))
    karin_id = "persona:karin"
    types = client.get("/meetings/units/nord/meeting-types", headers=h("tove")).json()
    visit = next(t["id"] for t in types if t["name"] == demo.TYPES[0]["name"])
    slots = client.get("/meetings/slots", headers=acting, params={"meeting_type_id": visit, "caseworker_id": karin_id})
    assert slots.status_code == 200, slots.text
    booked = None
    for slot in slots.json()["slots"][:5]:  # (another test may take a time in between)
        booked = client.post("/meetings/bookings", headers=acting, json={
            "meeting_type_id": visit, "caseworker_id": karin_id, "start": slot["start"], "channel": "phone"})
        if booked.status_code != 409:
            break
    assert booked is not None and booked.status_code == 201, booked and booked.text
    assert booked.json()["id"] in {b["id"] for b in client.get("/meetings/me/bookings", headers=cecilia).json()}

    # Beyond the scopes: 403, at every service.
    for method, path in (("POST", f"{case}/withdraw"), ("GET", "/messaging/me/contact"),
                         ("GET", "/meetings/whoami"), ("GET", "/applications/me/profile")):
        r = client.request(method, path, headers=acting, json={} if method == "POST" else None)
        assert r.status_code == 403, (path, r.text)
        assert r.json()["type"] == "urn:bistand:problem:representation-scope"
        assert "197501029800" not in r.text and "Cecilia" not in r.text

    # Revoked and unknown: one 404, at each service (applications resolves in its own database at once).
    revoked = register(["read", "messages", "meetings"])
    assert client.post(f"/applications/staff/representations/{revoked}/revoke", headers=h("adam")).status_code == 200
    for path in (case, "/messaging/threads", "/meetings/me/bookings"):
        unknown = client.get(path, headers={**olle, "X-Representation": str(uuid.uuid4())})
        assert unknown.status_code == 404, (path, unknown.text)
        fields = ("type", "title", "detail", "status")
        # (messaging and meetings never saw the revoked one: they ask applications, which says 404)
        for named in [revoked, "nonsense", "", "0" * 2000, f"{{{rid}",
                                                                 f"urn:uuid:{rid}", rid.replace("-", "")]:
            r = client.get(path, headers={**olle, "X-Representation": named})
            assert r.status_code == 404, (path, named, r.text)
            assert {k: r.json()[k] for k in fields} == {k: unknown.json()[k] for k in fields}
            assert "197501029800" not in r.text
        # Bytes that are no text at all: still that 404, never a 500.
        r = client.get(path, headers={**olle, "X-Representation": "Å-".encode() + rid.encode()})
        assert r.status_code == 404, (path, r.text)
        # Staff naming a representation: 400, whichever.
        for who in ("karin", "adam"):
            r = client.get(path, headers={**h(who), "X-Representation": rid})
            assert r.status_code == 400 and r.json()["type"] == "urn:bistand:problem:representation-not-for-staff"

    # Every service, those that take no representative at all included: 403 on a person's route, never a 500.
    for service in ("applications", "calculation", "messaging", "meetings", "registers"):
        r = client.get(f"/{service}/whoami", headers=acting)
        assert r.status_code == 403 and r.json()["type"] == "urn:bistand:problem:representation-scope", r.text

    # The gateway's own routes take no notice of the header; a service's open routes neither.
    gateway = url(stack.ports.gateway)
    for path in ("/livez", "/readyz", "/openapi.json", "/api/meetings/livez"):
        r = httpx.get(f"{gateway}{path}", headers=acting)
        assert r.status_code == 200, (path, r.text)
