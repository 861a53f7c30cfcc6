"""Access matrix for every messaging route: endpoint x caller -> the status a caller who may not see or do it gets.

The world: Anna+Bertil's household thread on a case in Nord (with an attachment and a message by Anna), Dana's
protected thread in Nord, Cecilia's thread in Syd. A thread someone may not see is a 404 (like a missing one); a
role that has no business with the route is a 403; no token is a 401. GETs also carry a positive control (the
owner gets 200) so a 404 is known to be a refusal, not a broken fixture. A last test walks the app's routes and
fails when one is not listed here (a new endpoint needs its access rows).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.access_matrix import (
    assert_body_tells_nothing_more,
    assert_every_protected_route_refuses_someone,
    assert_every_route_listed,
    caller_headers,
)
from tests.messaging.conftest import ANNA, CECILIA, DANA, PDF, event, make_app
from tests.support import app_client, fresh_database

PROBLEM = "application/problem+json"

PUBLIC = {("GET", "/livez"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/openapi.json"), ("GET", "/docs"),
          ("GET", "/docs/oauth2-redirect"), ("GET", "/redoc")}

Body = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]] | str | None
FILE = "file"  # a multipart upload instead of JSON

# Callers outside the household and the unit, for a thread of Anna's household in Nord.
STRANGERS_404 = {"cecilia": 404, "dana": 404, "lars": 404, "nils": 404}
NO_ROLE = {"adam": 403, "service": 403, "anon": 401, "forged": 401}


def rows_for(method: str, path: str, expect: dict[str, int], body: Body = None) -> list[tuple[Any, ...]]:
    return [(method, path, who, status, body) for who, status in expect.items()]


ROUTES: dict[tuple[str, str], list[tuple[Any, ...]]] = {}


def add(method: str, path: str, expect: dict[str, int], body: Body = None, *, route: str | None = None) -> None:
    """Rows for ``route`` (the app's path template), called with ``path`` (world keys in braces)."""
    ROUTES.setdefault((method, route or path), []).extend(rows_for(method, path, expect, body))


MSG = {"body": "Hej"}
T = "/threads/{household}"
P = "/threads/{protected}"

add("GET", "/whoami", {"anon": 401, "forged": 401, "anna": 200})
# create: about someone else's case, as a stranger or an uncleared colleague: the case does not exist for them
add("POST", "/threads", {"cecilia": 404, "lars": 404, "nils": 404, **NO_ROLE, "tove": 403},
    lambda w: {"case_id": str(w["case"]), "subject": "x", "body": "x"})
add("POST", "/threads", {"karin": 404, "anna": 404, "tove": 403},
    lambda w: {"case_id": str(w["protected_case"]), "subject": "x"}, route="/threads")
add("POST", "/threads", {"anna": 422},  # a client cannot name the person a thread is with
    {"subject": "x", "unit": "nord", "personal_number": CECILIA}, route="/threads")
add("POST", "/threads", {"lars": 422},  # a thread for a unit that is not the caller's
    {"subject": "x", "unit": "nord", "personal_number": CECILIA}, route="/threads")
add("GET", "/threads", NO_ROLE)
for suffix in ("", "/messages"):
    add("GET", T + suffix, {**STRANGERS_404, **NO_ROLE, "anna": 200, "bertil": 200, "karin": 200, "tove": 200},
        route="/threads/{thread_id}" + suffix)
    add("GET", P + suffix, {"anna": 404, "karin": 404, "tove": 404, "lars": 404, "dana": 200, "maja": 200},
        route="/threads/{thread_id}" + suffix)
add("POST", T + "/messages", {**STRANGERS_404, **NO_ROLE, "tove": 403}, MSG, route="/threads/{thread_id}/messages")
add("POST", P + "/messages", {"anna": 404, "karin": 404, "tove": 404}, MSG, route="/threads/{thread_id}/messages")
R = "/threads/{thread_id}/messages/{message_id}/retract"
add("POST", T + "/messages/{message}/retract", {**STRANGERS_404, **NO_ROLE, "bertil": 403, "karin": 403}, route=R)
add("POST", "/threads/{syd}/messages/{message}/retract", {"cecilia": 404, "lars": 404}, route=R)  # other thread's
add("POST", T + "/attachments", {**STRANGERS_404, **NO_ROLE, "tove": 403}, FILE,
    route="/threads/{thread_id}/attachments")
add("POST", P + "/attachments", {"karin": 404, "anna": 404}, FILE, route="/threads/{thread_id}/attachments")
A = "/threads/{thread_id}/attachments/{attachment_id}"
add("GET", T + "/attachments/{attachment}", {**STRANGERS_404, **NO_ROLE, "anna": 200, "karin": 200}, route=A)
add("GET", "/threads/{syd}/attachments/{attachment}", {"cecilia": 404, "lars": 404}, route=A)  # via own thread
add("GET", P + "/attachments/{attachment}", {"dana": 404, "maja": 404}, route=A)
add("POST", T + "/read", {**STRANGERS_404, **NO_ROLE}, {}, route="/threads/{thread_id}/read")
add("POST", P + "/read", {"karin": 404, "tove": 404, "anna": 404}, {}, route="/threads/{thread_id}/read")
add("GET", "/me/unread", {**NO_ROLE, "anna": 200, "karin": 200})
for verb, body in (("take", None), ("assign", {"to": None})):
    add("POST", T + "/" + verb, {**STRANGERS_404, **NO_ROLE, "anna": 403, "bertil": 403, "tove": 403}, body,
        route="/threads/{thread_id}/" + verb)
    add("POST", P + "/" + verb, {"karin": 404, "tove": 404, "dana": 403}, body, route="/threads/{thread_id}/" + verb)
ABSENCE = {"starts_at": "2030-01-01T08:00:00+01:00", "ends_at": "2030-01-02T08:00:00+01:00"}
STAFF_WRITER_ONLY = {"anna": 403, "dana": 403, "tove": 403, **NO_ROLE}
add("GET", "/me/absence", STAFF_WRITER_ONLY)
add("PUT", "/me/absence", STAFF_WRITER_ONLY, ABSENCE)
add("DELETE", "/me/absence", STAFF_WRITER_ONLY)
CLIENT_ONLY = {"karin": 403, "tove": 403, "nils": 403, **NO_ROLE}
add("GET", "/me/contact", CLIENT_ONLY)
add("PUT", "/me/contact", CLIENT_ONLY, {"email": "a@example.se", "channels": ["email"]})
add("DELETE", "/me/contact", CLIENT_ONLY)
add("PUT", "/contacts", STAFF_WRITER_ONLY, {"personal_number": ANNA, "email": "x@example.se", "channels": ["email"]})
add("PUT", "/contacts", {"lars": 404, "nils": 404},  # a client the caller's unit does not know
    {"personal_number": ANNA, "email": "x@example.se", "channels": ["email"]}, route="/contacts")
add("PUT", "/contacts", {"karin": 404},  # a protected client, caller not cleared
    {"personal_number": DANA, "email": "x@example.se", "channels": ["email"]}, route="/contacts")
# other-service: calculation, whose tokens are never for messaging (IDP_CLIENT_TARGETS): 401
add("POST", "/events", {"anna": 403, "karin": 403, "adam": 403, "other-service": 401, "anon": 401, "forged": 401},
    lambda w: event("application.submitted", uuid.uuid4()))
# The batch: the same refusals as POST /events for everyone but the event's owner.
add("POST", "/events/batch", {"anna": 403, "karin": 403, "adam": 403, "other-service": 401, "anon": 401, "forged": 401,
                              "service": 200},
    lambda w: {"events": [event("application.submitted", uuid.uuid4())]})
add("GET", "/me/stream", NO_ROLE)
# A person's part of their register extract: the applications service only ("service" is its token).
add("POST", "/internal/subject-access", {"anna": 403, "karin": 403, "maja": 403, "adam": 403, "other-service": 401,
                                         "anon": 401, "forged": 401, "service": 200},
    {"personal_number": ANNA, "requested_by": "client", "request_id": str(uuid.uuid4())})
add("GET", "/cases/{case}/export", {"anna": 403, "cecilia": 403, **NO_ROLE, "lars": 404, "nils": 403, "karin": 200,
                                    "tove": 200}, route="/cases/{case_id}/export")
add("GET", "/cases/{protected_case}/export", {"karin": 404, "tove": 404, "maja": 200}, route="/cases/{case_id}/export")

# The post room: an administrator or the print-and-post operator (letters:print; tests/messaging/test_letters.py tries
# that token and every other kind against a day with letters). Everyone else the same 403, before anything is read.
NOT_POST = {"anna": 403, "cecilia": 403, "dana": 403, "karin": 403, "lars": 403, "maja": 403, "nils": 403,
            "tove": 403, "service": 403, "other-service": 401, "anon": 401, "forged": 401}
add("GET", "/letters/batches", {**NOT_POST, "adam": 200})
add("GET", "/letters/batches/2020-01-01", {**NOT_POST, "adam": 404}, route="/letters/batches/{day}")

ROWS = [row for rows in ROUTES.values() for row in rows]


def test_every_route_is_in_the_matrix(issuer):
    app = make_app("postgresql+asyncpg://unused/none", issuer)
    assert_every_route_listed(app, ROUTES, PUBLIC)


def test_every_protected_route_refuses_someone():
    assert_every_protected_route_refuses_someone(ROUTES, open_to_all=[("GET", "/whoami")])


@pytest.fixture(scope="module")
async def client(issuer):
    async with fresh_database("messaging") as url, app_client(make_app(url, issuer)) as c:
        yield c


@pytest.fixture(scope="module")
def headers_for(issuer, as_persona):
    return caller_headers(issuer, as_persona, "applications", "calculation")


@pytest.fixture(scope="module")
async def world(client, as_persona, headers_for):
    case, protected_case = uuid.uuid4(), uuid.uuid4()
    for body in (event("application.submitted", case),
                 event("application.submitted", protected_case, recipients=(DANA,), protected=True),
                 event("application.submitted", uuid.uuid4(), unit="syd", recipients=(CECILIA,))):
        r = await client.post("/events", json=body, headers={**headers_for("service"), "Idempotency-Key": body["id"]})
        assert r.status_code == 202, r.text

    async def thread(who: str, body: dict[str, Any]) -> str:
        r = await client.post("/threads", headers=as_persona(who), json=body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    household = await thread("anna", {"case_id": str(case), "subject": "Hushållet", "body": "Hej"})
    protected = await thread("dana", {"case_id": str(protected_case), "subject": "Skyddad", "body": "Hej"})
    syd = await thread("lars", {"personal_number": CECILIA, "subject": "Syd", "body": "Hej Cecilia"})
    up = await client.post(f"/threads/{household}/attachments", headers=as_persona("anna"),
                           files={"file": ("a.pdf", PDF)})
    assert up.status_code == 201, up.text
    sent = await client.post(f"/threads/{household}/messages", headers=as_persona("anna"),
                             json={"body": "Bilaga", "attachment_ids": [up.json()["id"]]})
    assert sent.status_code == 201, sent.text
    return {"household": household, "protected": protected, "syd": syd, "case": case,
            "protected_case": protected_case, "attachment": up.json()["id"], "message": sent.json()["id"]}


@pytest.mark.parametrize(("method", "path", "caller", "expected", "body"), ROWS,
                         ids=[f"{m} {p} {w}-{s}" for m, p, w, s, _ in ROWS])
async def test_access(client, headers_for, world, method, path, caller, expected, body):
    url = path.format(**world)
    kwargs: dict[str, Any] = {"headers": headers_for(caller)}
    if body == FILE:
        kwargs["files"] = {"file": ("b.pdf", PDF)}
    elif body is not None:
        kwargs["json"] = body(world) if callable(body) else body
    response = await client.request(method, url, **kwargs)
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.headers["content-type"] == PROBLEM
    assert_body_tells_nothing_more(response, caller, known=url + str(kwargs.get("json")),
                                   ids={k: v for k, v in world.items() if isinstance(v, str)})


@pytest.mark.parametrize("caller", ["cecilia", "dana", "lars", "nils"])
async def test_lists_hold_nothing_of_the_household(client, headers_for, world, caller):
    for query in ("", f"?case_id={world['case']}", "?view=unit", "?view=mine"):
        listed = (await client.get("/threads" + query, headers=headers_for(caller))).json()
        assert world["household"] not in {t["id"] for t in listed}, (caller, query)


@pytest.mark.parametrize("caller", ["karin", "tove", "anna"])
async def test_lists_hold_nothing_protected(client, headers_for, world, caller):
    for query in ("", f"?case_id={world['protected_case']}"):
        listed = (await client.get("/threads" + query, headers=headers_for(caller))).json()
        assert world["protected"] not in {t["id"] for t in listed}, (caller, query)


@pytest.mark.parametrize(("method", "path"), sorted(PUBLIC))
async def test_public_routes_answer_without_a_token(client, method, path):
    assert (await client.request(method, path)).status_code == 200


@pytest.mark.parametrize("mangle", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
@pytest.mark.parametrize("caller", ["anna", "karin"])
async def test_unknown_or_malformed_ids_are_never_a_500(client, headers_for, world, mangle, caller):
    for (method, route), rows in ROUTES.items():
        if "{" not in route or route.endswith("/stream"):
            continue
        body = rows[0][4]
        kwargs: dict[str, Any] = {"headers": headers_for(caller)}
        if body == FILE:
            kwargs["files"] = {"file": ("b.pdf", PDF)}
        elif body is not None:
            kwargs["json"] = body(world) if callable(body) else body
        url = route.format(**{name: mangle for name in ("thread_id", "message_id", "attachment_id", "case_id",
                                                          "day")})
        response = await client.request(method, url, **kwargs)
        assert 400 <= response.status_code < 500, (method, url, response.status_code, response.text)


async def test_a_thread_is_handed_only_to_a_colleague_of_the_unit(client, as_persona, service_headers):
    case = uuid.uuid4()
    body = event("application.submitted", case)
    assert (await client.post("/events", json=body, headers=service_headers(body))).status_code == 202
    made = await client.post("/threads", headers=as_persona("anna"),
                             json={"case_id": str(case), "subject": "Hyran", "body": "Hej"})
    assert made.status_code == 201, made.text
    thread = made.json()["id"]
    handed = await client.post(f"/threads/{thread}/assign", headers=as_persona("karin"), json={"to": "persona:lars"})
    assert handed.status_code in (200, 422), handed.text
    seen = await client.get(f"/threads/{thread}/messages", headers=as_persona("lars"))
    assert seen.status_code == 404, "a caseworker of another unit reads the household's messages"


@pytest.mark.parametrize("caller", ["cecilia", "lars"])
async def test_another_threads_attachment_cannot_be_sent_on(client, headers_for, world, caller):
    """Attaching the household's file to a message in one's own thread must not hand it over."""
    sent = await client.post(f"/threads/{world['syd']}/messages", headers=headers_for(caller),
                             json={"body": "Se bilaga", "attachment_ids": [world["attachment"]]})
    assert 400 <= sent.status_code < 500, sent.text
    got = await client.get(f"/threads/{world['syd']}/attachments/{world['attachment']}", headers=headers_for(caller))
    assert got.status_code == 404


async def test_an_uncleared_caseworker_cannot_open_a_thread_with_a_protected_client(client, headers_for, world):
    made = await client.post("/threads", headers=headers_for("karin"),
                             json={"personal_number": DANA, "subject": "Hej", "body": "Hur går det?"})
    if made.status_code == 201:  # what it leads to, for the report
        thread = made.json()["id"]
        assert (await client.get(f"/threads/{thread}", headers=headers_for("karin"))).status_code == 404
        assert (await client.get(f"/threads/{thread}", headers=headers_for("tove"))).status_code == 404
    assert made.status_code == 404, made.text
