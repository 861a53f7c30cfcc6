"""Messaging test helpers: an app on a fresh database, a stepping clock, a real SMTP sink, the SMS simulator."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from services.messaging.app import create_app
from services.messaging.settings import MessagingSettings
from simulators.idp.personas import PERSONAS
from simulators.sms.app import create_app as create_sms
from tests.support import free_port, serve_in_thread, verifier_for

ANNA = PERSONAS["anna"].personal_number
BERTIL = PERSONAS["bertil"].personal_number
CECILIA = PERSONAS["cecilia"].personal_number
DANA = PERSONAS["dana"].personal_number

# A small PDF and PNG: what the bytes say is what counts, not the name.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


class Clock:
    """The app's clock in tests: starts now, moves only when told."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class MailSink:
    """An aiosmtpd handler that keeps every mail it is given."""

    mails: list[Message] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.envelopes.append(envelope)
        self.mails.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.mails if m["To"] == address]


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[MailSink, int]]:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # the test server's own chatter
    sink = MailSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def sms_url() -> Iterator[str]:
    with serve_in_thread(create_sms()) as url:
        yield url


def settings_for(db_url: str, **overrides: Any) -> MessagingSettings:
    values: dict[str, Any] = dict(database_url=db_url, notify_relay_enabled=False, notify_backoff_seconds=0.0,
                                  sender_rate_per_minute=10_000, sender_rate_per_hour=100_000,
                                  public_base_url="https://minasidor.kommun.example")
    values.update(overrides)
    return MessagingSettings(**values)


def make_app(db_url: str, issuer: Any, clock: Clock | None = None, *, registers_transport: Any = None,
             **overrides: Any) -> Any:
    """Without ``registers_url``: no owner of protected identity, messaging's own copy only (development)."""
    extra = {"registers_transport": registers_transport} if registers_transport is not None else {}
    return create_app(settings_for(db_url, **overrides), clock=clock, verifier=verifier_for(issuer), **extra)


def event(topic: str, case_id: uuid.UUID, *, unit: str = "nord", recipients: tuple[str | None, ...] = (ANNA, BERTIL),
          protected: bool = False, caseworker: str | None = None, occurred_at: dt.datetime | None = None,
          event_id: uuid.UUID | None = None) -> dict[str, Any]:
    return {"id": str(event_id or uuid.uuid4()), "topic": topic,
            "occurred_at": (occurred_at or dt.datetime.now(dt.UTC)).isoformat(),
            "payload": {"case_id": str(case_id), "unit": unit, "recipients": list(recipients),
                        "protected_identity": protected, "caseworker_sub": caseworker}}


@pytest.fixture(scope="module")
def service_headers(issuer):
    def headers(event_body: dict[str, Any] | None = None, client_id: str | None = None) -> dict[str, str]:
        """A service token; for an event, by default of the service that owns its topic."""
        if client_id is None:
            client_id = "meetings" if event_body is not None and event_body["topic"].startswith("meeting.") \
                else "applications"
        out = {"Authorization": f"Bearer {issuer.service_token(client_id)}"}
        if event_body is not None:
            out["Idempotency-Key"] = event_body["id"]
        return out

    return headers


async def make_known(client: Any, headers: Any, *personal_numbers: str, unit: str = "nord",
                     protected: bool = False) -> uuid.UUID:
    """Make people clients of a unit, as the applications service's events do (a case there): staff write only
    to clients their unit knows. ``headers``: the service_headers fixture. Returns the case id."""
    case = uuid.uuid4()
    body = event("application.submitted", case, unit=unit, recipients=personal_numbers, protected=protected,
                 occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    response = await client.post("/events", json=body, headers=headers(body))
    assert response.status_code == 202, response.text
    return case
