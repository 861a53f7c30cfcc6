"""Register extracts (registerutdrag, GDPR art. 15) against the real messaging, meetings and registers services.

The world: applications in-process (calculation contract stand-in, the IdP served for service tokens), the real
messaging and meetings apps served by uvicorn in threads on their own databases (meetings asks its own served
applications instance about protected identity); registers is the session's real registers service (the
``registers`` fixture), which keeps a look-up row for every protection check applications makes. Anna and Bertil's
decided application in Nord, with a file, a requested document, a thread with Karin and a booked meeting; Cecilia's
case in Syd, her thread and her meeting; Dana's protected case in Nord. The extract must hold Anna's data from every
service and nothing of Cecilia's or Dana's, nor Bertil's personnummer; the JSON and the PDF alike.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from services.applications.service import registerutdrag
from simulators.idp.personas import PERSONAS
from tests.access_matrix import assert_body_tells_nothing_more, caller_headers, written_forms
from tests.applications.conftest import (
    ANNA,
    BERTIL,
    CECILIA,
    DANA,
    PDF,
    Clock,
    couple,
    make_app,
    single,
    submitted_case,
    with_services,
)
from tests.applications.test_domain_factories import pnr_for
from tests.meetings.conftest import Clock as MeetingsClock
from tests.meetings.conftest import make_app as make_meetings_app
from tests.meetings.conftest import setup_nord, sql, sthlm
from tests.messaging.conftest import make_app as make_messaging_app
from tests.support import app_client, free_port, fresh_database, serve_in_thread

PROBLEM = "application/problem+json"
CLOSED = f"http://127.0.0.1:{free_port()}"  # nothing listens here: a service that is down


@pytest.fixture(scope="module")
async def messaging(issuer, registers, idp_url):
    async with fresh_database("messaging") as url:
        app = make_messaging_app(url, issuer, registers_url=registers.url, auth_token_url=f"{idp_url}/token",
                                 service_client_id="messaging",
                                 service_client_secret="dev-messaging")  # noqa: S106 - the dev IdP's secret
        with serve_in_thread(app) as served:
            yield served, url


@pytest.fixture(scope="module")
async def meetings(issuer, registers):
    async with fresh_database("meetings") as url:
        with serve_in_thread(make_meetings_app(url, issuer, MeetingsClock(), registers_url=registers.url)) as served:
            yield served, url


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("applications") as url:
        yield url


@pytest.fixture(scope="module")
async def app(db_url, issuer, idp_url, calc, messaging, meetings, registers):
    return make_app(db_url, issuer, Clock(), registers=registers, registerutdrag_reuse_seconds=0, **with_services(
        idp_url, calculation_url=calc[0], messaging_url=messaging[0], meetings_url=meetings[0]))


@pytest.fixture(scope="module")
async def client(app):
    async with app_client(app) as c:
        yield c


async def _ok(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert response.status_code in (statuses or (200, 201)), response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
async def world(client, app, as_persona, messaging, meetings):
    k = as_persona("karin")
    case = await submitted_case(client, as_persona, couple("2026-03"))
    url = f"/applications/{case['id']}"
    await _ok(await client.post(f"{url}/assign", headers=k))
    await _ok(await client.post(f"{url}/attachments", headers=as_persona("anna"),
                                files={"file": ("hyresavi-mars.pdf", PDF)}))
    await _ok(await client.post(f"{url}/document-requests", headers=k, json={"type": "rental_contract"}))
    await _ok(await client.post(f"{url}/calculation", headers=k))
    await _ok(await client.post(f"{url}/decision", headers=k, json={"reason_for_need": "unemployed_no_benefit",
                                                                    "reasons_sv": "Beviljas enligt norm.",
                                                                    "reasons_en": "Granted."}))
    dana = await submitted_case(client, as_persona, single(DANA), signers=("dana",), owner="dana")
    syd = await _ok(await client.post("/staff/applications", headers=as_persona("lars"), json={
        "personal_number": CECILIA, "source": "visit", "content": single(CECILIA)}))
    for path, body in (("/signatures", {"personal_number": CECILIA}), ("/submit", None)):
        await _ok(await client.post(f"/applications/{syd['id']}{path}", headers=as_persona("lars"), json=body))
    # The events reach the real messaging service: it learns who each case is about.
    assert await app.state.kit.runtime.relay.run_once() >= 3

    async with httpx.AsyncClient(base_url=messaging[0]) as m:
        thread = await _ok(await m.post("/threads", headers=as_persona("anna"), json={
            "subject": "Fråga om hyran", "case_id": case["id"], "body": "Gäller det även elen? ANNA-MSG-1"}))
        await _ok(await m.post(f"/threads/{thread['id']}/messages", headers=k,
                               json={"body": "Ja, hushållsel ingår. KARIN-REPLY-1"}))
        await _ok(await m.post("/threads", headers=as_persona("cecilia"), json={
            "subject": "Cecilias fråga", "unit": "syd", "body": "CECILIA-SECRET-MSG"}))
    async with httpx.AsyncClient(base_url=meetings[0]) as mt:
        nord = await setup_nord(mt, as_persona)
        booked = {}
        for who, day, note in (("anna", 17, "Behöver sitta nära dörren"), ("cecilia", 18, "CECILIA-NOTE")):
            booked[who] = await _ok(await mt.post("/bookings", headers=as_persona(who), json={
                "meeting_type_id": nord.visit, "caseworker_id": PERSONAS["karin"].sub, "channel": "in_person",
                "start": sthlm(2026, 3, day, 10).isoformat(), "accessibility": ["other"],
                "accessibility_note": note}))
    return SimpleNamespace(case=case["id"], dana=dana["id"], syd=syd["id"], thread=thread["id"],
                           anna_booking=booked["anna"]["reference"], cecilia_booking=booked["cecilia"]["reference"])


def anna_lookups(body: dict[str, Any]) -> list[tuple[dict[str, Any], list[tuple[Any, Any]]]]:
    """The registers part's look-ups: (entries by key, [(source, status)])."""
    part = next(p for p in body["parts"] if p["service"] == "registers")
    [section] = part["sections"]
    assert section["key"] == "lookups"
    return [({e["key"]: e["value"] for e in i["entries"]},
             [({e["key"]: e["value"] for e in s["entries"]}["source"],
               {e["key"]: e["value"] for e in s["entries"]}["status"]) for s in i["items"]])
            for i in section["items"]]


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def no_one_else(text: str, *others: str) -> None:
    for who in others:
        person = PERSONAS[who]
        for mark in (*written_forms(person.personal_number), person.name):
            assert mark not in text, f"{who} is in the extract"


async def requested(client: Any, headers: dict[str, str], **kwargs: Any) -> dict[str, Any]:
    r = await client.post("/me/registerutdrag", headers=headers, **kwargs)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
async def anna_extract(client, world, as_persona):
    made = await requested(client, as_persona("anna"))
    got = await client.get(made["json"], headers=as_persona("anna"))
    assert got.status_code == 200, got.text
    return made, got


async def test_a_clients_extract_holds_their_data_from_every_service_and_nobody_elses(anna_extract, world):
    made, got = anna_extract
    assert made["status"] == "complete" and made["requested_via"] == "client"
    assert {s["service"]: s["status"] for s in made["services"]} == {
        "applications": "answered", "messaging": "answered", "meetings": "answered", "registers": "answered"}
    body = got.json()
    parts = {p["service"]: p for p in body["parts"]}
    assert set(parts) == {"applications", "messaging", "meetings", "registers"}
    assert body["subject"]["personal_number"] == ANNA
    text = got.text
    # applications: the case with its file, requested document, calculation, decision and history
    cases = next(s for s in parts["applications"]["sections"] if s["key"] == "cases")
    [case] = cases["items"]
    assert case["id"] == world.case
    headings = {i["heading"]["en"] for i in case["items"]}
    assert {"Calculation", "Decision", "File", "Signature", "Event"} <= headings
    assert "hyresavi-mars.pdf" in text and "Beviljas enligt norm." in text
    # messaging: her thread, her message and the caseworker's answer; meetings: her booking with her note
    assert "ANNA-MSG-1" in text and "KARIN-REPLY-1" in text and world.thread in text
    assert world.anna_booking in text and "Behöver sitta nära dörren" in text
    # registers: the protection checks made about her when her application was made (automated, with their legal
    # basis and the population register's outcome), and whatever other tests of this process asked about her;
    # who asked only as a category
    lookups = anna_lookups(body)
    checks = [(e, s) for e, s in lookups if e["purpose"] == "protection_check"]
    assert checks and all(e["who"] == "automated_process" and e["kind"] == "population" for e, _ in checks)
    assert ("navet", "ok") in {source for _, sources in checks for source in sources}
    assert all(e["legal_basis"] and e["made_at"] for e, _ in lookups)
    assert {e["who"] for e, _ in lookups} <= {"automated_process", "caseworker"}
    assert "applications:" not in str(parts["registers"]) and "persona:" not in str(parts["registers"])
    # the read-audit of her case: Karin's reads by role and unit, never who
    audit_rows = next(s for s in parts["applications"]["sections"] if s["key"] == "audit")["items"]
    assert any({e["key"]: e["value"] for e in row["entries"]}.get("role") == "caseworker" for row in audit_rows)
    for part in (p for name, p in parts.items() if name != "registers"):  # registers' look-ups are its audit
        # the booking names the caseworker the client meets; the audit names nobody
        audit_of_part = [s for s in part["sections"] if s["key"] == "audit"]
        assert audit_of_part and "persona:" not in str(audit_of_part)
    # nothing of Cecilia's or Dana's; Bertil (her co-applicant) only by name and birth date
    for other in ("CECILIA-SECRET-MSG", "CECILIA-NOTE", world.cecilia_booking, world.syd, world.dana):
        assert other not in text
    no_one_else(text, "cecilia", "dana")
    for mark in written_forms(BERTIL):
        assert mark not in text
    assert f"{BERTIL[:8]}-****" in text


async def test_the_pdf_says_the_same_and_prints_swedish_letters(client, anna_extract, world, as_persona):
    made, _ = anna_extract
    for response in (await client.get(made["pdf"], headers=as_persona("anna")),
                     await client.get(made["json"], headers={**as_persona("anna"), "Accept": "application/pdf"})):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        text = pdf_text(response.content)
        for expected in ("Registerutdrag", "Möten", "Meddelanden", "Ansökningar och beslut",
                         "Uppslag i register om dig", "protection_check", "ANNA-MSG-1",
                         "KARIN-REPLY-1", world.anna_booking, "Behöver sitta nära dörren", "hyresavi-mars.pdf",
                         f"{ANNA[:8]}-{ANNA[8:]}"):
            assert expected in text, expected
        for other in ("CECILIA-SECRET-MSG", "CECILIA-NOTE", world.cecilia_booking):
            assert other not in text
        no_one_else(text, "cecilia", "dana")
        assert BERTIL not in text and f"{BERTIL[:8]}-{BERTIL[8:]}" not in text
    english = await client.get(made["pdf"] + "?lang=en", headers=as_persona("anna"))
    assert "Register extract" in pdf_text(english.content)


async def test_a_co_applicants_extract_holds_the_joint_case_and_their_own_part(client, world, as_persona,
                                                                               anna_extract):
    made_for_anna, _ = anna_extract
    made = await requested(client, as_persona("bertil"))
    got = await client.get(made["json"], headers=as_persona("bertil"))
    assert got.status_code == 200, got.text
    parts = {p["service"]: p for p in got.json()["parts"]}
    [case] = next(s for s in parts["applications"]["sections"] if s["key"] == "cases")["items"]
    assert case["id"] == world.case
    assert {e["key"]: e["value"] for e in case["entries"]}["your_role"] == "co_applicant"
    # the household's thread is his too; Anna's meeting is hers alone
    assert "ANNA-MSG-1" in got.text and world.anna_booking not in got.text
    bookings = next(s for s in parts["meetings"]["sections"] if s["key"] == "bookings")
    assert bookings["items"] == []
    for mark in written_forms(ANNA):
        assert mark not in got.text
    assert f"{ANNA[:8]}-****" in got.text
    no_one_else(got.text, "cecilia", "dana")
    # his own look-ups (checked with Anna's, one row each), not hers
    anna = (await client.get(made_for_anna["json"], headers=as_persona("anna"))).json()
    his = {i["id"] for p in got.json()["parts"] if p["service"] == "registers" for i in p["sections"][0]["items"]}
    hers = {i["id"] for p in anna["parts"] if p["service"] == "registers" for i in p["sections"][0]["items"]}
    assert his and hers and not his & hers


async def test_staff_make_one_for_a_client_who_asked_on_paper(client, world, as_persona, db_url):
    r = await client.post("/staff/registerutdrag", headers=as_persona("karin"), json={"personal_number": ANNA})
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["requested_via"] == "staff" and made["json"].startswith("/staff/registerutdrag/")
    assert ANNA not in r.headers["location"] and ANNA not in made["json"]
    got = await client.get(made["json"], headers=as_persona("maja"))  # a colleague of the unit
    assert got.status_code == 200 and "ANNA-MSG-1" in got.text
    # the client sees it among hers, and reads it
    mine = (await client.get("/me/registerutdrag", headers=as_persona("anna"))).json()["items"]
    assert made["id"] in {m["id"] for m in mine}
    assert (await client.get(f"/me/registerutdrag/{made['id']}", headers=as_persona("anna"))).status_code == 200
    # the services were told who asked: the staff member's subject
    rows = await sql(db_url, "SELECT actor, action FROM audit_log WHERE resource_id = :id ORDER BY id",
                     id=made["id"])
    assert [r.action for r in rows][:2] == ["request", "gather"] and rows[0].actor == "persona:karin"


@pytest.mark.parametrize(("who", "pnr", "expected"), [
    ("karin", CECILIA, 404),  # another unit's client
    ("karin", DANA, 404),  # protected, Karin not cleared
    ("lars", ANNA, 404),  # another unit's client
    ("karin", pnr_for(dt.date(1960, 6, 6)), 404),  # nobody's client here
    ("maja", DANA, 201),  # cleared
])
async def test_staff_only_for_their_units_clients(client, world, as_persona, who, pnr, expected):
    r = await client.post("/staff/registerutdrag", headers=as_persona(who), json={"personal_number": pnr})
    assert r.status_code == expected, r.text
    if expected == 404:
        assert r.json()["type"] == "urn:bistand:problem:not-found" and r.json()["detail"] == "No such client."


async def test_retrying_with_the_same_key_gives_the_first_extract(client, world, as_persona, db_url):
    headers = {**as_persona("cecilia"), "Idempotency-Key": f"utdrag-{uuid.uuid4()}"}
    first = await requested(client, headers)
    again = await requested(client, headers)
    assert first == again
    rows = await sql(db_url, "SELECT count(*) AS n FROM registerutdrag WHERE id = :id", id=first["id"])
    assert rows[0].n == 1


async def test_asking_again_at_once_gives_the_same_extract_without_asking_every_service(db_url, issuer, idp_url,
                                                                                       messaging, world, as_persona,
                                                                                       registers):
    clock = Clock(dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC))  # a day on: nothing recent yet
    app = make_app(db_url, issuer, clock, registers=registers, registerutdrag_reuse_seconds=600,
                   **with_services(idp_url, messaging_url=messaging[0]))
    async with app_client(app) as c:
        first = await requested(c, as_persona("bertil"))
        clock.advance(minutes=5)
        again = await c.post("/me/registerutdrag", headers=as_persona("bertil"))
        assert again.status_code == 200 and again.json()["id"] == first["id"]
        staff = await c.post("/staff/registerutdrag", headers=as_persona("karin"), json={"personal_number": BERTIL})
        assert staff.status_code == 201 and staff.json()["id"] != first["id"]  # another requester: a new one
        clock.advance(minutes=6)
        later = await requested(c, as_persona("bertil"))
        assert later["id"] != first["id"]
    rows = await sql(db_url, "SELECT details FROM audit_log WHERE resource_id = :id AND action = 'request' "
                             "ORDER BY id", id=first["id"])
    assert [r.details.get("reused", False) for r in rows] == [False, True]


async def test_every_step_is_audited_in_every_service(client, anna_extract, world, as_persona, db_url, messaging,
                                                      meetings):
    made, _ = anna_extract
    await client.get(made["pdf"], headers=as_persona("anna"))
    rows = await sql(db_url, "SELECT actor, action, subject, details FROM audit_log WHERE resource_type = "
                             "'registerutdrag' AND resource_id = :id ORDER BY id", id=made["id"])
    actions = [r.action for r in rows]
    assert actions[:3] == ["request", "gather", "deliver"] and "deliver" in actions[3:]
    assert {r.subject for r in rows} == {ANNA} and {r.actor for r in rows} == {PERSONAS["anna"].sub}
    gather = rows[1].details
    assert sorted(gather["answered"]) == ["applications", "meetings", "messaging", "registers"]
    assert gather["missing"] == {}
    assert {r.details["format"] for r in rows if r.action == "deliver"} == {"json", "pdf"}
    for _, service_db in (messaging, meetings):
        told = await sql(service_db, "SELECT actor, subject, purpose FROM audit_log WHERE action = 'export' AND "
                                     "resource_type = 'subject_access' AND resource_id = :id", id=made["id"])
        assert [(t.actor, t.subject, t.purpose) for t in told] == [("service:applications", ANNA, "registerutdrag")]


async def test_a_service_that_does_not_answer_is_a_part_marked_missing(db_url, issuer, idp_url, messaging, world,
                                                                       as_persona):
    """Meetings is down, and registers is listed but has no address yet: both parts say why they are missing."""
    down = make_app(db_url, issuer, Clock(), registerutdrag_services="messaging,meetings,registers",
                    registerutdrag_reuse_seconds=0,
                    **with_services(idp_url, messaging_url=messaging[0], meetings_url=CLOSED))
    async with app_client(down) as c:
        made = await requested(c, as_persona("anna"))
        assert made["status"] == "partial"
        assert {s["service"]: (s["status"], s["reason"]) for s in made["services"]} == {
            "applications": ("answered", None), "messaging": ("answered", None),
            "meetings": ("missing", "unavailable"), "registers": ("missing", "not_configured")}
        body = (await c.get(made["json"], headers=as_persona("anna"))).json()
        meetings_part = next(p for p in body["parts"] if p["service"] == "meetings")
        assert meetings_part["sections"] == [] and meetings_part["reason_text"]["sv"].startswith("Tjänsten svarade")
        assert "ANNA-MSG-1" in str(body)  # the others' parts are there
        text = pdf_text((await c.get(made["pdf"], headers=as_persona("anna"))).content)
        assert "Saknas" in text and "svarade inte i tid" in text


async def test_the_internal_route_answers_only_the_applications_service(issuer, messaging, meetings, as_persona):
    body = {"personal_number": ANNA, "requested_by": "client", "request_id": str(uuid.uuid4())}
    for base, audience in ((messaging[0], "bistand:messaging"), (meetings[0], "bistand:meetings")):
        async with httpx.AsyncClient(base_url=base) as c:
            ok = await c.post("/internal/subject-access", json=body, headers={
                "Authorization": f"Bearer {issuer.service_token('applications', audience)}"})
            assert ok.status_code == 200, ok.text
            for headers, status in ((as_persona("anna"), 403), (as_persona("karin"), 403), ({}, 401),
                                    ({"Authorization": f"Bearer {issuer.service_token('payments', audience)}"}, 403)):
                r = await c.post("/internal/subject-access", json=body, headers=headers)
                assert r.status_code == status, (base, r.text)
                assert ANNA not in r.text
            bad = await c.post("/internal/subject-access", json={**body, "personal_number": "19890314-0000"},
                               headers={"Authorization": f"Bearer {issuer.service_token('applications', audience)}"})
            assert bad.status_code == 422 and "19890314" not in bad.text


# --- every token kind on every new route, bodies read -----------------------------------------------------------

ANON = {"anon": 401, "forged": 401}
NOT_PERSONS = {"service": 403, **ANON}
STAFF_403 = {"karin": 403, "maja": 403, "lars": 403, "tove": 403, "nils": 403, "adam": 403}
CLIENTS_403 = {"anna": 403, "bertil": 403, "cecilia": 403, "dana": 403}


def matrix() -> list[tuple[str, str, str, int, Any]]:
    rows: list[tuple[str, str, str, int, Any]] = []

    def add(method: str, path: str, expect: dict[str, int], body: Any = None) -> None:
        rows.extend((method, path, who, status, body) for who, status in expect.items())

    add("POST", "/me/registerutdrag", {**STAFF_403, **NOT_PERSONS})
    add("GET", "/me/registerutdrag", {**STAFF_403, **NOT_PERSONS, "anna": 200, "cecilia": 200})
    for suffix in ("", ".pdf"):
        add("GET", "/me/registerutdrag/{anna}" + suffix, {**STAFF_403, **NOT_PERSONS, "anna": 200, "bertil": 404,
                                                           "cecilia": 404, "dana": 404})
        add("GET", "/staff/registerutdrag/{anna}" + suffix, {"karin": 404, "maja": 404})  # hers, from Mina sidor
        add("GET", "/staff/registerutdrag/{staff}" + suffix, {**CLIENTS_403, **NOT_PERSONS, "karin": 200,
                                                               "maja": 200, "lars": 404, "tove": 403, "nils": 403,
                                                               "adam": 403})
        add("GET", "/staff/registerutdrag/{dana}" + suffix, {"karin": 404, "maja": 200, "lars": 404})
        add("GET", "/me/registerutdrag/{dana}" + suffix, {"dana": 200, "anna": 404})
    add("POST", "/staff/registerutdrag", {**CLIENTS_403, **NOT_PERSONS, "tove": 403, "nils": 403, "adam": 403,
                                          "lars": 404, "karin": 201}, {"personal_number": ANNA})
    add("POST", "/staff/registerutdrag", {"karin": 404, "maja": 201}, {"personal_number": DANA})
    add("POST", "/staff/registerutdrag", {"karin": 422}, {"personal_number": "19890314-0000"})
    return rows


ROWS = matrix()


@pytest.fixture(scope="module")
async def extracts(client, world, as_persona, anna_extract):
    staff = await _ok(await client.post("/staff/registerutdrag", headers=as_persona("karin"),
                                        json={"personal_number": ANNA}))
    dana = await _ok(await client.post("/staff/registerutdrag", headers=as_persona("maja"),
                                       json={"personal_number": DANA}))
    return {"anna": anna_extract[0]["id"], "staff": staff["id"], "dana": dana["id"]}


@pytest.mark.parametrize(("method", "path", "caller", "expected", "body"), ROWS,
                         ids=[f"{m} {p} {w}-{s}-{i}" for i, (m, p, w, s, _) in enumerate(ROWS)])
async def test_access(client, issuer, as_persona, extracts, method, path, caller, expected, body):
    headers = caller_headers(issuer, as_persona, "messaging", audience="bistand:applications")(caller)
    url = path.format(**extracts)
    response = await client.request(method, url, headers=headers, json=body)
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.headers["content-type"] == PROBLEM
    if response.headers["content-type"] == "application/pdf":
        text = pdf_text(response.content)
        holder = "dana" if "{dana}" in path else "anna"
        no_one_else(text, *({"anna", "bertil", "cecilia", "dana"} - {holder, "bertil"}))
        if holder == "anna":
            assert BERTIL not in text
    else:
        assert_body_tells_nothing_more(response, caller, known=url + str(body), ids=extracts)
        if response.status_code == 200 and "{dana}" not in path:
            for mark in written_forms(BERTIL):
                assert mark not in response.text or caller == "bertil"


# Last: it purges every extract of this world whose time is up by its later clock.
async def test_an_extract_is_kept_for_its_days_then_purged(db_url, issuer, world, as_persona):
    later = Clock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC) + dt.timedelta(days=31))
    app = make_app(db_url, issuer, later, registerutdrag_services="", registerutdrag_reuse_seconds=0)
    async with app_client(app) as c:
        old = await requested(c, as_persona("dana"))  # made now (by the later clock): kept
        made = (await c.get("/me/registerutdrag", headers=as_persona("anna"))).json()["items"]
        first = made[-1]  # her oldest: made by the module's app a month before
        gone = await c.get(first["json"], headers=as_persona("anna"))
        assert gone.status_code == 410 and gone.json()["type"] == "urn:bistand:problem:registerutdrag-expired"
        assert await registerutdrag.purge(app.state.kit.runtime) >= 1
        rows = await sql(db_url, "SELECT extract IS NULL AS purged, services FROM registerutdrag WHERE id = :id",
                         id=first["id"])
        assert rows[0].purged and rows[0].services  # who answered stays on record
        assert (await c.get(old["json"], headers=as_persona("dana"))).status_code == 200
