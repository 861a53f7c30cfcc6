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
