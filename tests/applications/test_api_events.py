"""Events: written to the outbox with the change, delivered to messaging with a service token and the event id as
Idempotency-Key; a failed delivery stays and is retried; the real messaging service takes them in."""

from __future__ import annotations

import asyncpg
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from kit.db import plain_url
from tests.applications.conftest import ANNA, BERTIL, DANA, couple, make_app, single, submitted_case, with_services
from tests.messaging.conftest import make_app as make_messaging
from tests.support import app_client, fresh_database, serve_in_thread, verifier_for


def recording_receiver() -> FastAPI:
    """A stand-in for messaging's POST /events and /events/batch (the relay's way) that records each event it
    gets; can be told to fail (a whole request)."""
    app = FastAPI()
    app.state.received = []
    app.state.fail_next = 0

    @app.post("/events")
    async def events(request: Request) -> JSONResponse:
        if app.state.fail_next:
            app.state.fail_next -= 1
            return JSONResponse({"status": 503}, status_code=503)
        app.state.received.append({"headers": dict(request.headers), "body": await request.json(), "path": "/events"})
        return JSONResponse({"status": "accepted"}, status_code=202)

    @app.post("/events/batch")
    async def batch(request: Request) -> JSONResponse:
        if app.state.fail_next:
            app.state.fail_next -= 1
            return JSONResponse({"status": 503}, status_code=503)
        events = (await request.json())["events"]
        app.state.received.extend({"headers": dict(request.headers), "body": e, "path": "/events/batch"}
                                  for e in events)
        return JSONResponse({"results": [{"id": e["id"], "status": "accepted", "notifications": 0} for e in events]})

    return app


@pytest.fixture(scope="module")
def receiver():
    app = recording_receiver()
    with serve_in_thread(app) as url:
        yield url, app


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("applications") as url:
        yield url


@pytest.fixture(scope="module")
async def app(db_url, issuer, idp_url, receiver, registers):
    return make_app(db_url, issuer, registers=registers, **with_services(idp_url, messaging_url=receiver[0]))


@pytest.fixture(scope="module")
async def client(app):
    async with app_client(app) as c:
        yield c


def relay(app):
    return app.state.kit.runtime.relay


async def test_events_delivered_with_token_and_idempotency_key(client, app, as_persona, receiver, issuer):
    _, recorder = receiver
    recorder.state.received.clear()
    case = await submitted_case(client, as_persona, couple())
    await client.post(f"/applications/{case['id']}/assign", headers=as_persona("karin"))
    assert await relay(app).run_once() == 2
    got = recorder.state.received
    assert [g["body"]["topic"] for g in got] == ["application.submitted", "application.assigned"]
    first = got[0]
    # One request for the claimed batch; there each event's id is its idempotency key.
    assert [g["path"] for g in got] == ["/events/batch"] * 2
    assert "idempotency-key" not in first["headers"]
    assert first["body"]["payload"] == {"case_id": case["id"], "unit": "nord", "recipients": [ANNA, BERTIL],
                                        "protected_identity": False, "caseworker_sub": None}
    assert got[1]["body"]["payload"]["caseworker_sub"] == "persona:karin"
    token = first["headers"]["authorization"].removeprefix("Bearer ")
    principal = await verifier_for(issuer, service="messaging").verify(token)  # the token is for messaging only
    assert "service" in principal.roles and principal.claims["client_id"] == "applications"
    assert await relay(app).run_once() == 0  # delivered once


async def test_failed_delivery_is_retried_and_nothing_lost(client, app, as_persona, receiver, db_url):
    _, recorder = receiver
    recorder.state.received.clear()
    recorder.state.fail_next = 1
    await submitted_case(client, as_persona, single(DANA, "2026-04"), signers=("dana",), owner="dana")
    assert await relay(app).run_once() == 0
    conn = await asyncpg.connect(plain_url(db_url))
    try:
        await conn.execute("UPDATE outbox SET available_at = now() WHERE delivered_at IS NULL")  # skip the backoff
    finally:
        await conn.close()
    assert await relay(app).run_once() == 1
    payload = recorder.state.received[-1]["body"]["payload"]
    assert payload["protected_identity"] is True and payload["recipients"] == [DANA]


async def test_real_messaging_takes_the_events_in(issuer, idp_url, as_persona, registers):
    """The outbox delivering to the real messaging service over HTTP (its own database, its own checks)."""
    async with fresh_database("messaging") as messaging_db, fresh_database("applications") as apps_db:
        with serve_in_thread(make_messaging(messaging_db, issuer)) as messaging_url:
            app = make_app(apps_db, issuer, registers=registers, **with_services(idp_url, messaging_url=messaging_url))
            async with app_client(app) as client:
                case = await submitted_case(client, as_persona, couple("2026-05"))
                assert await relay(app).run_once() == 1
                conn = await asyncpg.connect(plain_url(messaging_db))
                try:
                    row = await conn.fetchrow("SELECT unit, recipients FROM cases WHERE case_id = $1::uuid",
                                              case["id"])
                finally:
                    await conn.close()
                assert row is not None and row["unit"] == "nord" and sorted(row["recipients"]) == [ANNA, BERTIL]
