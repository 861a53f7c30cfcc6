"""Ombud in messaging: a representative with the MESSAGES scope reads and writes in the client's threads, as the
client, recorded as themselves on the client's behalf; without it 403; ended, revoked or someone else's: 404.

The representation is the real one: registered through applications' staff route, resolved by messaging over
HTTP with its own service token (tests/representatives.py), kept at most a minute, the end date compared on every
use. The clock is the test's, in both services."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

import pytest
from sqlalchemy import text

from kit.db import make_engine
from simulators.idp.personas import PERSONAS
from tests.messaging.conftest import ANNA, CECILIA, DANA, Clock, make_app, make_known
from tests.representatives import OLLE, acting, own, served_applications
from tests.support import app_client, fresh_database

pytestmark = pytest.mark.xdist_group("messaging-representation")

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")
UNKNOWN = "6f1c2b1e-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("messaging") as url:
        yield url


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(autouse=True)
def _now(clock):
    """Every test starts at the real time (the events messaging is told of happened a minute ago)."""
    clock.now = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
async def setup(db_url, issuer, registers, clock):
    async with served_applications(issuer, registers, clock) as applications:
        app = make_app(db_url, issuer, clock, **applications.service_settings("messaging"))
        async with app_client(app) as c:
            yield c, applications


def same_404(r, unknown) -> None:
    assert r.status_code == unknown.status_code == 404, (r.text, unknown.text)
    assert {k: r.json()[k] for k in ("type", "title", "detail", "status")} == \
        {k: unknown.json()[k] for k in ("type", "title", "detail", "status")}
    assert ANNA not in r.text and CECILIA not in r.text


async def test_a_representative_writes_for_the_client(setup, issuer, as_persona, service_headers, db_url):
    client, applications = setup
    case = await make_known(client, service_headers, ANNA)
    rid = await applications.register(ANNA, ["read", "messages"])
    h = acting(issuer, rid)
    made = await client.post("/threads", headers=h, json={"case_id": str(case), "subject": "Hyran", "body": "Hej"})
    assert made.status_code == 201, made.text
    thread = made.json()["id"]
    sent = await client.post(f"/threads/{thread}/messages", headers=h, json={"body": "Från god man"})
    assert sent.status_code == 201, sent.text
    # Anna sees the thread as hers.
    mine = await client.get("/threads", headers=as_persona("anna"))
    assert thread in {t["id"] for t in mine.json()}
    assert (await client.get(f"/threads/{thread}/messages", headers=h)).status_code == 200
    # The caseworker sees who wrote it: the representative, by name (not as Anna).
    staff_view = (await client.get(f"/threads/{thread}/messages", headers=as_persona("karin"))).json()
    assert staff_view[-1]["sender_name"] == OLLE.name and staff_view[-1]["sender"].startswith(OLLE.sub)
    annas = (await client.get(f"/threads/{thread}/messages", headers=as_persona("anna"))).json()
    assert annas[-1]["mine"] is False and annas[-1]["sender_name"] == OLLE.name
    # Contact details are the client's own: no scope reaches them.
    r = await client.get("/me/contact", headers=h)
    assert r.status_code == 403 and r.json()["type"].endswith("representation-scope")
    # Staff and services naming a representation: 400, whatever the id.
    for who in ("karin", "tove", "adam"):
        for named in (rid, UNKNOWN, "nonsense"):
            r = await client.get("/threads", headers={**as_persona(who), "X-Representation": named})
            assert r.status_code == 400 and r.json()["type"].endswith("representation-not-for-staff"), r.text
            assert ANNA not in r.text
    r = await client.get("/threads", headers={**service_headers(), "X-Representation": rid})
    assert r.status_code == 400 and ANNA not in r.text

    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT actor, actor_roles, details FROM audit_log WHERE details->>'on_behalf_of' = :p"),
                {"p": ANNA})).mappings().all()
    finally:
        await engine.dispose()
    assert rows and {r["actor"] for r in rows} == {OLLE.sub}
    assert all(r["details"]["representation"]["id"] == rid for r in rows)


async def test_outside_the_scope_someone_elses_and_malformed(setup, issuer, service_headers):
    client, applications = setup
    await make_known(client, service_headers, ANNA)
    read_only = await applications.register(ANNA, ["read", "meetings"])
    r = await client.get("/threads", headers=acting(issuer, read_only))
    assert r.status_code == 403 and r.json()["type"].endswith("representation-scope")
    other = await applications.register(ANNA, ["messages"], representative=PERSONAS["bertil"])
    unknown = await client.get("/threads", headers=acting(issuer, UNKNOWN))
    assert unknown.status_code == 404
    malformed = ("nonsense", "", " ", "0" * 5000, f"{{{UNKNOWN}}}", f"urn:uuid:{UNKNOWN}", UNKNOWN + "\t",
                 ("ÅÄÖ-" + UNKNOWN).encode(), "1; DROP TABLE representations", "../../" + UNKNOWN)
    for rid in (other, *malformed):
        r = await client.get("/threads", headers={**own(issuer), "X-Representation": rid})
        same_404(r, unknown)
    # The real id of a representation of Olle's, spelt otherwise than it was given out: no such id.
    mine = await applications.register(ANNA, ["messages"])
    assert (await client.get("/threads", headers=acting(issuer, mine.upper()))).status_code == 200
    for spelling in (f"{{{mine}}}", f"{{{mine}", f"urn:uuid:{mine}", mine.replace("-", ""), f"{mine},",
                     mine * 2):
        same_404(await client.get("/threads", headers={**own(issuer), "X-Representation": spelling}), unknown)
    # The representation is Bertil's: Anna herself (its client) cannot name it either.
    same_404(await client.get("/threads", headers=acting(issuer, other, PERSONAS["anna"])), unknown)


async def test_revoked_is_the_unknown_404_once_the_cache_has_expired(setup, issuer, service_headers, clock):
    client, applications = setup
    await make_known(client, service_headers, ANNA)
    rid = await applications.register(ANNA, ["messages"])
    h = acting(issuer, rid)
    assert (await client.get("/threads", headers=h)).status_code == 200
    await applications.revoke(rid)
    unknown = await client.get("/threads", headers=acting(issuer, UNKNOWN))
    # Within the minute messaging may still use its answer (contracts.representation.CACHE_SECONDS)...
    clock.advance(seconds=30)
    assert (await client.get("/threads", headers=h)).status_code == 200
    # ...and not a moment longer: then the same 404 as an id that never was.
    clock.advance(seconds=31)
    same_404(await client.get("/threads", headers=h), unknown)


async def test_the_end_date_passing_while_cached(setup, issuer, service_headers, clock):
    client, applications = setup
    await make_known(client, service_headers, ANNA)
    today = dt.datetime.now(STOCKHOLM).date()
    clock.now = dt.datetime.combine(today, dt.time(23, 59, 40), STOCKHOLM).astimezone(dt.UTC)
    rid = await applications.register(ANNA, ["messages"], valid_until=today)
    h = acting(issuer, rid)
    assert (await client.get("/threads", headers=h)).status_code == 200  # asked, and kept for a minute
    unknown = await client.get("/threads", headers=acting(issuer, UNKNOWN))
    clock.advance(seconds=30)  # 00:00:10 the next day in Stockholm: the answer is still cached, the day is over
    same_404(await client.get("/threads", headers=h), unknown)


async def test_the_representative_is_only_the_client_of_the_representation(setup, issuer, as_persona,
                                                                            service_headers):
    """Olle is a client himself, and represents Anna and Cecilia: under Anna's representation he is Anna, nothing
    of his own and nothing of Cecilia's; under Cecilia's, nothing of Anna's; as himself, nothing of either."""
    client, applications = setup
    annas_case = await make_known(client, service_headers, ANNA)
    cecilias_case = await make_known(client, service_headers, CECILIA)
    olles_case = await make_known(client, service_headers, OLLE.personal_number)
    for_anna = acting(issuer, await applications.register(ANNA, ["messages"]))
    for_cecilia = acting(issuer, await applications.register(CECILIA, ["messages"]))
    himself = own(issuer)

    olles = await client.post("/threads", headers=himself, json={"case_id": str(olles_case), "subject": "Mitt",
                                                                  "body": "Mitt eget ärende"})
    assert olles.status_code == 201, olles.text
    annas = await client.post("/threads", headers=for_anna, json={"case_id": str(annas_case), "subject": "Annas",
                                                                  "body": "För Anna"})
    assert annas.status_code == 201, annas.text
    cecilias = await client.post("/threads", headers=for_cecilia, json={
        "case_id": str(cecilias_case), "subject": "Cecilias", "body": "För Cecilia"})
    assert cecilias.status_code == 201, cecilias.text
    olle_t, anna_t, cecilia_t = (t.json()["id"] for t in (olles, annas, cecilias))

    def ids(r) -> set[str]:
        assert r.status_code == 200, r.text
        return {t["id"] for t in r.json()}

    assert ids(await client.get("/threads", headers=for_anna)) >= {anna_t}
    assert not ids(await client.get("/threads", headers=for_anna)) & {olle_t, cecilia_t}
    assert not ids(await client.get("/threads", headers=for_cecilia)) & {olle_t, anna_t}
    assert ids(await client.get("/threads", headers=himself)) & {anna_t, cecilia_t} == set()

    # Mixing a representation with the other client's case or thread: the thread's own 404.
    missing = await client.get(f"/threads/{uuid.uuid4()}", headers=for_anna)
    assert missing.status_code == 404
    for headers, thread in ((for_anna, olle_t), (for_anna, cecilia_t), (for_cecilia, anna_t),
                            (himself, anna_t), (himself, cecilia_t)):
        for method, path, body in (("GET", f"/threads/{thread}", None), ("GET", f"/threads/{thread}/messages", None),
                                   ("POST", f"/threads/{thread}/messages", {"body": "blandat"})):
            r = await client.request(method, path, headers=headers, json=body)
            assert r.status_code == 404, (method, path, r.text)
            assert r.json()["type"] == missing.json()["type"]
            assert ANNA not in r.text and CECILIA not in r.text and "Annas" not in r.text
    r = await client.post("/threads", headers=for_cecilia, json={"case_id": str(annas_case), "subject": "x",
                                                                 "body": "x"})
    assert r.status_code in (404, 422), r.text
    assert ANNA not in r.text
    r = await client.post("/threads", headers=for_anna, json={"case_id": str(olles_case), "subject": "x",
                                                              "body": "x"})
    assert r.status_code in (404, 422), r.text
    assert OLLE.personal_number not in r.text


async def test_the_clients_idempotent_answers_are_not_the_representatives(setup, issuer, as_persona,
                                                                          service_headers):
    """An Idempotency-Key the client used is no key to the client's stored answer for their representative."""
    client, applications = setup
    case = await make_known(client, service_headers, ANNA)
    anna = as_persona("anna")
    made = await client.post("/threads", headers=anna, json={"case_id": str(case), "subject": "Egen",
                                                             "body": "Annas egen"})
    thread = made.json()["id"]
    key = str(uuid.uuid4())
    hers = await client.post(f"/threads/{thread}/messages", headers={**anna, "Idempotency-Key": key},
                             json={"body": "Annas hemlighet"})
    assert hers.status_code == 201, hers.text
    h = acting(issuer, await applications.register(ANNA, ["messages"]))
    first = await client.post(f"/threads/{thread}/messages", headers={**h, "Idempotency-Key": key},
                              json={"body": "Annas hemlighet"})  # her key, her body: a message of his own
    assert first.status_code == 201, first.text
    assert first.json()["id"] != hers.json()["id"] and first.json()["sender_name"] == OLLE.name
    again = await client.post(f"/threads/{thread}/messages", headers={**h, "Idempotency-Key": key},
                              json={"body": "Annas hemlighet"})
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]  # his own answer, replayed
    # The same for a new thread.
    started = await client.post("/threads", headers={**anna, "Idempotency-Key": key},
                                json={"case_id": str(case), "subject": "Hemligt", "body": "Bara jag"})
    assert started.status_code == 201
    theirs = await client.post("/threads", headers={**h, "Idempotency-Key": key},
                               json={"case_id": str(case), "subject": "Hemligt", "body": "Bara jag"})
    assert theirs.status_code == 201 and theirs.json()["id"] != started.json()["id"]


async def test_a_protected_clients_thread_stays_hidden_when_her_representative_writes(setup, issuer, as_persona,
                                                                                      service_headers):
    """The representative's token says nothing of the client's protection: the case does, and the thread they start
    for a protected client is as hidden from uncleared staff as one she starts herself."""
    client, applications = setup
    case = await make_known(client, service_headers, DANA, protected=True)
    await applications.apply("dana")  # her case in applications: cleared staff of her unit register for her
    h = acting(issuer, await applications.register(DANA, ["messages"], staff="maja"))
    made = await client.post("/threads", headers=h, json={"case_id": str(case), "subject": "Brev", "body": "Hej"})
    assert made.status_code == 201, made.text
    thread = made.json()["id"]
    assert (await client.get(f"/threads/{thread}", headers=as_persona("karin"))).status_code == 404
    assert thread not in (await client.get("/threads", headers=as_persona("karin"))).text
    assert (await client.get(f"/threads/{thread}", headers=as_persona("maja"))).status_code == 200
