"""Access matrix for every registers route: endpoint x caller -> status, reading the BODY of every answer.

The world: look-ups about Anna (Nord, by applications) and Cecilia (Syd). Internal routes take only the service
clients their settings name (a person, or another service, gets 403; a token for another service's audience 401).
/me/lookups is for clients (their own rows); the audit search for team leads (own units) and admins. A row of
another unit is a 404 for a team lead, like a missing one. The last tests walk the app's routes, so a new endpoint
without access rows turns the suite red.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.access_matrix import (
    CIRCLES,
    assert_body_tells_nothing_more,
    assert_every_protected_route_refuses_someone,
    assert_every_route_listed,
)
from tests.registers.conftest import ANNA, BERTIL, CASE_SYD, CECILIA, DANA, income, make_app, population, running

PROBLEM = "application/problem+json"
PUBLIC = {("GET", "/livez"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/openapi.json"), ("GET", "/docs"),
          ("GET", "/docs/oauth2-redirect"), ("GET", "/redoc")}
CIRCLE = {**CIRCLES, "ture": frozenset({"cecilia"})}

PERSONS = ("anna", "bertil", "cecilia", "dana", "karin", "lars", "maja", "nils", "tove", "ture", "adam")
NO_TOKEN = {"anon": 401, "forged": 401, "wrong-audience": 401}
ROUTES: dict[tuple[str, str], list[tuple[Any, ...]]] = {}


def add(method: str, path: str, expect: dict[str, int], body: Any = None, *, route: str | None = None) -> None:
    ROUTES.setdefault((method, route or path), []).extend((method, path, who, s, body) for who, s in expect.items())


def services(allowed: tuple[str, ...]) -> dict[str, int]:
    return {s: 200 if s in allowed else 403 for s in ("service", "meetings", "messaging", "payments")}


PERSONS_403 = dict.fromkeys(PERSONS, 403)
add("GET", "/whoami", {"anon": 401, "forged": 401, "anna": 200})
add("POST", "/internal/lookups", {**PERSONS_403, **NO_TOKEN, **services(("service",))}, income())
# The batch carries both kinds of look-up: only a service both settings name (applications) may ask it.
add("POST", "/internal/lookups/batch", {**PERSONS_403, **NO_TOKEN, **services(("service",))},
    {"lookups": [income()], "population": population(ANNA)})
add("POST", "/internal/population", {**PERSONS_403, **NO_TOKEN, **services(("service", "meetings", "messaging"))},
    population(ANNA, BERTIL))
add("POST", "/internal/protection", {**PERSONS_403, **NO_TOKEN, **services(("service", "meetings", "messaging"))},
    {"personal_numbers": [ANNA, DANA]})
# A person's part of their register extract: the applications service only ("service" is its token).
add("POST", "/internal/subject-access", {**PERSONS_403, **NO_TOKEN, **services(("service",))},
    {"personal_number": ANNA, "requested_by": "client", "request_id": "0b7d4c1e-3f1a-4c55-9f0e-2f5d8a1b6c9d"})
STAFF_403 = dict.fromkeys(("karin", "lars", "maja", "nils", "tove", "ture", "adam"), 403)
add("GET", "/me/lookups", {**STAFF_403, **NO_TOKEN, **services(()), "anna": 200, "bertil": 200, "cecilia": 200,
                           "dana": 200})
CLIENTS_403 = dict.fromkeys(("anna", "bertil", "cecilia", "dana"), 403)
WORKERS_403 = dict.fromkeys(("karin", "lars", "maja", "nils"), 403)
add("GET", "/lookups", {**CLIENTS_403, **WORKERS_403, **NO_TOKEN, **services(()), "tove": 200, "ture": 200,
                        "adam": 200})
add("GET", f"/lookups?case_id={CASE_SYD}", {"tove": 200, "ture": 200}, route="/lookups")
ONE = "/lookups/{lookup_id}"
add("GET", "/lookups/{anna_lookup}", {**CLIENTS_403, **WORKERS_403, **NO_TOKEN, **services(()), "tove": 200,
                                      "ture": 404, "adam": 200}, route=ONE)
add("GET", "/lookups/{cecilia_lookup}", {"tove": 404, "ture": 200, "cecilia": 403}, route=ONE)
ROWS = [row for rows in ROUTES.values() for row in rows]


def test_every_route_is_in_the_matrix(issuer):
    assert_every_route_listed(make_app("postgresql+asyncpg://unused/none", issuer), ROUTES, PUBLIC)


def test_every_protected_route_refuses_someone():
    assert_every_protected_route_refuses_someone(ROUTES, open_to_all={("GET", "/whoami")})


async def _world(issuer: Any, service_headers: Any, registers: Any) -> Any:
    async with running(issuer, registers) as (client, fake, _, _):
        fake.set_person(DANA, protected=True)
        anna = await client.post("/internal/lookups", json=income(), headers=service_headers())
        cecilia = await client.post("/internal/lookups", json=income(CECILIA, case_id=str(CASE_SYD), unit="syd"),
                                    headers=service_headers())
        yield client, {"anna_lookup": anna.json()["lookup_id"], "cecilia_lookup": cecilia.json()["lookup_id"]}


@pytest.fixture(scope="module")
async def world(issuer, service_headers, session_control):
    async for w in _world(issuer, service_headers, session_control):
        yield w


@pytest.fixture(scope="module")
async def untouched_world(issuer, service_headers, session_control):
    """The same world on its own database, which the matrix's look-ups do not add to."""
    async for w in _world(issuer, service_headers, session_control):
        yield w


@pytest.fixture(scope="module")
def caller(issuer, headers_of):
    def headers(who: str) -> dict[str, str]:
        if who == "forged":
            return {"Authorization": "Bearer not.a.token"}
        if who == "wrong-audience":  # applications' token for calculation is no key here
            return {"Authorization": f"Bearer {issuer.service_token('applications', 'bistand:calculation')}"}
        return headers_of(who)
    return headers


@pytest.mark.parametrize(("method", "path", "who", "expected", "body"), ROWS,
                         ids=[f"{m} {p} {w}-{s}" for m, p, w, s, _ in ROWS])
async def test_access(world, caller, method, path, who, expected, body):
    client, ids = world
    url = path.format(**ids)
    response = await client.request(method, url, headers=caller(who), json=body)
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.headers["content-type"] == PROBLEM
    assert_body_tells_nothing_more(response, who, known=url + str(body), circles=CIRCLE, ids=ids)
    if expected == 200 and who in CIRCLE and path.startswith("/lookups"):
        # Staff see metadata only: no personnummer of anyone, not even of their own unit's clients.
        for pnr in (ANNA, BERTIL, CECILIA, DANA):
            assert pnr not in response.text and pnr[2:] not in response.text


@pytest.mark.parametrize(("who", "sees"), [("anna", {"anna_lookup"}), ("cecilia", {"cecilia_lookup"}),
                                           ("bertil", set()), ("dana", set()),
                                           ("tove", {"anna_lookup"}), ("ture", {"cecilia_lookup"}),
                                           ("adam", {"anna_lookup", "cecilia_lookup"})])
async def test_each_caller_lists_exactly_the_rows_they_may_see(untouched_world, caller, who, sees):
    client, ids = untouched_world
    path = "/lookups" if who in ("tove", "ture", "adam") else "/me/lookups"
    listed = {row["id"] for row in (await client.get(path, headers=caller(who))).json()}
    assert listed == {ids[k] for k in sees}


@pytest.mark.parametrize("who", ["anna", "tove", "adam", "service"])
@pytest.mark.parametrize("mangle", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
async def test_unknown_or_malformed_ids_are_never_a_500(world, caller, who, mangle):
    client, _ = world
    response = await client.get(f"/lookups/{mangle}", headers=caller(who))
    assert 400 <= response.status_code < 500 and response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(("method", "path"), sorted(PUBLIC - {("GET", "/docs/oauth2-redirect")}))
async def test_public_routes_answer_without_a_token(world, method, path):
    client, _ = world
    assert (await client.request(method, path)).status_code == 200
