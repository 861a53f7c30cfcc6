"""Reminders and booking events through the outbox to messaging: each once, with two worker instances over the
same database; service tokens from the IdP simulator; the real messaging service takes the events in."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from kit.auth import TokenVerifier
from services.messaging.app import create_app as create_messaging
from services.messaging.settings import MessagingSettings
from simulators.idp.app import IdpSettings
from simulators.idp.app import create_app as create_idp
from tests.meetings.conftest import CECILIA, DANA, KARIN, MAJA, Clock, make_app, setup_nord, sql, sthlm
from tests.support import AUDIENCE, ISSUER, app_client, fresh_database, serve_in_thread, verifier_for


class Receiver:
    """A stand-in for messaging's POST /events and /events/batch that records every event delivered (duplicates
    included)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.posts: list[dict[str, Any]] = []
        self.app = FastAPI()

        @self.app.post("/events", status_code=202)
        async def events(request: Request) -> dict[str, str]:
            body = await request.json()
            with self.lock:
                self.posts.append({"body": body, "key": request.headers.get("idempotency-key"),
                                   "auth": request.headers.get("authorization", "")})
            return {"status": "accepted"}

        @self.app.post("/events/batch")
        async def batch(request: Request) -> dict[str, Any]:
            events = (await request.json())["events"]
            with self.lock:  # the batch's contract: each event's id is its idempotency key
                self.posts.extend({"body": e, "key": e["id"], "auth": request.headers.get("authorization", "")}
                                  for e in events)
            return {"results": [{"id": e["id"], "status": "accepted", "notifications": 0} for e in events]}


@pytest.fixture(scope="module")
def idp_url(issuer):
    with serve_in_thread(create_idp(IdpSettings(issuer=ISSUER, audience=AUDIENCE), issuer=issuer)) as url:
        yield url


def wiring(idp_url: str, messaging_url: str) -> dict[str, Any]:
    return {"messaging_url": messaging_url, "service_client_id": "meetings", "service_client_secret": "dev-meetings",
            "auth_token_url": f"{idp_url}/token"}


async def test_each_reminder_goes_out_once_with_two_workers(issuer, as_persona, idp_url, owner):
    receiver = Receiver()
    clock = Clock()
    with serve_in_thread(receiver.app) as receiver_url:
        async with fresh_database("meetings") as url:
            one = make_app(url, issuer, clock, owner=owner, **wiring(idp_url, receiver_url))
            two = make_app(url, issuer, clock, owner=owner, **wiring(idp_url, receiver_url))
            async with app_client(one) as a, app_client(two) as b:
                nord = await setup_nord(a, as_persona)
                karin, maja = as_persona("karin"), as_persona("maja")
                ids = []
                for day in (18, 19, 20, 23, 24, 25):  # six bookings, two reminders each (24 h and 2 h before)
                    for who, headers in ((KARIN, karin), (MAJA, maja)):
                        r = await a.post("/bookings", headers=headers, json={
                            "meeting_type_id": nord.phone, "caseworker_id": who, "personal_number": CECILIA,
                            "start": sthlm(2026, 3, day, 10).isoformat()})
                        assert r.status_code == 201, r.text
                        ids.append(r.json()["id"])
                # one cancelled (its reminders are dropped), one moved (its reminders follow)
                r = await b.post(f"/bookings/{ids[0]}/cancel", headers=karin, json={"reason": "Klienten ringde"})
                assert r.status_code == 200
                r = await b.post(f"/bookings/{ids[1]}/reschedule", headers=maja,
                                 json={"start": sthlm(2026, 3, 26, 11).isoformat(), "reason": "Krock"})
                assert r.status_code == 200, r.text
                expected_reminders = 2 * (len(ids) - 1)
                rows = await sql(url, "SELECT count(*) AS n FROM reminders")
                assert rows[0].n == expected_reminders

                # Time passes hour by hour to after the last meeting; at every step both replicas run at once.
                workers = [one.state.kit.runtime.workers, two.state.kit.runtime.workers]
                while clock.now < sthlm(2026, 3, 26, 12):
                    clock.advance(hours=1)
                    await asyncio.gather(*(w.run_once() for w in workers))

                topics = Counter(p["body"]["topic"] for p in receiver.posts)
                assert topics["meeting.reminder"] == expected_reminders
                assert topics["meeting.booked"] == len(ids)
                assert topics["meeting.cancelled"] == 1 and topics["meeting.changed"] == 1
                event_ids = [p["body"]["id"] for p in receiver.posts]
                assert len(event_ids) == len(set(event_ids)), "an event was delivered twice"
                assert all(p["key"] == p["body"]["id"] for p in receiver.posts)
                reminded = Counter(p["body"]["payload"]["booking_id"] for p in receiver.posts
                                   if p["body"]["topic"] == "meeting.reminder")
                assert ids[0] not in reminded and set(reminded.values()) == {2}
                # nothing sensitive in what leaves the service
                for p in receiver.posts:
                    assert set(p["body"]) == {"id", "topic", "occurred_at", "payload"}
                    assert set(p["body"]["payload"]) == {"booking_id", "unit", "recipients", "protected_identity",
                                                         "starts_at", "channel"}
                # a real service token from the IdP, for the meetings client, with messaging's audience only
                verifier: TokenVerifier = verifier_for(issuer, service="messaging")
                principal = await verifier.verify(receiver.posts[0]["auth"].removeprefix("Bearer "))
                assert principal.is_service and principal.claims["client_id"] == "meetings"
                rows = await sql(url, "SELECT count(*) AS n FROM reminders WHERE sent_at IS NULL")
                assert rows[0].n == 0
                rows = await sql(url, "SELECT count(*) AS n FROM outbox WHERE delivered_at IS NULL")
                assert rows[0].n == 0


async def test_messaging_takes_the_events_in(issuer, as_persona, idp_url, owner):
    """The contract with the real messaging service: a booked event for Cecilia becomes a notification,
    Dana's (protected identity, as the population register says) none."""
    async with fresh_database("messaging") as messaging_db, fresh_database("meetings") as url:
        clock = Clock()  # both services on one clock: messaging bounds an event's time by its own
        messaging = create_messaging(MessagingSettings(database_url=messaging_db, notify_relay_enabled=False),
                                     clock=clock, verifier=verifier_for(issuer))
        with serve_in_thread(messaging) as messaging_url:
            async with httpx.AsyncClient(base_url=messaging_url) as m:
                r = await m.put("/me/contact", headers=as_persona("cecilia"),
                                json={"phone": "070-123 45 67", "channels": ["sms"]})
                assert r.status_code == 200, r.text
            app = make_app(url, issuer, clock, owner=owner, **wiring(idp_url, messaging_url))
            async with app_client(app) as client:
                nord = await setup_nord(client, as_persona)
                for who, pnr, hour in (("karin", CECILIA, 9), ("maja", DANA, 10)):
                    r = await client.post("/bookings", headers=as_persona(who), json={
                        "meeting_type_id": nord.phone, "caseworker_id": f"persona:{who}", "personal_number": pnr,
                        "start": sthlm(2026, 3, 18, hour).isoformat()})
                    assert r.status_code == 201, r.text
                _, delivered = await app.state.kit.runtime.workers.run_once()
                assert delivered == 2
                failed = await sql(url, "SELECT count(*) AS n FROM outbox WHERE delivered_at IS NULL")
                assert failed[0].n == 0
            protected = await sql(messaging_db, "SELECT personal_number FROM protected_persons")
            assert [p.personal_number for p in protected] == [DANA]
        notes = await sql(messaging_db, "SELECT c.personal_number, n.kind FROM notifications n "
                                        "JOIN contacts c ON c.person_ref = n.person_ref")
        assert {n.personal_number for n in notes} == {CECILIA}
        assert {n.kind for n in notes} == {"meeting_booked"}
