"""Access matrix for every meetings route: endpoint x caller -> the status a caller who may not see or do it gets.

The world: unit Nord set up through the API (tests/meetings/conftest.py: setup_nord), Anna's visit with Karin,
Dana's (protected identity) visit with Maja, an absence in Karin's calendar and a join link for an agency.
A booking or calendar someone may not see is a 404 (like a missing one); a role with no business there is a 403;
no token is a 401. GETs carry a positive control so a 404 is known to be a refusal, not a broken fixture.
The last tests walk the app's routes and fail when one is not listed (a new endpoint needs its access rows),
and check that the public routes (join links, calendar feeds) answer only to a valid token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.access_matrix import (
    assert_body_tells_nothing_more,
    assert_every_protected_route_refuses_someone,
    assert_every_route_listed,
    caller_headers,
)
from tests.meetings.conftest import ANNA, DANA, KARIN, LARS, MAJA, WEEKDAY_HOURS, Clock, make_app, setup_nord, sthlm
from tests.support import app_client, fresh_database

PROBLEM = "application/problem+json"

PUBLIC = {("GET", "/livez"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/openapi.json"), ("GET", "/docs"),
          ("GET", "/docs/oauth2-redirect"), ("GET", "/redoc"),
          ("GET", "/feeds/{token}.ics"), ("GET", "/join/{token}"), ("POST", "/join/{token}")}

Body = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]] | None
ROUTES: dict[tuple[str, str], list[tuple[Any, ...]]] = {}


def add(method: str, path: str, expect: dict[str, int], body: Body = None, *, route: str | None = None) -> None:
    """Rows for ``route`` (the app's path template), called with ``path`` (world keys in braces)."""
    ROUTES.setdefault((method, route or path), []).extend((method, path, who, s, body) for who, s in expect.items())


NO_ROLE = {"nils": 403, "adam": 403, "service": 403, "anon": 401, "forged": 401}  # no bookings here
STRANGERS = {"bertil": 404, "cecilia": 404, "dana": 404, "lars": 404}  # Anna's booking does not exist for them
B = "/bookings/{booking_id}"
ANNA_B = "/bookings/{anna_booking}"
DANA_B = "/bookings/{dana_booking}"
WINDOW = "from=2026-03-16&to=2026-03-22"
LATER = sthlm(2026, 3, 19, 9).isoformat()
TYPE_BODY = {"name": "X", "kind": "phone", "duration_minutes": 30, "channels": ["phone"]}
ABSENCE = {"kind": "absence", "start": "2026-05-04T09:00:00", "end": "2026-05-04T10:00:00"}

add("GET", "/whoami", {"anon": 401, "forged": 401, "anna": 200})
for suffix in ("", ".ics"):
    add("GET", ANNA_B + suffix, {**STRANGERS, **NO_ROLE, "anna": 200, "karin": 200, "maja": 200, "tove": 200},
        route=B + suffix)
    add("GET", DANA_B + suffix, {"karin": 404, "tove": 404, "lars": 404, "anna": 404, "dana": 200, "maja": 200},
        route=B + suffix)
for method, verb, body in (("POST", "/reschedule", {"start": LATER, "reason": "x"}),
                           ("POST", "/cancel", {"reason": "x"}),
                           ("PUT", "/channel", {"channel": "phone"}),
                           ("POST", "/outcome", {"outcome": "held"}),
                           ("POST", "/staff", {"caseworker_id": MAJA}),
                           ("POST", "/participants", {"role": "agency"})):
    add(method, ANNA_B + verb, {**STRANGERS, **NO_ROLE}, body, route=B + verb)
    add(method, DANA_B + verb, {"karin": 404, "tove": 404, "anna": 404}, body, route=B + verb)
PARTICIPANT = "/participants/{participant_id}"
add("DELETE", ANNA_B + "/participants/{anna_participant}", {**STRANGERS, **NO_ROLE, "anna": 403},
    route=B + PARTICIPANT)
add("DELETE", DANA_B + "/participants/{anna_participant}", {"karin": 404, "tove": 404, "anna": 404},
    route=B + PARTICIPANT)
# The client herself may not act as staff on her own booking.
add("POST", ANNA_B + "/outcome", {"anna": 403}, {"outcome": "held"}, route=B + "/outcome")
add("POST", ANNA_B + "/staff", {"anna": 403}, {"caseworker_id": MAJA}, route=B + "/staff")
add("POST", ANNA_B + "/participants", {"anna": 403}, {"role": "agency"}, route=B + "/participants")

CW = "/caseworkers/{caseworker_id}"
CLIENTS_403 = {"anna": 403, "cecilia": 403}
add("GET", f"/caseworkers/{KARIN}/hours", {**CLIENTS_403, **NO_ROLE, "lars": 404, "maja": 200, "tove": 200},
    route=CW + "/hours")
add("PUT", f"/caseworkers/{KARIN}/hours", {**CLIENTS_403, **NO_ROLE, "lars": 404, "maja": 403},
    {"hours": WEEKDAY_HOURS}, route=CW + "/hours")
add("POST", f"/caseworkers/{KARIN}/exceptions", {**CLIENTS_403, **NO_ROLE, "lars": 404, "maja": 403}, ABSENCE,
    route=CW + "/exceptions")
add("GET", f"/caseworkers/{KARIN}/exceptions", {**CLIENTS_403, **NO_ROLE, "lars": 404, "maja": 200},
    route=CW + "/exceptions")
add("DELETE", f"/caseworkers/{KARIN}/exceptions/{{absence}}", {**CLIENTS_403, **NO_ROLE, "lars": 404, "maja": 403},
    route=CW + "/exceptions/{exception_id}")
# Another unit's caseworker's calendar, for a team lead: not found.
add("GET", f"/caseworkers/{LARS}/hours", {"tove": 404, "karin": 404}, route=CW + "/hours")
add("PUT", f"/caseworkers/{LARS}/hours", {"tove": 404}, {"hours": WEEKDAY_HOURS}, route=CW + "/hours")
add("GET", f"/caseworkers/{LARS}/exceptions", {"tove": 404}, route=CW + "/exceptions")
# Karin's absence through one's own calendar: not found.
add("DELETE", "/caseworkers/me/exceptions/{absence}", {"maja": 404, "lars": 404, "tove": 404},
    route=CW + "/exceptions/{exception_id}")

add("GET", "/slots?meeting_type_id={visit}&" + WINDOW, {**NO_ROLE, "lars": 403, "anna": 200, "karin": 200},
    route="/slots")
add("GET", "/slots?meeting_type_id={phone}&" + WINDOW, {"anna": 403}, route="/slots")  # not bookable online

add("POST", "/bookings", {**NO_ROLE}, lambda w: {"meeting_type_id": w["visit"], "caseworker_id": KARIN,
                                                  "start": sthlm(2026, 3, 20, 9).isoformat()})
add("POST", "/bookings", {"bertil": 403, "cecilia": 403},  # a client books for someone else
    lambda w: {"meeting_type_id": w["visit"], "caseworker_id": KARIN, "start": sthlm(2026, 3, 20, 9).isoformat(),
               "personal_number": ANNA})
add("POST", "/bookings", {"lars": 403},  # another unit's caseworker books into Nord
    lambda w: {"meeting_type_id": w["phone"], "caseworker_id": KARIN, "start": sthlm(2026, 3, 20, 10).isoformat(),
               "personal_number": ANNA})
# a protected client, caller not cleared: the answer an uncleared lead gets, not a "not found" that tells (item 5)
add("POST", "/bookings", {"karin": 409, "tove": 409},
    lambda w: {"meeting_type_id": w["phone"], "caseworker_id": KARIN, "start": sthlm(2026, 3, 20, 11).isoformat(),
               "personal_number": DANA})
CONTACT_START = sthlm(2026, 3, 16, 8).isoformat()
add("POST", "/contacts", {**CLIENTS_403, **NO_ROLE},
    lambda w: {"meeting_type_id": w["phone"], "start": CONTACT_START})
add("POST", "/contacts", {"lars": 403},  # with another unit's meeting type
    lambda w: {"meeting_type_id": w["phone"], "start": CONTACT_START, "personal_number": ANNA})
add("POST", "/contacts", {"karin": 409},  # a protected client, caller not cleared (as above)
    lambda w: {"meeting_type_id": w["phone"], "start": CONTACT_START, "personal_number": DANA})
add("GET", "/me/bookings", {**NO_ROLE, "anna": 200, "karin": 200})
add("GET", "/units/nord/calendar?" + WINDOW, {**CLIENTS_403, **NO_ROLE, "lars": 404, "karin": 200, "tove": 200},
    route="/units/{unit}/calendar")

# Unit configuration: read by anyone signed in (clients need the cut-off); changed by its team lead or an admin.
add("GET", "/units/nord/settings", {"anon": 401, "forged": 401, "anna": 200}, route="/units/{unit}/settings")
add("PUT", "/units/nord/settings", {"anon": 401, "forged": 401, "anna": 403, "karin": 403, "maja": 403, "lars": 403,
                                    "nils": 403, "service": 403}, {}, route="/units/{unit}/settings")
add("PUT", "/units/syd/settings", {"tove": 403}, {}, route="/units/{unit}/settings")
add("GET", "/units/nord/meeting-types", {"anon": 401, "forged": 401, "anna": 200}, route="/units/{unit}/meeting-types")
add("POST", "/units/nord/meeting-types", {"anon": 401, "forged": 401, "anna": 403, "karin": 403, "lars": 403,
                                          "nils": 403, "service": 403}, TYPE_BODY, route="/units/{unit}/meeting-types")
add("POST", "/units/syd/meeting-types", {"tove": 403}, TYPE_BODY, route="/units/{unit}/meeting-types")
add("PUT", "/meeting-types/{phone}", {"anon": 401, "forged": 401, "anna": 404, "karin": 404, "lars": 404,
                                      "nils": 404, "service": 403}, TYPE_BODY, route="/meeting-types/{type_id}")
add("POST", "/me/feed", {**CLIENTS_403, **NO_ROLE})
add("DELETE", "/me/feed", {**CLIENTS_403, **NO_ROLE})
add("GET", "/stats?unit=nord&" + WINDOW, {"anon": 401, "forged": 401, "anna": 404, "karin": 404, "maja": 404,
                                          "lars": 404, "nils": 404, "service": 403, "tove": 200}, route="/stats")
add("GET", "/stats?unit=syd&" + WINDOW, {"tove": 404}, route="/stats")
# A person's part of their register extract: the applications service only ("service" is its token).
add("POST", "/internal/subject-access", {"anna": 403, "karin": 403, "maja": 403, "tove": 403, "adam": 403,
                                         "anon": 401, "forged": 401, "service": 200},
    {"personal_number": ANNA, "requested_by": "client", "request_id": "0b7d4c1e-3f1a-4c55-9f0e-2f5d8a1b6c9d"})
# Letters are for messaging's post room only (tests/meetings/test_letters.py has its 200s and 404s).
add("POST", "/internal/letters", {"anna": 403, "karin": 403, "maja": 403, "tove": 403, "adam": 403,
                                  "anon": 401, "forged": 401, "service": 403},
    lambda w: {"event_id": "0b7d4c1e-3f1a-4c55-9f0e-2f5d8a1b6c9d", "kind": "meeting_booked",
               "ref": w["anna_booking"], "recipient": ANNA, "language": "sv"})

# Open to every signed-in caller on purpose (nothing personal; clients see only the types they may book).
ANY_SIGNED_IN = {("GET", "/whoami"), ("GET", "/units/{unit}/settings"), ("GET", "/units/{unit}/meeting-types")}
ROWS = [row for rows in ROUTES.values() for row in rows]


def test_every_route_is_in_the_matrix(issuer):
    app = make_app("postgresql+asyncpg://unused/none", issuer)
    assert_every_route_listed(app, ROUTES, PUBLIC)


def test_every_protected_route_refuses_someone():
    assert_every_protected_route_refuses_someone(ROUTES, open_to_all=ANY_SIGNED_IN)


@pytest.fixture(scope="module")
async def env(issuer, as_persona, owner):
    async with fresh_database("meetings") as url, app_client(make_app(url, issuer, Clock(), owner=owner)) as client:
        nord = await setup_nord(client, as_persona)

        async def ok(r: Any, status: int = 201) -> dict[str, Any]:
            assert r.status_code == status, r.text
            return r.json()  # type: ignore[no-any-return]

        anna = await ok(await client.post("/bookings", headers=as_persona("anna"), json={
            "meeting_type_id": nord.visit, "caseworker_id": KARIN, "start": sthlm(2026, 3, 18, 9).isoformat()}))
        dana = await ok(await client.post("/bookings", headers=as_persona("dana"), json={
            "meeting_type_id": nord.visit, "caseworker_id": MAJA, "start": sthlm(2026, 3, 18, 10).isoformat()}))
        absence = await ok(await client.post(f"/caseworkers/{KARIN}/exceptions", headers=as_persona("karin"),
                                             json={**ABSENCE, "start": "2026-06-01T09:00:00",
                                                   "end": "2026-06-01T10:00:00"}))
        link = await ok(await client.post(f"/bookings/{anna['id']}/participants", headers=as_persona("karin"),
                                          json={"role": "agency", "organisation": "AF"}))
        feed = await ok(await client.post("/me/feed", headers=as_persona("karin")))
        seen = await ok(await client.get(f"/bookings/{anna['id']}", headers=as_persona("karin")), 200)
        world = {"anna_booking": anna["id"], "dana_booking": dana["id"], "absence": absence["id"],
                 "anna_participant": seen["external_participants"][0]["id"], "visit": nord.visit,
                 "phone": nord.phone, "join": link["url"].rstrip("/").rsplit("/", 1)[1],
                 "feed": feed["url"].rsplit("/", 1)[1].removesuffix(".ics")}
        yield client, world


@pytest.fixture(scope="module")
def headers_for(issuer, as_persona):
    # "service": applications' token with meetings' audience: it takes POST /internal/subject-access, no other route.
    return caller_headers(issuer, as_persona, "applications", audience="bistand:meetings")


@pytest.mark.parametrize(("method", "path", "caller", "expected", "body"), ROWS,
                         ids=[f"{m} {p} {w}-{s}" for m, p, w, s, _ in ROWS])
async def test_access(env, headers_for, method, path, caller, expected, body):
    client, world = env
    kwargs: dict[str, Any] = {"headers": headers_for(caller)}
    if body is not None:
        kwargs["json"] = body(world) if callable(body) else body
    response = await client.request(method, path.format(**world), **kwargs)
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.headers["content-type"] == PROBLEM
    assert_body_tells_nothing_more(response, caller, known=path.format(**world) + str(kwargs.get("json")),
                                   ids={k: v for k, v in world.items() if isinstance(v, str)})


async def test_the_refused_changes_left_the_booking_as_it_was(env, headers_for):
    client, world = env
    booking = (await client.get(f"/bookings/{world['anna_booking']}", headers=headers_for("karin"))).json()
    assert booking["status"] == "booked" and booking["outcome"] is None and booking["channel"] == "in_person"
    assert booking["start"].startswith("2026-03-18T08:00") and [s["caseworker_id"] for s in booking["staff"]] == [KARIN]


@pytest.mark.parametrize("caller", ["karin", "tove", "lars"])
async def test_calendars_and_lists_hold_nothing_protected(env, headers_for, caller):
    client, world = env
    for path in ("/units/nord/calendar?" + WINDOW, "/me/bookings"):
        listed = (await client.get(path, headers=headers_for(caller))).json()
        assert world["dana_booking"] not in {b["id"] for b in listed} if isinstance(listed, list) else True, path


@pytest.mark.parametrize(("method", "path"), sorted(PUBLIC - {("GET", "/feeds/{token}.ics"), ("GET", "/join/{token}"),
                                                              ("POST", "/join/{token}")}))
async def test_public_routes_answer_without_a_token(env, method, path):
    client, _ = env
    assert (await client.request(method, path)).status_code == 200


async def test_the_token_routes_answer_only_to_their_token(env):
    client, world = env
    feed = await client.get(f"/feeds/{world['feed']}.ics")
    assert feed.status_code == 200 and ANNA not in feed.text and "Anna" not in feed.text
    assert (await client.get("/feeds/not-a-token.ics")).status_code == 404
    info = await client.get(f"/join/{world['join']}")
    assert info.status_code == 200, info.text
    assert ANNA not in info.text and "personal_number" not in info.text
    for method in ("GET", "POST"):
        wrong = await client.request(method, "/join/not-a-token")
        assert wrong.status_code == 404 and wrong.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("mangle", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
@pytest.mark.parametrize("caller", ["anna", "karin", "tove"])
async def test_unknown_or_malformed_ids_are_never_a_500(env, headers_for, mangle, caller):
    client, world = env
    names = ("booking_id", "caseworker_id", "exception_id", "type_id", "unit", "token", "participant_id")
    for (method, route), rows in {**ROUTES, **{r: [(r[0], r[1], "", 0, None)] for r in PUBLIC}}.items():
        if "{" not in route:
            continue
        body = rows[0][4]
        kwargs: dict[str, Any] = {"headers": headers_for(caller)}
        if body is not None:
            kwargs["json"] = body(world) if callable(body) else body
        url = route.format(**dict.fromkeys(names, mangle))
        response = await client.request(method, url, **kwargs)
        assert response.status_code < 500, (method, url, response.status_code, response.text)
