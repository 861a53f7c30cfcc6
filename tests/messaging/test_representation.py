"""Ombud in messaging: a representative with the MESSAGES scope reads and writes in the client's threads, as the
client, recorded as themselves on the client's behalf; without it 403; ended, revoked or someone else's: 404."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from kit.db import make_engine
from tests.messaging.conftest import ANNA, make_app, make_known
from tests.representation_standin import OLLE, Applications, acting
from tests.support import app_client, fresh_database

pytestmark = pytest.mark.xdist_group("messaging-representation")


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("messaging") as url:
        yield url


@pytest.fixture(scope="module")
async def setup(db_url, issuer):
    app = make_app(db_url, issuer)
    applications = Applications()
    async with app_client(app) as c:
        applications.install(app)
        yield c, applications


async def test_a_representative_writes_for_the_client(setup, issuer, as_persona, service_headers, db_url):
    client, applications = setup
    case = await make_known(client, service_headers, ANNA)
    rid = applications.add(ANNA, ["read", "messages"])
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
    # Staff naming a representation: 400.
    r = await client.get("/threads", headers={**as_persona("karin"), "X-Representation": rid})
    assert r.status_code == 400

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


async def test_outside_the_scope_and_after_the_end(setup, issuer, service_headers):
    client, applications = setup
    await make_known(client, service_headers, ANNA)
    read_only = applications.add(ANNA, ["read", "meetings"])
    r = await client.get("/threads", headers=acting(issuer, read_only))
    assert r.status_code == 403 and r.json()["type"].endswith("representation-scope")
    ended = applications.add(ANNA, ["messages"], valid_until=dt.date(2020, 1, 1))
    other = applications.add(ANNA, ["messages"], representative="196507079801")
    unknown = await client.get("/threads", headers=acting(issuer, "6f1c2b1e-0000-4000-8000-000000000000"))
    assert unknown.status_code == 404
    for rid in (ended, other, "nonsense"):
        r = await client.get("/threads", headers=acting(issuer, rid))
        assert r.status_code == 404
        assert {k: r.json()[k] for k in ("type", "title", "detail")} == \
            {k: unknown.json()[k] for k in ("type", "title", "detail")}
        assert ANNA not in r.text
