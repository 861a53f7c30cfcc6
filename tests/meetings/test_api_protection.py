"""Protected identity has one owner, the population register through the registers service, and meetings asks it on
every write that names a client and on every display of people. The session's registers (tests/conftest.py) are the
owner here, over real HTTP; an owner that cannot answer is a closed port (a real network failure) or the registers'
503 (the population register unavailable), and meetings fails closed either way."""

from __future__ import annotations

import json

import httpx
import icalendar
import pytest

from simulators.idp.personas import Persona
from tests.conftest import register_down
from tests.meetings.conftest import ANNA, CECILIA, KARIN, MAJA, OFFICE, make_app, setup_nord, sql, sthlm
from tests.support import app_client, free_port, fresh_database, outbox_rows

PROBLEM = "urn:bistand:problem:"
UNAVAILABLE = PROBLEM + "protection-owner-unavailable"


def personnummer(birth: str, serial: str) -> str:
    """A valid 12-digit personnummer for a test person: birth YYYYMMDD, serial NNN, Luhn check digit."""
    total = 0
    for i, ch in enumerate(birth[2:] + serial):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return birth + serial + str((10 - total % 10) % 10)


LATER = personnummer("19600101", "982")  # becomes protected after booking
OWNER_ONLY = personnummer("19610202", "982")  # protected at the owner; no token claim; never seen here before
CLAIM_ONLY = personnummer("19620303", "982")  # protected only by her own token's claim
BATCH = [personnummer("19630404", f"98{n}") for n in range(3)]
LIFTED = personnummer("19640505", "982")  # protected, then no longer (the register's marking ends)
DURING = personnummer("19650606", "982")  # booked while the register is unavailable


class Counting(httpx.AsyncBaseTransport):
    """The way to the real owner, recording the questions that reach it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.asked: list[list[str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/internal/protection":
            self.asked.append(json.loads(request.content)["personal_numbers"])
        return await self.inner.handle_async_request(request)



@pytest.fixture(autouse=True)
def _start(monday_morning):
    """Every test starts on Monday morning (conftest)."""


@pytest.fixture(scope="module")
async def env(issuer, as_persona, clock, owner):
    async with fresh_database("meetings") as url:
        # no cache: a change at the owner is seen at once here (the cache has its own test below)
        app = make_app(url, issuer, clock, owner=owner, protection_cache_seconds=0)
        async with app_client(app) as client:
            nord = await setup_nord(client, as_persona)
            yield client, nord, url, app


async def book(client, headers, type_id, caseworker, start, pnr=None):
    body = {"meeting_type_id": type_id, "caseworker_id": caseworker, "start": start.isoformat()}
    if pnr:
        body["personal_number"] = pnr
    return await client.post("/bookings", headers=headers, json=body)


async def test_staff_cannot_mark_anyone_protected(env, as_persona):
    client, nord, url, _ = env
    r = await client.post("/bookings", headers=as_persona("maja"), json={
        "meeting_type_id": nord.phone, "caseworker_id": MAJA, "start": sthlm(2026, 3, 17, 11).isoformat(),
        "personal_number": CECILIA, "protected_identity": True})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert any("protected_identity" in e["field"] for e in r.json()["errors"])
    marked = await sql(url, "SELECT count(*) AS n FROM protected_clients WHERE personal_number = :p", p=CECILIA)
    assert marked[0].n == 0


async def test_the_owner_decides_at_booking(env, as_persona, owner):
    client, nord, url, _ = env
    await owner.protect(OWNER_ONLY)
    r = await book(client, as_persona("karin"), nord.phone, KARIN, sthlm(2026, 3, 17, 9), OWNER_ONLY)
    assert r.status_code == 409 and r.json()["type"] == PROBLEM + "caseworker-not-cleared"
    assert OWNER_ONLY not in r.text
    r = await book(client, as_persona("maja"), nord.phone, MAJA, sthlm(2026, 3, 17, 9), OWNER_ONLY)
    assert r.status_code == 201, r.text
    assert r.json()["protected_identity"] is True
    [event] = [e for e in await outbox_rows(url, "meetings") if e.payload["data"]["booking_id"] == r.json()["id"]]
    assert event.payload["data"]["protected_identity"] is True
    # and the one who booked cannot bring in an uncleared colleague
    r = await client.post(f"/bookings/{r.json()['id']}/staff", headers=as_persona("maja"),
                          json={"caseworker_id": KARIN})
    assert r.status_code == 409 and r.json()["type"] == PROBLEM + "caseworker-not-cleared"


async def test_a_clients_own_token_may_still_tighten(env, issuer):
    client, nord, _, _ = env
    persona = Persona("claimed", "Claimed", ("client",), personal_number=CLAIM_ONLY, protected_identity=True)
    headers = {"Authorization": f"Bearer {issuer.persona_token(persona)}"}
    r = await book(client, headers, nord.visit, KARIN, sthlm(2026, 3, 17, 10))
    assert r.status_code == 409 and r.json()["type"] == PROBLEM + "caseworker-not-cleared"
    r = await book(client, headers, nord.visit, MAJA, sthlm(2026, 3, 17, 10))
    assert r.status_code == 201, r.text
    assert r.json()["protected_identity"] is None  # (a client's own view has no staff fields)


async def test_protected_after_booking_leaves_every_uncleared_view(env, as_persona, owner, clock):
    client, nord, url, app = env
    karin, maja = as_persona("karin"), as_persona("maja")
    r = await client.post("/bookings", headers=karin, json={
        "meeting_type_id": nord.visit, "caseworker_id": KARIN, "start": sthlm(2026, 3, 18, 10).isoformat(),
        "personal_number": LATER, "channel": "in_person"})
    assert r.status_code == 201, r.text
    booking = r.json()
    bid, reference = booking["id"], booking["reference"]
    feed = (await client.post("/me/feed", headers=karin)).json()["url"].rsplit("/", 1)[1]
    window = {"from": "2026-03-16", "to": "2026-03-22"}
    assert bid in {b["id"] for b in (await client.get("/units/nord/calendar", headers=karin, params=window)).json()}

    await owner.protect(LATER)  # the owner learns it; nothing is told to meetings

    for persona in ("karin", "tove"):
        r = await client.get("/units/nord/calendar", headers=as_persona(persona), params=window)
        assert r.status_code == 200 and bid not in r.text and LATER not in r.text and reference not in r.text
    for path in (f"/bookings/{bid}", f"/bookings/{bid}.ics"):
        r = await client.get(path, headers=karin)
        assert r.status_code == 404 and r.json()["type"] == PROBLEM + "booking-not-found"
    r = await client.get("/me/bookings", headers=karin)
    assert bid not in r.text and LATER not in r.text
    r = await client.post(f"/bookings/{bid}/cancel", headers=karin, json={"reason": "x"})
    assert r.status_code == 404
    # a cleared colleague sees it, marked
    seen = {b["id"]: b for b in (await client.get("/units/nord/calendar", headers=maja, params=window)).json()}
    assert seen[bid]["protected_identity"] is True and seen[bid]["personal_number"] == LATER
    # the caseworker's feed names nobody, and now shows no place for it either
    cal = icalendar.Calendar.from_ical((await client.get(f"/feeds/{feed}")).content)
    for event in cal.walk("VEVENT"):
        if reference in str(event["summary"]):
            assert "location" not in event
    # its reminder says protected, so messaging tells nothing
    clock.set(sthlm(2026, 3, 17, 10, 30))
    await app.state.kit.runtime.workers.scheduler.run_once()
    rows = [e for e in await outbox_rows(url, "meetings")
            if e.topic == "meeting.reminder" and e.payload["data"]["booking_id"] == bid]
    assert rows and all(row.payload["data"]["protected_identity"] is True for row in rows)
    assert OFFICE not in str([row.payload for row in rows])


async def test_a_protection_the_owner_lifts_is_lifted_here(env, as_persona, owner):
    client, nord, url, _ = env
    await owner.protect(LIFTED)
    r = await book(client, as_persona("maja"), nord.phone, MAJA, sthlm(2026, 3, 18, 11), LIFTED)
    assert r.status_code == 201 and r.json()["protected_identity"] is True
    bid = r.json()["id"]
    assert (await client.get(f"/bookings/{bid}", headers=as_persona("karin"))).status_code == 404
    await owner.lift(LIFTED)
    r = await client.get(f"/bookings/{bid}", headers=as_persona("karin"))
    assert r.status_code == 200 and r.json()["protected_identity"] is False
    # and a change brings the booking's own copy (what its events say) in line
    r = await client.post(f"/bookings/{bid}/reschedule", headers=as_persona("karin"),
                          json={"start": sthlm(2026, 3, 18, 11, 30).isoformat(), "reason": "Krock"})
    assert r.status_code == 200 and r.json()["protected_identity"] is False
    [row] = await sql(url, "SELECT protected_identity FROM bookings WHERE id = :b", b=bid)
    assert row.protected_identity is False


async def test_the_owner_down_fails_closed(env, as_persona, issuer, clock):
    client, nord, url, _ = env
    karin = as_persona("karin")
    r = await book(client, karin, nord.phone, KARIN, sthlm(2026, 3, 19, 9), CECILIA)
    assert r.status_code == 201, r.text
    existing = r.json()["id"]
    before = (await sql(url, "SELECT count(*) AS n FROM bookings"))[0].n
    down = make_app(url, issuer, clock, registers_url=f"http://127.0.0.1:{free_port()}")
    async with app_client(down) as cut_off:
        # writes that name a client: 503, stable type, nothing written
        answers = [
            await book(cut_off, karin, nord.phone, KARIN, sthlm(2026, 3, 19, 10), CECILIA),
            await book(cut_off, as_persona("anna"), nord.visit, KARIN, sthlm(2026, 3, 19, 10)),
            await cut_off.post("/contacts", headers=karin, json={
                "meeting_type_id": nord.phone, "start": sthlm(2026, 3, 16, 8).isoformat(), "personal_number": ANNA}),
            await cut_off.post(f"/bookings/{existing}/cancel", headers=karin, json={"reason": "x"}),
            await cut_off.post(f"/bookings/{existing}/reschedule", headers=karin,
                               json={"start": sthlm(2026, 3, 19, 11).isoformat(), "reason": "x"}),
        ]
        for r in answers:
            assert r.status_code == 503, r.text
            assert r.headers["content-type"] == "application/problem+json" and r.json()["type"] == UNAVAILABLE
        assert (await sql(url, "SELECT count(*) AS n FROM bookings"))[0].n == before
        assert (await sql(url, "SELECT status FROM bookings WHERE id = :b", b=existing))[0].status == "booked"
        # ... but a booking the caller may not see is still just "not found" (the 503 tells nothing)
        r = await cut_off.post(f"/bookings/{existing}/cancel", headers=as_persona("bertil"), json={})
        assert r.status_code == 404
        # an anonymous drop-in names nobody
        r = await cut_off.post("/contacts", headers=karin, json={
            "meeting_type_id": nord.phone, "start": sthlm(2026, 3, 16, 8).isoformat()})
        assert r.status_code == 201, r.text
        # displays: as if protected (uncleared staff do not see it; cleared staff and the client do)
        assert (await cut_off.get(f"/bookings/{existing}", headers=karin)).status_code == 404
        assert (await cut_off.get(f"/bookings/{existing}", headers=as_persona("maja"))).status_code == 200
        assert (await cut_off.get(f"/bookings/{existing}", headers=as_persona("cecilia"))).status_code == 200
        window = {"from": "2026-03-16", "to": "2026-03-22"}
        r = await cut_off.get("/units/nord/calendar", headers=karin, params=window)
        assert r.status_code == 200 and existing not in r.text and CECILIA not in r.text
        r = await cut_off.get("/me/bookings", headers=karin)
        assert existing not in r.text and CECILIA not in r.text
        # a client's slots: as if protected, only cleared caseworkers are offered
        r = await cut_off.get("/slots", headers=as_persona("bertil"), params={
            "meeting_type_id": nord.visit, "from": "2026-03-23", "to": "2026-03-23"})
        assert r.status_code == 200 and {s["caseworker_id"] for s in r.json()["slots"]} == {MAJA}


async def test_the_register_unavailable_fails_closed(env, as_persona, owner):
    """The registers answer 503 (the population register is unavailable): writes that name a client answer 503 and
    write nothing; displays show the client as protected, and nothing of them reaches an uncleared caseworker."""
    client, nord, url, _ = env
    karin = as_persona("karin")
    r = await book(client, karin, nord.phone, KARIN, sthlm(2026, 3, 23, 9), DURING)
    assert r.status_code == 201, r.text
    existing = r.json()["id"]
    before = (await sql(url, "SELECT count(*) AS n FROM bookings"))[0].n
    with register_down(owner.registers):
        r = await book(client, karin, nord.phone, KARIN, sthlm(2026, 3, 23, 10), CECILIA)
        assert r.status_code == 503 and r.json()["type"] == UNAVAILABLE and CECILIA not in r.text
        r = await client.post(f"/bookings/{existing}/cancel", headers=karin, json={"reason": "x"})
        assert r.status_code == 503 and r.json()["type"] == UNAVAILABLE
        assert (await sql(url, "SELECT count(*) AS n FROM bookings"))[0].n == before
        refused = await client.get(f"/bookings/{existing}", headers=karin)
        assert refused.status_code == 404 and DURING not in refused.text
        r = await client.get("/units/nord/calendar", headers=karin, params={"from": "2026-03-23", "to": "2026-03-29"})
        assert r.status_code == 200 and existing not in r.text and DURING not in r.text
        seen = await client.get(f"/bookings/{existing}", headers=as_persona("maja"))
        assert seen.status_code == 200 and seen.json()["protected_identity"] is True
    assert (await client.get(f"/bookings/{existing}", headers=karin)).status_code == 200


async def test_one_question_per_answer_and_a_short_cache(env, as_persona, owner, issuer, clock):
    client, nord, url, _ = env
    karin = as_persona("karin")
    for pnr, caseworker, minute in zip(BATCH, (KARIN, KARIN, MAJA), (0, 30, 0), strict=True):
        r = await book(client, karin, nord.phone, caseworker, sthlm(2026, 3, 20, 9, minute), pnr)
        assert r.status_code == 201, r.text
    counting = Counting(owner.transport)
    app = make_app(url, issuer, clock, owner=owner, registers_transport=counting)  # a fresh process: no cache
    async with app_client(app) as fresh:
        window = {"from": "2026-03-16", "to": "2026-03-22"}
        first = await fresh.get("/units/nord/calendar", headers=karin, params=window)
        assert first.status_code == 200
        assert len(counting.asked) == 1, counting.asked
        [asked] = counting.asked
        assert set(BATCH) <= set(asked) and len(asked) == len(set(asked))
        second = await fresh.get("/units/nord/calendar", headers=karin, params=window)
        assert second.json() == first.json() and len(counting.asked) == 1  # answered from the cache
