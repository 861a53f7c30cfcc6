"""Ombud: staff register a representative; the representative acts for the client within the scopes, and gets the
same 404 as for an unknown id once it has ended or is revoked, or when it is someone else's; everything they do is
recorded as theirs, on the client's behalf."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.representation import HEADER
from gateway.admission import CORS_ALLOW_HEADERS
from kit.db import make_engine
from services.applications.domain import retention as policy
from services.applications.store.retention import cull_representations
from simulators.idp.personas import PERSONAS, Persona
from tests.applications.conftest import ANNA, Clock, couple, make_app, single, submitted_case
from tests.support import app_client

pytestmark = pytest.mark.xdist_group("representation")

GRETA = Persona("greta", "Greta Gustafsson", ("client",), personal_number="196507079801")  # the client, no e-ID use
OLLE = Persona("olle", "Olle Ombudsson", ("client",), personal_number="197001019806")  # her god man
STRANGERS = ("cecilia", "bertil", "dana")


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))


@pytest.fixture(scope="module")
async def client(db_url, issuer, registers, clock):
    async with app_client(make_app(db_url, issuer, clock, registers=registers)) as c:
        yield c


@pytest.fixture(scope="module")
def token(issuer):
    def headers(who: Persona | str, representation: str | None = None) -> dict[str, str]:
        persona = who if isinstance(who, Persona) else PERSONAS[who]
        h = {"Authorization": f"Bearer {issuer.persona_token(persona)}"}
        if representation is not None:
            h[HEADER] = representation
        return h

    return headers


def body_for(client_pnr: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"personal_number": client_pnr, "representative": OLLE.personal_number,
                            "representative_name": OLLE.name, "kind": "god_man", "scopes": ["read", "apply"],
                            "valid_until": "2026-06-30", "document": "beslut Solna tingsrätt 2026-02-20, Ä 123-26"}
    data.update(overrides)
    return data


def clean(text_: str, *people: str) -> None:
    for who in people:
        p = PERSONAS[who] if who in PERSONAS else {"greta": GRETA, "olle": OLLE}[who]
        assert p.personal_number not in text_, f"{who}'s personnummer in {text_}"
        assert p.personal_number[2:] not in text_
        assert p.name not in text_, f"{who}'s name in {text_}"


def same_404(a: Any, b: Any) -> None:
    assert a.status_code == b.status_code == 404, (a.text, b.text)
    ja, jb = a.json(), b.json()
    for key in ("type", "title", "detail", "status"):
        assert ja[key] == jb[key]


@pytest.fixture(scope="module")
async def anna_case(client, as_persona):
    return await submitted_case(client, as_persona, couple())


async def test_cors_allows_the_header():
    assert HEADER.lower().encode() in CORS_ALLOW_HEADERS


async def test_staff_routes_with_every_token_kind(client, token, service_auth, anna_case):
    body = body_for(ANNA, scopes=["read"], kind="fullmakt", document="fullmakt 2026-03-01")
    answers = {}
    for who in ("anna", "cecilia", "karin", "lars", "tove", "adam", "nils", "maja"):
        r = await client.post("/staff/representations", json=body, headers=token(who))
        answers[who] = r.status_code
        if r.status_code != 201:
            clean(r.text, "anna", "olle")
    for kind in ("applications", "messaging", "meetings", "payments"):
        r = await client.post("/staff/representations", json=body, headers=service_auth(kind))
        # (applications' own client has no token for itself: 401)
        assert r.status_code == (401 if kind == "applications" else 403), r.text
        clean(r.text, "anna", "olle")
    # Caseworkers and the team lead of Anna's unit, and the administrator; another unit's caseworker: the 404 of a
    # stranger; a client, an employment officer: 403.
    assert answers == {"anna": 403, "cecilia": 403, "karin": 201, "lars": 404, "tove": 201, "adam": 201,
                       "nils": 403, "maja": 201}
    stranger = await client.post("/staff/representations", json=body_for("197501029800"), headers=token("karin"))
    lars = await client.post("/staff/representations", json=body, headers=token("lars"))
    same_404(stranger, lars)

    listed = {}
    for who in ("anna", "cecilia", "karin", "lars", "tove", "adam", "nils"):
        r = await client.get("/staff/representations", params={"personal_number": ANNA}, headers=token(who))
        listed[who] = r.status_code
        if r.status_code != 200:
            clean(r.text, "anna", "olle")
    assert listed == {"anna": 403, "cecilia": 403, "karin": 200, "lars": 404, "tove": 200, "adam": 200, "nils": 403}
    r = await client.get("/staff/representations", params={"personal_number": ANNA}, headers=service_auth("messaging"))
    assert r.status_code == 403
    r = await client.get("/staff/representations", params={"personal_number": ANNA}, headers=token("karin"))
    items = r.json()["items"]
    assert len(items) == 4 and {i["status"] for i in items} == {"active"}
    clean(r.text, "bertil", "cecilia", "greta")

    rid = items[0]["id"]
    for who in ("anna", "nils"):
        assert (await client.post(f"/staff/representations/{rid}/revoke", headers=token(who))).status_code == 403
    assert (await client.post(f"/staff/representations/{rid}/revoke",
                              headers=service_auth("messaging"))).status_code == 403
    theirs = await client.post(f"/staff/representations/{rid}/revoke", headers=token("lars"))
    unknown = await client.post(f"/staff/representations/{uuid.uuid4()}/revoke", headers=token("karin"))
    same_404(theirs, unknown)
    clean(theirs.text, "anna", "olle")
    done = await client.post(f"/staff/representations/{rid}/revoke", headers=token("karin"))
    assert done.status_code == 200 and done.json()["status"] == "revoked"


async def test_validation_problems(client, token, anna_case):
    cases = {
        "representation-self": body_for(ANNA, representative=ANNA),
        "representation-ended": body_for(ANNA, valid_until="2026-03-01"),
        "representation-dates": body_for(ANNA, valid_from="2026-07-01"),
    }
    for slug, body in cases.items():
        r = await client.post("/staff/representations", json=body, headers=token("karin"))
        assert r.status_code == 422, r.text
        assert r.json()["type"].endswith(slug), r.text
    for missing in ({"scopes": []}, {"valid_until": None}, {"kind": "uncle"}, {"document": ""}):
        r = await client.post("/staff/representations", json=body_for(ANNA, **missing), headers=token("karin"))
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
    r = await client.post("/staff/representations", json={k: v for k, v in body_for(ANNA).items()
                                                          if k != "valid_until"}, headers=token("karin"))
    assert r.status_code == 422


async def test_a_god_man_applies_for_the_client(client, token, db_url, clock):
    # Greta has no case yet: the administrator registers her god man.
    made = await client.post("/staff/representations", headers=token("adam"), json=body_for(
        GRETA.personal_number, client_name=GRETA.name, scopes=["read", "apply"]))
    assert made.status_code == 201, made.text
    rid = made.json()["id"]

    mine = await client.get("/me/representations", headers=token(OLLE))
    assert mine.status_code == 200
    [item] = [i for i in mine.json()["items"] if i["id"] == rid]
    assert item == {"id": rid, "client_name": GRETA.name, "kind": "god_man", "scopes": ["read", "apply"],
                    "valid_from": "2026-03-02", "valid_until": "2026-06-30"}
    assert GRETA.personal_number not in mine.text
    theirs = await client.get("/me/representatives", headers=token(GRETA))
    [rep] = theirs.json()["items"]
    assert rep["representative_name"] == OLLE.name and rep["scopes"] == ["read", "apply"]
    assert OLLE.personal_number not in theirs.text
    for who in ("anna", "cecilia"):  # (Olle acts for Anna too: she sees his name, nothing of Greta)
        for path in ("/me/representations", "/me/representatives"):
            r = await client.get(path, headers=token(who))
            assert r.status_code == 200
            clean(r.text, "greta", *(("olle",) if who == "cecilia" else ()))
    for who in ("karin", "adam"):
        assert (await client.get("/me/representations", headers=token(who))).status_code == 403

    acting = token(OLLE, rid)
    created = await client.post("/applications", json=single(GRETA.personal_number), headers=acting)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    assert (await client.post(f"/applications/{case_id}/signatures", headers=acting)).status_code == 201
    submitted = await client.post(f"/applications/{case_id}/submit", headers=acting)
    assert submitted.status_code == 200, submitted.text
    assert (await client.get(f"/applications/{case_id}", headers=acting)).status_code == 200
    assert (await client.get("/me/cases", headers=acting)).json()["items"][0]["id"] == case_id

    history = (await client.get(f"/applications/{case_id}/history", headers=token("karin"))).json()["items"]
    steps = {h["event"]: h for h in history}
    for event in ("create", "sign", "submit"):
        assert steps[event]["on_behalf"] == {"id": rid, "kind": "god_man", "for": "client"}, steps[event]
        assert steps[event]["actor"].startswith(OLLE.sub)

    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT actor, actor_roles, action, details FROM audit_log WHERE details->>'on_behalf_of' = :p "
                "ORDER BY id"), {"p": GRETA.personal_number})).mappings().all()
            signature = (await conn.execute(text("SELECT personal_number, method, recorded_by FROM signatures "
                                                 "WHERE case_id = :c"), {"c": case_id})).mappings().one()
    finally:
        await engine.dispose()
    assert {r["actor"] for r in rows} == {OLLE.sub}
    assert {r["actor_roles"] for r in rows} == {"representative"}
    actions = [r["action"] for r in rows]
    for action in ("create", "sign-for-client", "submit"):
        assert action in actions, actions
    assert all(r["details"]["representation"] == {"id": rid, "kind": "god_man"} for r in rows)
    assert signature["personal_number"] == GRETA.personal_number
    assert signature["recorded_by"].startswith(OLLE.sub) and rid in signature["recorded_by"]

    # Beyond the scopes: messages and meetings are not in it; contact details and the register extract never are.
    for method, path in (("put", "/me/profile"), ("get", "/me/profile"), ("post", "/me/registerutdrag"),
                         ("get", "/me/representatives"), ("get", "/me/invitations")):
        r = await client.request(method.upper(), path, headers=acting, json={} if method == "put" else None)
        assert r.status_code == 403, (path, r.text)
        assert r.json()["type"].endswith("representation-scope")
        clean(r.text, "greta")
    # Staff naming a representation: 400.
    r = await client.get(f"/applications/{case_id}", headers=token("karin", rid))
    assert r.status_code == 400 and r.json()["type"].endswith("representation-not-for-staff")

    # Someone else's id, a made-up one, garbage: the same 404.
    unknown = await client.get(f"/applications/{case_id}", headers=token(OLLE, str(uuid.uuid4())))
    for other in (token("cecilia", rid), token(GRETA, rid), token(OLLE, "not-an-id")):
        same_404(await client.get(f"/applications/{case_id}", headers=other), unknown)
        clean(unknown.text, "greta", "olle")
    # Olle without the header is himself: Greta's case is not his.
    assert (await client.get(f"/applications/{case_id}", headers=token(OLLE))).status_code == 404

    # The end date passes (Swedish time): the same 404 as an unknown id.
    saved = clock.now
    clock.now = dt.datetime(2026, 6, 30, 21, 30, tzinfo=dt.UTC)  # 23:30 in Stockholm: the last day
    assert (await client.get(f"/applications/{case_id}", headers=acting)).status_code == 200
    clock.now = dt.datetime(2026, 6, 30, 22, 30, tzinfo=dt.UTC)  # 00:30 on 1 July in Stockholm
    same_404(await client.get(f"/applications/{case_id}", headers=acting), unknown)
    assert (await client.get("/me/representations", headers=token(OLLE))).json()["items"] == []
    clock.now = saved

    # Revoked: the same 404 at once.
    assert (await client.post(f"/staff/representations/{rid}/revoke", headers=token("adam"))).status_code == 200
    same_404(await client.get(f"/applications/{case_id}", headers=acting), unknown)
    assert (await client.get("/me/representatives", headers=token(GRETA))).json()["items"] == []


async def test_read_only_representative(client, token, anna_case):
    made = await client.post("/staff/representations", headers=token("karin"), json=body_for(
        ANNA, kind="fullmakt", scopes=["read"], document="fullmakt 2026-03-01"))
    rid = made.json()["id"]
    acting = token(OLLE, rid)
    case_id = anna_case["id"]
    r = await client.get(f"/applications/{case_id}", headers=acting)
    assert r.status_code == 200, r.text
    assert (await client.get(f"/me/cases/{case_id}", headers=acting)).status_code == 200
    for method, path in (("post", f"/applications/{case_id}/withdraw"), ("post", "/applications/monthly"),
                         ("post", f"/applications/{case_id}/answer-info")):
        r = await client.request(method.upper(), path, headers=acting, json={"month": "2026-04"})
        assert r.status_code == 403, (path, r.text)
        assert r.json()["type"].endswith("representation-scope")
    # Another client's case under Anna's representation: the case's own 404.
    other = await client.post("/applications", json=single(PERSONAS["cecilia"].personal_number),
                              headers=token("cecilia"))
    r = await client.get(f"/applications/{other.json()['id']}", headers=acting)
    assert r.status_code == 404
    clean(r.text, "cecilia")


async def test_a_fullmakt_with_apply_prepares_but_does_not_sign(client, token, anna_case):
    made = await client.post("/staff/representations", headers=token("karin"), json=body_for(
        ANNA, kind="fullmakt", scopes=["read", "apply"], document="fullmakt 2026-03-01"))
    acting = token(OLLE, made.json()["id"])
    monthly = await client.post("/applications/monthly", json={"month": "2026-04"}, headers=acting)
    assert monthly.status_code == 201, monthly.text
    r = await client.post(f"/applications/{monthly.json()['id']}/signatures", headers=acting)
    assert r.status_code == 403 and r.json()["type"].endswith("representative-may-not-sign")


async def test_resolve_for_services(client, token, service_auth):
    made = await client.post("/staff/representations", headers=token("adam"), json=body_for(
        GRETA.personal_number, scopes=["messages", "meetings"]))
    rid = made.json()["id"]
    ask = {"representation_id": rid, "representative": OLLE.personal_number}
    for who in ("messaging", "meetings"):
        r = await client.post("/internal/representations/resolve", json=ask, headers=service_auth(who))
        assert r.status_code == 200, r.text
        assert r.json() == {"representation_id": rid, "client": GRETA.personal_number, "kind": "god_man",
                            "scopes": ["messages", "meetings"], "valid_until": "2026-06-30"}
    for headers in (service_auth("applications"), service_auth("payments"), token("karin"), token(OLLE)):
        r = await client.post("/internal/representations/resolve", json=ask, headers=headers)
        assert r.status_code in (401, 403)
        clean(r.text, "greta")
    wrong = await client.post("/internal/representations/resolve", headers=service_auth("messaging"), json={
        "representation_id": rid, "representative": PERSONAS["cecilia"].personal_number})
    unknown = await client.post("/internal/representations/resolve", headers=service_auth("messaging"), json={
        "representation_id": str(uuid.uuid4()), "representative": OLLE.personal_number})
    same_404(wrong, unknown)
    clean(wrong.text, "greta", "cecilia")


async def test_a_god_man_submits_the_monthly_application(client, token, anna_case, db_url):
    """Anna's god man makes April's re-application, signs it for her (Bertil signs himself) and submits it."""
    made = await client.post("/staff/representations", headers=token("karin"), json=body_for(ANNA))
    rid = made.json()["id"]
    acting = token(OLLE, rid)
    monthly = await client.post("/applications/monthly", json={"month": "2026-06"}, headers=acting)
    assert monthly.status_code == 201, monthly.text
    case_id = monthly.json()["id"]
    draft = (await client.get(f"/applications/{case_id}", headers=acting)).json()
    content = draft["content"]
    content["incomes"] = {"none_declared": True}
    content["assets"] = {"none_declared": True}
    saved = await client.put(f"/applications/{case_id}", json=content, headers={**acting, "If-Match": monthly.headers[
        "etag"]})
    assert saved.status_code == 200, saved.text
    assert (await client.post(f"/applications/{case_id}/signatures", headers=acting)).status_code == 201
    assert (await client.post(f"/applications/{case_id}/signatures", headers=token("bertil"))).status_code == 201
    submitted = await client.post(f"/applications/{case_id}/submit", headers=acting)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"
    history = (await client.get(f"/applications/{case_id}/history", headers=acting)).json()["items"]
    by_olle = [h for h in history if h.get("on_behalf")]
    assert {h["event"] for h in by_olle} >= {"create", "sign", "submit"}
    bertils = [h for h in history if h["event"] == "sign" and not h.get("on_behalf")]
    assert len(bertils) == 1 and bertils[0]["actor"] == PERSONAS["bertil"].sub
    # What Olle sees of the case is Anna's household's: nothing of anyone else.
    clean(submitted.text, "cecilia", "dana", "greta")


async def test_the_lists_with_every_token_kind(client, token, service_auth):
    for path in ("/me/representations", "/me/representatives"):
        for who in ("karin", "lars", "tove", "adam", "nils"):
            r = await client.get(path, headers=token(who))
            assert r.status_code == 403, (path, who)
            clean(r.text, "anna", "greta", "olle")
        for kind in ("messaging", "meetings", "payments"):
            r = await client.get(path, headers=service_auth(kind))
            assert r.status_code == 403
        assert (await client.get(path)).status_code == 401
    # A client with no representation either way: empty lists.
    for path in ("/me/representations", "/me/representatives"):
        r = await client.get(path, headers=token("dana"))
        assert r.status_code == 200 and r.json() == {"items": []}


async def test_the_register_extract_shows_the_representations_by_name(client, token):
    # Its own representation: another module's gallring run (a far-future clock) may have culled earlier ones.
    made = await client.post("/staff/representations", headers=token("adam"), json=body_for(
        GRETA.personal_number, client_name=GRETA.name))
    assert made.status_code == 201, made.text
    for who, other, name in ((GRETA, OLLE, OLLE.name), (OLLE, GRETA, GRETA.name)):
        made = await client.post("/me/registerutdrag", headers=token(who))
        assert made.status_code == 201, made.text
        extract = await client.get(made.json()["json"], headers=token(who))
        assert extract.status_code == 200, extract.text
        part = next(p for p in extract.json()["parts"] if p["service"] == "applications")
        section = next(s for s in part["sections"] if s["key"] == "representations")
        assert section["items"], section
        assert name in str(section)
        assert other.personal_number not in extract.text and other.personal_number[2:] not in extract.text


async def test_gallring_culls_an_ended_representation_once_no_case_names_the_client(client, token, db_url,
                                                                                    anna_case):
    lone = "195511119819"  # no case here
    for who in (lone, ANNA):
        made = await client.post("/staff/representations", headers=token("adam"), json=body_for(who))
        assert made.status_code == 201, made.text
    rule = next(r for r in policy.RULES if r.record == policy.REPRESENTATIONS)
    engine = make_engine(db_url)
    try:
        async with engine.begin() as conn, AsyncSession(bind=conn) as session:
            soon = dt.datetime(2026, 6, 30, tzinfo=dt.UTC)  # before it ends: kept
            assert await cull_representations(session, rule, soon, soon, 100) == 0
            later = dt.datetime(2040, 1, 1, tzinfo=dt.UTC)
            assert await cull_representations(session, rule, later, later, 100) >= 1
            left = (await session.execute(text("SELECT client_pnr FROM representations"))).scalars().all()
    finally:
        await engine.dispose()
    assert lone not in left
    assert ANNA in left  # her case still names her


async def test_registering_again_with_the_same_key_gives_the_first_answer(client, token, anna_case):
    headers = {**token("karin"), "Idempotency-Key": "ombud-1"}
    body = body_for(ANNA, scopes=["meetings"])
    first = await client.post("/staff/representations", json=body, headers=headers)
    again = await client.post("/staff/representations", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    other = await client.post("/staff/representations", json={**body, "scopes": ["read"]}, headers=headers)
    assert other.status_code == 422 and other.json()["type"].endswith("idempotency-key-reused")


async def test_the_representative_is_only_the_client_of_the_representation(client, token, anna_case):
    """Olle is a client himself (his own application) and represents Anna and Cecilia: under Anna's representation he
    is Anna, nothing of his own and nothing of Cecilia's; under Cecilia's nothing of Anna's; as himself neither."""
    own = await client.post("/applications", json=single(OLLE.personal_number), headers=token(OLLE))
    assert own.status_code == 201, own.text
    cecilias = await client.post("/applications", json=single(PERSONAS["cecilia"].personal_number,
                                                                         period="2026-05"), headers=token("cecilia"))
    assert cecilias.status_code == 201, cecilias.text
    ids = {"olle": own.json()["id"], "anna": anna_case["id"], "cecilia": cecilias.json()["id"]}

    async def representation(pnr: str, scopes: list[str]) -> str:
        made = await client.post("/staff/representations", headers=token("adam"), json=body_for(pnr, scopes=scopes))
        assert made.status_code == 201, made.text
        return str(made.json()["id"])

    for_anna = token(OLLE, await representation(ANNA, ["read", "apply"]))
    for_cecilia = token(OLLE, await representation(PERSONAS["cecilia"].personal_number, ["read", "apply"]))
    himself = token(OLLE)

    async def cases(headers: dict[str, str]) -> set[str]:
        r = await client.get("/me/cases", headers=headers)
        assert r.status_code == 200, r.text
        return {c["id"] for c in r.json()["items"]}

    assert ids["anna"] in await cases(for_anna) and not await cases(for_anna) & {ids["olle"], ids["cecilia"]}
    assert ids["cecilia"] in await cases(for_cecilia) and not await cases(for_cecilia) & {ids["olle"], ids["anna"]}
    assert ids["olle"] in await cases(himself) and not await cases(himself) & {ids["anna"], ids["cecilia"]}

    unknown = await client.get(f"/applications/{uuid.uuid4()}", headers=for_anna)
    for headers, whose in ((for_anna, "olle"), (for_anna, "cecilia"), (for_cecilia, "anna"), (for_cecilia, "olle"),
                           (himself, "anna"), (himself, "cecilia")):
        for method, path in (("GET", f"/applications/{ids[whose]}"), ("GET", f"/me/cases/{ids[whose]}"),
                             ("POST", f"/applications/{ids[whose]}/withdraw"),
                             ("POST", f"/applications/{ids[whose]}/signatures")):
            r = await client.request(method, path, headers=headers, json={} if method == "POST" else None)
            assert r.status_code in (403, 404), (whose, path, r.text)
            if r.status_code == 404:
                same_404(r, unknown)
            clean(r.text, "anna", "cecilia")
            assert OLLE.personal_number not in r.text
    # Nothing was withdrawn or signed by the mixing.
    for whose in ("anna", "cecilia", "olle"):
        r = await client.get(f"/applications/{ids[whose]}", headers=token("adam"))
        assert r.json()["status"] not in ("withdrawn",), r.text


async def test_the_clients_idempotent_answers_are_not_the_representatives(client, token, anna_case):
    """An Idempotency-Key the client used is no key to her stored answer for her representative (kit.auth: a
    representative's subject is their own and the representation's)."""
    key = str(uuid.uuid4())
    hers = await client.post("/applications/monthly", json={"month": "2026-09"},
                             headers={**token("anna"), "Idempotency-Key": key})
    assert hers.status_code == 201, hers.text
    made = await client.post("/staff/representations", headers=token("adam"), json=body_for(ANNA))
    acting = {**token(OLLE, made.json()["id"]), "Idempotency-Key": key}
    same = await client.post("/applications/monthly", json={"month": "2026-09"}, headers=acting)
    # His own request: September's application is already there (409), not her stored 201.
    assert same.status_code == 409 and same.json()["type"].endswith("application-exists"), same.text
    other = await client.post("/applications/monthly", json={"month": "2026-10"}, headers=acting)
    assert other.status_code != 422 or not other.json()["type"].endswith("idempotency-key-reused"), other.text
    assert other.status_code == 201, other.text
