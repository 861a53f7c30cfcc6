"""Ombud in meetings: a representative with the MEETINGS scope books, sees and cancels the client's meetings, as the
client, recorded as themselves on the client's behalf; without it 403; after the end date (Swedish time, compared
on every use even from the cache), revoked (once the cached answer has expired) or someone else's: 404.

The representation is the real one: registered through applications' staff route, resolved by meetings over HTTP
with its own service token (tests/representatives.py). Both services run on the test's clock."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from simulators.idp.personas import PERSONAS
from tests.meetings.conftest import ANNA, CECILIA, KARIN, make_app, setup_nord, sql, sthlm
from tests.representatives import OLLE, acting, own, served_applications
from tests.support import app_client, fresh_database

pytestmark = pytest.mark.xdist_group("meetings-representation")

UNKNOWN = "6f1c2b1e-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
async def env(issuer, as_persona, clock, owner, registers):
    async with fresh_database("meetings") as url, served_applications(issuer, registers, clock) as applications:
        app = make_app(url, issuer, clock, owner=owner, **applications.service_settings("meetings"))
        async with app_client(app) as client:
            nord = await setup_nord(client, as_persona)
            yield client, nord, url, applications


@pytest.fixture(autouse=True)
def _start(monday_morning):
    """Every test starts on Monday morning (conftest)."""


def same_404(r, unknown) -> None:
    assert r.status_code == unknown.status_code == 404, (r.text, unknown.text)
    assert {k: r.json()[k] for k in ("type", "title", "detail", "status")} == \
        {k: unknown.json()[k] for k in ("type", "title", "detail", "status")}
    assert ANNA not in r.text and CECILIA not in r.text


def visit(nord, day: int, hour: int) -> dict:
    return {"meeting_type_id": nord.visit, "caseworker_id": KARIN, "start": sthlm(2026, 3, day, hour).isoformat(),
            "channel": "in_person"}


async def test_a_representative_books_for_the_client(env, issuer, as_persona):
    client, nord, url, applications = env
    rid = await applications.register(ANNA, ["meetings"], valid_until=dt.date(2026, 3, 31))
    h = acting(issuer, rid)
    r = await client.post("/bookings", headers=h, json=visit(nord, 17, 10))
    assert r.status_code == 201, r.text
    booking = r.json()
    mine = await client.get("/me/bookings", headers=as_persona("anna"))
    assert booking["id"] in {b["id"] for b in mine.json()}
    assert (await client.get(f"/bookings/{booking['id']}", headers=h)).status_code == 200
    rows = await sql(url, "SELECT actor, actor_roles, details FROM audit_log WHERE details->>'on_behalf_of' = :p",
                     p=ANNA)
    assert rows and {r.actor for r in rows} == {OLLE.sub}
    # Staff routes: 403 (no scope); staff and services with the header: 400, whatever the id.
    assert (await client.get("/units/nord/calendar", headers=h)).status_code == 403
    for who in ("karin", "tove", "adam"):
        for named in (rid, UNKNOWN, "nonsense"):
            r = await client.get("/me/bookings", headers={**as_persona(who), "X-Representation": named})
            assert r.status_code == 400 and r.json()["type"].endswith("representation-not-for-staff"), r.text
    # The representative cancels it for her.
    cancelled = await client.post(f"/bookings/{booking['id']}/cancel", headers=h, json={"reason": "förhindrad"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"


async def test_outside_the_scope_after_the_end_and_someone_elses(env, issuer, clock):
    client, _, _, applications = env
    messages_only = await applications.register(ANNA, ["messages"])
    r = await client.get("/me/bookings", headers=acting(issuer, messages_only))
    assert r.status_code == 403 and r.json()["type"].endswith("representation-scope")
    clock.set(sthlm(2026, 3, 16, 23, 59) + dt.timedelta(seconds=40))
    rid = await applications.register(ANNA, ["meetings"], valid_until=dt.date(2026, 3, 16))
    assert (await client.get("/me/bookings", headers=acting(issuer, rid))).status_code == 200
    unknown = await client.get("/me/bookings", headers=acting(issuer, UNKNOWN))
    # The cached answer is still there (under a minute); the day has changed in Stockholm: the unknown id's 404.
    clock.advance(seconds=30)  # 00:00:10 on 17 March
    same_404(await client.get("/me/bookings", headers=acting(issuer, rid)), unknown)
    other = await applications.register(ANNA, ["meetings"], representative=PERSONAS["bertil"])
    same_404(await client.get("/me/bookings", headers=acting(issuer, other)), unknown)
    for malformed in ("nonsense", "", "0" * 5000, "null", "../" + UNKNOWN):
        same_404(await client.get("/me/bookings", headers={**own(issuer), "X-Representation": malformed}), unknown)


async def test_revoked_is_the_unknown_404_once_the_cache_has_expired(env, issuer, clock):
    client, nord, _, applications = env
    rid = await applications.register(ANNA, ["meetings"])
    h = acting(issuer, rid)
    assert (await client.get("/me/bookings", headers=h)).status_code == 200
    await applications.revoke(rid)
    unknown = await client.get("/me/bookings", headers=acting(issuer, UNKNOWN))
    clock.advance(seconds=59)  # within the minute (contracts.representation.CACHE_SECONDS) the answer may hold
    assert (await client.get("/me/bookings", headers=h)).status_code == 200
    clock.advance(seconds=2)
    same_404(await client.get("/me/bookings", headers=h), unknown)
    r = await client.post("/bookings", headers=h, json=visit(nord, 18, 10))
    same_404(r, unknown)


async def test_the_representative_is_only_the_client_of_the_representation(env, issuer, as_persona):
    """Olle books for himself, for Anna and for Cecilia: each representation reaches its client's bookings only,
    and his own token none of theirs."""
    client, nord, _, applications = env
    for_anna = acting(issuer, await applications.register(ANNA, ["meetings"]))
    for_cecilia = acting(issuer, await applications.register(CECILIA, ["meetings"]))
    himself = own(issuer)
    made = {}
    for name, headers, day in (("olle", himself, 19), ("anna", for_anna, 23), ("cecilia", for_cecilia, 25)):
        r = await client.post("/bookings", headers=headers, json=visit(nord, day, 9))
        assert r.status_code == 201, (name, r.text)
        made[name] = r.json()["id"]

    async def listed(headers) -> set[str]:
        r = await client.get("/me/bookings", headers=headers)
        assert r.status_code == 200, r.text
        return {b["id"] for b in r.json()}

    assert made["anna"] in await listed(for_anna) and made["anna"] in await listed(as_persona("anna"))
    assert not await listed(for_anna) & {made["olle"], made["cecilia"]}
    assert not await listed(for_cecilia) & {made["olle"], made["anna"]}
    assert not await listed(himself) & {made["anna"], made["cecilia"]}

    missing = await client.get(f"/bookings/{uuid.uuid4()}", headers=for_anna)
    assert missing.status_code == 404
    for headers, booking in ((for_anna, made["olle"]), (for_anna, made["cecilia"]), (for_cecilia, made["anna"]),
                             (himself, made["anna"])):
        for method, path, body in (("GET", f"/bookings/{booking}", None),
                                   ("POST", f"/bookings/{booking}/cancel", {"reason": "blandat"}),
                                   ("GET", f"/bookings/{booking}.ics", None)):
            r = await client.request(method, path, headers={**headers, "If-Match": "*"}, json=body)
            assert r.status_code in (403, 404), (method, path, r.text)
            if r.status_code == 404:
                assert r.json()["type"] == missing.json()["type"]
            assert ANNA not in r.text and CECILIA not in r.text and OLLE.personal_number not in r.text
    # Nothing was cancelled by the mixing.
    for name in ("anna", "cecilia"):
        r = await client.get(f"/bookings/{made[name]}", headers=as_persona("karin"))
        assert r.json()["status"] == "booked", r.text


async def test_the_clients_idempotent_answers_are_not_the_representatives(env, issuer, as_persona):
    client, nord, _, applications = env
    key = str(uuid.uuid4())
    hers = await client.post("/bookings", headers={**as_persona("anna"), "Idempotency-Key": key},
                             json=visit(nord, 20, 9))
    assert hers.status_code == 201, hers.text
    h = {**acting(issuer, await applications.register(ANNA, ["meetings"])), "Idempotency-Key": key}
    # Her key with another slot: a booking of his own, not her stored answer and not "key reused".
    r = await client.post("/bookings", headers=h, json=visit(nord, 24, 9))
    assert r.status_code == 201, r.text
    assert r.json()["id"] != hers.json()["id"] and r.json()["start"] != hers.json()["start"]
    # His retry with the same key and body: his own answer replayed.
    again = await client.post("/bookings", headers=h, json=visit(nord, 24, 9))
    assert again.status_code == 201 and again.json()["id"] == r.json()["id"]
