"""Every kind of token against a service's route and a person's route, in the real applications, messaging and
calculation services, reading the answers: a service token is for one service and for the routes that name its
client; a person's token is for persons' routes; nothing else gets in or learns anything."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from jose import jwt

from services.applications.app import create_app as create_applications
from services.applications.settings import ApplicationsSettings
from services.calculation.app import create_app as create_calculation
from services.calculation.settings import CalculationSettings
from services.messaging.app import create_app as create_messaging
from services.messaging.settings import MessagingSettings
from simulators.idp.app import IdpSettings, Issuer
from simulators.idp.personas import PERSONAS
from tests.applications.conftest import ServiceTokens
from tests.support import AUDIENCE, app_client, fresh_database, token_for, verifier_for

ANNA, BERTIL = PERSONAS["anna"], PERSONAS["bertil"]


def _persona_claims(persona: str = "anna") -> dict[str, Any]:
    p = PERSONAS[persona]
    return {"sub": p.sub, "name": p.name, "roles": list(p.roles), "personal_number": p.personal_number}


def _jose(issuer: Issuer, claims: dict[str, Any], typ: str | None) -> str:
    now = int(time.time())
    body = {"iss": issuer.settings.issuer, "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 300, **claims}
    key = issuer.keys.current
    return jwt.encode(body, key.private_pem.decode(), algorithm="RS256", headers={"kid": key.kid, "typ": typ})


def token_kinds(issuer: Issuer) -> dict[str, Callable[[], str]]:
    """name -> a fresh token of that kind (tokens are made at call time, so the time-based ones stay what they say)."""
    now = time.time()
    evil = Issuer(IdpSettings(issuer="https://evil.example", audience=AUDIENCE), keys=issuer.keys)  # same keys
    return {
        "client": lambda: token_for(issuer, "anna"),
        "caseworker": lambda: token_for(issuer, "karin"),
        "payments@applications": lambda: issuer.service_token("payments", "bistand:applications"),
        "meetings@applications": lambda: issuer.service_token("meetings", "bistand:applications"),
        "applications@messaging": lambda: issuer.service_token("applications", "bistand:messaging"),
        "payments@messaging": lambda: issuer.service_token("payments", "bistand:messaging"),
        "applications@calculation": lambda: issuer.service_token("applications", "bistand:calculation"),
        "meetings@calculation": lambda: issuer.service_token("meetings", "bistand:calculation"),
        # A service token with the persons' (once shared) audience, or naming every service: neither is one.
        "payments@bistand": lambda: issuer.service_token("payments", AUDIENCE),
        "expired": lambda: issuer.sign(_persona_claims(), ttl=600, now=now - 7200),
        "wrong-issuer": lambda: evil.persona_token(ANNA),
        "future-iat": lambda: issuer.sign({**_persona_claims(), "nbf": int(now)}, ttl=600, now=now + 300),
        "future-nbf": lambda: issuer.sign({**_persona_claims(), "nbf": int(now) + 300}, ttl=600),
        "typ-less": lambda: _jose(issuer, _persona_claims(), None),
        "id-token-typ": lambda: _jose(issuer, _persona_claims(), "JWT"),
        "person-with-service-aud": lambda: _jose(issuer, {**_persona_claims("karin"), "aud": "bistand:applications"},
                                                 "at+jwt"),
    }


INVALID = {"expired": 401, "wrong-issuer": 401, "future-iat": 401, "future-nbf": 401, "typ-less": 401,
           "id-token-typ": 401, "person-with-service-aud": 401, "payments@bistand": 401}


def _expect(overrides: dict[str, int], default_service: int, *, persons: int) -> dict[str, int]:
    """Every kind's answer: persons get ``persons``; a service token meant for another service 401; ..."""
    out = {"client": persons, "caseworker": persons, **INVALID}
    for kind in ("payments@applications", "meetings@applications", "applications@messaging", "payments@messaging",
                 "applications@calculation", "meetings@calculation"):
        out[kind] = default_service
    out.update(overrides)
    return out


SECRETS = (ANNA.personal_number, BERTIL.personal_number, ANNA.name, BERTIL.name, "nord")


def assert_nothing_leaks(response: Any, *hidden: str) -> None:
    """A refusal names nothing of the resource: no personnummer, name, unit or id (the instance, the path the
    caller sent, aside)."""
    body = response.json()
    assert set(body) <= {"type", "title", "status", "detail", "instance", "request_id"}, body
    text = str({k: v for k, v in body.items() if k != "instance"})
    for secret in (*SECRETS, *hidden):
        assert secret not in text, (secret, body)


@pytest.fixture(scope="module")
async def applications(issuer, registers):
    async with fresh_database("applications") as url:
        settings = ApplicationsSettings(database_url=url, relay_enabled=False, default_unit="nord",
                                        trust_check_seed="test-seed", registers_url=registers.url)
        app = create_applications(settings, clock=lambda: dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC),
                                  verifier=verifier_for(issuer), registers_tokens=ServiceTokens(issuer))
        async with app_client(app) as client:
            created = await client.post("/applications", headers=_auth(token_for(issuer, "anna")),
                                        json={"kind": "first", "period": "2026-03",
                                              "household": {"applicant": {"personal_number": ANNA.personal_number}},
                                              "housing": {"type": "rental", "rent": 6000, "household_size": 1},
                                              "incomes": {"none_declared": True}, "assets": {"none_declared": True}})
            assert created.status_code == 201, created.text
            yield client, created.json()["id"]


@pytest.fixture(scope="module")
async def messaging(issuer):
    async with fresh_database("messaging") as url:
        settings = MessagingSettings(database_url=url, notify_relay_enabled=False)
        async with app_client(create_messaging(settings, verifier=verifier_for(issuer))) as client:
            yield client


@pytest.fixture(scope="module")
async def calculation(issuer):
    async with fresh_database("calculation") as url, \
            app_client(create_calculation(CalculationSettings(database_url=url), verifier=verifier_for(issuer))) as c:
        yield c


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# Applications: a person's route (read a case) and the one route a service takes (the payment system pays).
CASE_READ = _expect({"client": 200, "caseworker": 200}, 403, persons=200)
CASE_READ.update({"applications@messaging": 401, "payments@messaging": 401, "applications@calculation": 401,
                  "meetings@calculation": 401})
# Paying a draft: the payment system is let in and told the step does not fit the case (409), like the persons
# who may read the case; any other service is refused before the case is loaded.
PAY = dict(CASE_READ, client=409, caseworker=409, **{"payments@applications": 409})


@pytest.mark.parametrize(("kind", "expected"), sorted(CASE_READ.items()))
async def test_applications_case_read(applications, issuer, kind, expected):
    client, case_id = applications
    response = await client.get(f"/applications/{case_id}", headers=_auth(token_kinds(issuer)[kind]()))
    assert response.status_code == expected, (kind, response.text)
    if expected != 200:
        assert_nothing_leaks(response, case_id)
    else:
        assert response.json()["id"] == case_id


@pytest.mark.parametrize(("kind", "expected"), sorted(PAY.items()))
async def test_applications_pay(applications, issuer, kind, expected):
    client, case_id = applications
    response = await client.post(f"/applications/{case_id}/pay", headers=_auth(token_kinds(issuer)[kind]()))
    assert response.status_code == expected, (kind, response.text)
    if expected in (401, 403):
        assert_nothing_leaks(response, case_id)
    # Nothing changed, whoever asked.
    seen = await client.get(f"/applications/{case_id}", headers=_auth(token_for(issuer, "anna")))
    assert seen.json()["status"] == "draft"


def _event() -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "topic": "application.submitted",
            "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
            "payload": {"case_id": str(uuid.uuid4()), "unit": "nord", "recipients": [ANNA.personal_number],
                        "protected_identity": False, "caseworker_sub": None}}


# Messaging: the events route is for the event senders (applications, meetings) with messaging's audience only.
EVENTS = _expect({"applications@messaging": 202, "payments@messaging": 403}, 401, persons=403)
# A person's route: the caller's own unread counts.
UNREAD = _expect({"applications@messaging": 403, "payments@messaging": 403}, 401, persons=200)


@pytest.mark.parametrize(("kind", "expected"), sorted(EVENTS.items()))
async def test_messaging_events(messaging, issuer, kind, expected):
    body = _event()
    response = await messaging.post("/events", json=body,
                                    headers={**_auth(token_kinds(issuer)[kind]()), "Idempotency-Key": body["id"]})
    assert response.status_code == expected, (kind, response.text)
    if expected >= 400:
        assert_nothing_leaks(response)


@pytest.mark.parametrize(("kind", "expected"), sorted(UNREAD.items()))
async def test_messaging_person_route(messaging, issuer, kind, expected):
    response = await messaging.get("/me/unread", headers=_auth(token_kinds(issuer)[kind]()))
    assert response.status_code == expected, (kind, response.text)
    if expected >= 400:
        assert_nothing_leaks(response)


# Calculation: applications calculates for its cases; no other service token is taken.
CALCULATE = _expect({"applications@calculation": 200, "meetings@calculation": 403}, 401, persons=200)


@pytest.mark.parametrize(("kind", "expected"), sorted(CALCULATE.items()))
async def test_calculation(calculation, issuer, kind, expected):
    body = {"month": "2026-03", "household": {"adults": [{"age": 40}], "children": []}}
    response = await calculation.post("/calculations", json=body, headers=_auth(token_kinds(issuer)[kind]()))
    # The body may not be a complete calculation request: what counts is whether the caller got past the door.
    got_in = response.status_code in (200, 422)
    assert got_in == (expected == 200), (kind, response.status_code, response.text)
    if not got_in:
        assert response.status_code == expected, (kind, response.text)
        assert_nothing_leaks(response)
