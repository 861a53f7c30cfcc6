"""Letters for clients without digital access: the post room (issue 14 item 3), end to end.

A contact with the ``letter`` channel → an event that calls for a letter (a decision, a request for more, a meeting
booked, moved or cancelled) → a letter queued in the event's transaction → the relay asks the owner for the PDF and
keeps it sealed → the next day the print-and-post operator collects the day's batch: a zip of PDFs with opaque names
and a manifest that names the recipient and the address from the population register, never what the letter is
about. A protected person's letter goes through Skatteverket's forwarding, never to an address; a protected client
may have a letter-only contact (no SMS, no e-mail).

Real services, no stand-in for our own code: messaging (in-process), the owners of the letters' content — the REAL
applications and meetings apps, built by their own factories on their own test databases and reached in-process
(``OwnersWay``: messaging's ``owners_transport``, routing by host) — with the real calculation service (served) behind
applications' decisions, the registers (the session's ``registers`` fixture: the real registers service in front of
its simulator; Anna's, Bertil's and Dana's name, address and protection are the simulator's demo data, given to it
by the ``people`` fixture) and the IdP (served, for the services' tokens). Cases, decisions, requests for more and
bookings are made through the owners' own APIs; their outbox events are handed to messaging's ``POST /events/batch``
by kit's ``EventDelivery``, the owners' relays' own delivery class (applications' relay posts over aiohttp, which cannot
reach an in-process app; tests/applications/test_api_events.py covers that relay against a served messaging). Where
the point is messaging's own intake (the same event twice, a booking the owner does not know, kinds that get no
letter), a test posts the event itself, naming the real cases.

Simulated, and only this: an owner that is DOWN (``OwnersWay.down``: the connection refused, as a stopped service's
would be), and the owner's 422 (see ``test_the_owners_409_and_422_fail_the_letter_at_once``: the real owners answer 422
only for a kind they do not write, which messaging's routing never asks).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from jose import jwt
from pypdf import PdfReader
from sqlalchemy import text

from contracts.letters import PATH, LetterRequest
from contracts.registers import Address
from kit.db import make_engine
from kit.outbox import EventDelivery
from services.calculation import app as calculation_app
from services.calculation import settings as calculation_settings
from services.meetings.workers import messaging_delivery
from services.messaging.app import create_app as create_messaging
from services.messaging.domain import letters as rules
from services.messaging.service.rekey import rekey_all
from services.messaging.store.crypto import DEV_KEYS, new_key
from simulators.idp.app import create_app as create_idp
from simulators.idp.personas import PERSONAS, Persona
from simulators.registers.people import seed
from tests.access_matrix import assert_body_tells_nothing_more, caller_headers, written_forms
from tests.applications.conftest import Clock as ApplicationsClock
from tests.applications.conftest import couple, single, submitted_case, with_services
from tests.applications.conftest import make_app as make_applications
from tests.conftest import register_down
from tests.meetings.conftest import Clock as MeetingsClock
from tests.meetings.conftest import Owner as ProtectionOwner
from tests.meetings.conftest import make_app as make_meetings
from tests.meetings.conftest import setup_nord, sthlm
from tests.messaging.conftest import ANNA, BERTIL, DANA, Clock, event, make_known, settings_for
from tests.support import app_client, fresh_database, outbox_rows, serve_in_thread, verifier_for

# Valid test personnummer of this module's own (the registers' state lives as long as the test process).
SIGRID = "196509099807"  # SMS only
OLOF = "199201209807"  # no contact at all
GUNNAR = "197711119805"  # wants letters, for the kinds that get none
ASTRID = "197003159808"  # the pure rules' example person (no service asked)

# The population register's (the simulator's) Anna and Bertil Andersson, and Dana's protected address.
HOME = ("Storgatan 12 lgh 1102", "852 30", "Sundsvall")
DANAS_ADDRESS = ("Skyddad adress 1", "851 00")

OPERATOR = Persona("postrum", "Post Rummet", ("post_operator",), permissions=(rules.PRINT_PERMISSION,))
# A client whose token somehow carries the permission: still never.
CLIENT_WITH_PERMISSION = Persona("klient", "Klient Klientsson", ("client",), personal_number=OLOF,
                                 permissions=(rules.PRINT_PERMISSION,))

CONTENT_WORDS = ("decision", "beslut", "info_requested", "meeting", "möte", "socialtjänst", "bistånd", "ekonomiskt",
                 "nord", "komplettering", "booked", "cancelled", "förvaltningsrätt", "besök")

# The clocks. Messaging bounds an event's time by its own clock (at most 5 min ahead, a year old): applications'
# events carry the database's time of their outbox row, meetings' the meetings app's clock. So messaging and meetings
# run on today, and the bookings lie on the next weekdays at 10:00 (nord's hours are 09-12, Monday to Friday).
SV_MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
             "november", "december")


def weekday_at_ten(nth: int) -> dt.datetime:
    """10:00 Swedish time on the ``nth`` weekday (0, 1, ...) from the day after tomorrow."""
    day = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)
    weekdays = []
    while len(weekdays) <= nth:
        if day.weekday() < 5:
            weekdays.append(day)
        day += dt.timedelta(days=1)
    chosen = weekdays[nth]
    return sthlm(chosen.year, chosen.month, chosen.day, 10)


class OwnersWay(httpx.AsyncBaseTransport):
    """Messaging's way to the real owners (its ``owners_transport``): ``http://applications`` and ``http://meetings``
    are the apps themselves, in-process. ``down``: owners that do not answer for now (the connection refused, as a
    stopped service's would be: the only thing simulated). ``asked``: (owner, audience, LetterRequest) as sent."""

    def __init__(self, apps: dict[str, Any]) -> None:
        self.apps = {name: httpx.ASGITransport(app=app) for name, app in apps.items()}
        self.down: set[str] = set()
        self.asked: list[tuple[str, Any, LetterRequest]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        owner = request.url.host
        if request.url.path == PATH:
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            self.asked.append((owner, jwt.get_unverified_claims(token).get("aud"),
                               LetterRequest.model_validate_json(await request.aread())))
        if owner in self.down:
            raise httpx.ConnectError("connection refused", request=request)
        return await self.apps[owner].handle_async_request(request)


@dataclass
class Owners:
    """The real applications and meetings, with what was made through their APIs."""

    way: OwnersWay
    applications_db: str
    meetings_db: str
    meetings: httpx.AsyncClient
    meetings_clock: MeetingsClock
    visit: str  # nord's self-bookable meeting type
    decided: str  # Anna and Bertil's case for April, granted
    granted: int
    asked: str  # Anna and Bertil's case for May: more information asked for
    danas: str  # Dana's (protected identity) case, decided by Maja (cleared)

    async def book(self, as_persona: Any, start: dt.datetime) -> str:
        r = await self.meetings.post("/bookings", headers=as_persona("anna"), json={
            "meeting_type_id": self.visit, "caseworker_id": PERSONAS["karin"].sub, "start": start.isoformat(),
            "channel": "in_person"})
        assert r.status_code == 201, r.text
        return r.json()["id"]  # type: ignore[no-any-return]


async def _decide(client: Any, as_persona: Any, case_id: str, staff: str, reasons: str) -> int:
    url, who = f"/applications/{case_id}", as_persona(staff)
    assert (await client.post(f"{url}/assign", headers=who)).status_code == 200
    calculated = await client.post(f"{url}/calculation", headers=who)
    assert calculated.status_code == 200, calculated.text
    decided = await client.post(f"{url}/decision", headers=who, json={
        "reasons_sv": reasons, "reason_for_need": "insufficient_income_work"})
    assert decided.status_code == 201, decided.text
    return decided.json()["granted"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def idp(issuer):
    with serve_in_thread(create_idp(issuer.settings, issuer)) as url:
        yield url


@pytest.fixture(scope="module")
async def owners(issuer, idp, people, as_persona):
    async with fresh_database("calculation") as calculation_db, fresh_database("applications") as applications_db, \
            fresh_database("meetings") as meetings_db:
        calculation = calculation_app.create_app(calculation_settings.CalculationSettings(database_url=calculation_db),
                                                 verifier=verifier_for(issuer))
        with serve_in_thread(calculation) as calculation_url:
            applications = make_applications(applications_db, issuer, ApplicationsClock(), registers=people,
                                             **with_services(idp, calculation_url=calculation_url))
            meetings_clock = MeetingsClock(dt.datetime.now(dt.UTC))
            meetings = make_meetings(meetings_db, issuer, meetings_clock, owner=ProtectionOwner(people))
            async with app_client(applications) as a, app_client(meetings) as m:
                nord = await setup_nord(m, as_persona)
                decided = await submitted_case(a, as_persona, couple("2026-04"))
                granted = await _decide(a, as_persona, decided["id"], "karin", "Beviljas enligt beräkningen.")
                asked = await submitted_case(a, as_persona, couple("2026-05"))
                url, karin = f"/applications/{asked['id']}", as_persona("karin")
                assert (await a.post(f"{url}/assign", headers=karin)).status_code == 200
                r = await a.post(f"{url}/request-info", headers=karin, json={
                    "due_date": "2026-03-16", "message": "Skicka kontoutdrag för april.",
                    "documents": [{"type": "rental_contract"}]})
                assert r.status_code == 200, r.text
                danas = await submitted_case(a, as_persona, single(DANA, "2026-04"), signers=("dana",), owner="dana")
                await _decide(a, as_persona, danas["id"], "maja", "Beviljas enligt beräkningen.")
                yield Owners(OwnersWay({"applications": applications, "meetings": meetings}), applications_db,
                             meetings_db, m, meetings_clock, nord.visit, decided["id"], granted, asked["id"],
                             danas["id"])


@pytest.fixture(scope="module")
def people(registers):
    """Anna, Bertil and Dana as the registers simulator's demo data has them (name, address, Dana protected), told
    to the simulator again (tests start it empty, and other modules may have changed them); and Gunnar."""
    for person in seed(dt.date.today()):
        if person.personal_number in (ANNA, BERTIL, DANA):
            registers.set_person(person.personal_number, name=f"{person.first_name} {person.last_name}",
                                 address=Address.model_validate(person.address.model_dump()),
                                 protected=person.protected)
    registers.set_person(GUNNAR, name="Gunnar Berg",
                         address=Address(street="Bergsgatan 3", postal_code="333 33", city="Falun"))
    return registers


@contextlib.asynccontextmanager
async def messaging(issuer, idp, owners, registers, *, db_url: str | None = None, clock: Clock | None = None,
                    way: httpx.AsyncBaseTransport | None = None, **overrides):
    """Messaging on a fresh database (or ``db_url``), wired to the real registers, IdP and owners (``way``: another
    way to them)."""
    clock = clock or Clock()
    async with contextlib.AsyncExitStack() as stack:
        if db_url is None:
            db_url = await stack.enter_async_context(fresh_database("messaging"))
        settings: dict[str, Any] = dict(
            registers_url=registers.url, auth_token_url=f"{idp}/token", service_client_id="messaging",
            service_client_secret="dev-messaging",  # noqa: S106 - the IdP's development secret
            applications_url="http://applications", meetings_url="http://meetings")
        settings.update(overrides)
        app = create_messaging(settings_for(db_url, **settings), clock=clock, verifier=verifier_for(issuer),
                               owners_transport=way or owners.way)
        client = await stack.enter_async_context(app_client(app))
        yield client, app, clock, db_url


async def hand_over(issuer, app, owner_db: str, service_name: str, ref: str) -> list[str]:
    """The owner's outbox events about ``ref`` (a case or booking), delivered to messaging's ``POST /events/batch`` by
    kit's EventDelivery with the owner's service token, as the owner's relay does. Returns their topics in order."""
    headers = {"Authorization": f"Bearer {issuer.service_token(service_name)}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://messaging",
                                 headers=headers) as http:
        delivery = messaging_delivery(http) if service_name == "meetings" else EventDelivery(http)
        messages = []
        for message in await outbox_rows(owner_db, service_name):
            if not message.topic.startswith(("application.", "meeting.")):
                continue  # the owner's own jobs, which its relay does not deliver either
            data = message.payload.get("data", message.payload)
            if str(data.get("case_id") or data.get("booking_id")) != ref:
                continue
            messages.append(message)
        # In one POST /events/batch, as the owners' relays deliver a claimed batch.
        assert await delivery.batch(messages) == [None] * len(messages)
        return [m.topic for m in messages]


def client_token(issuer, pnr: str) -> dict[str, str]:
    persona = Persona("c" + pnr, "Klient", ("client",), personal_number=pnr)
    return {"Authorization": f"Bearer {issuer.persona_token(persona)}"}


def operator(issuer) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.persona_token(OPERATOR)}"}


async def want(client, headers: dict[str, str], channels: tuple[str, ...] = ("letter",), **extra: Any) -> None:
    r = await client.put("/me/contact", headers=headers, json={"channels": list(channels), **extra})
    assert r.status_code == 200, r.text
    assert sorted(r.json()["channels"]) == sorted(channels)


def service(issuer, client_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.service_token(client_id)}"}


async def post_event(client, issuer, body: dict[str, Any]) -> httpx.Response:
    sender = "meetings" if body["topic"].startswith("meeting.") else "applications"
    r = await client.post("/events", json=body, headers={**service(issuer, sender), "Idempotency-Key": body["id"]})
    assert r.status_code == 202, r.text
    return r


def meeting_event(topic: str, booking: uuid.UUID | str, recipients: tuple[str, ...], at: dt.datetime,
                  protected: bool = False) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "topic": topic, "occurred_at": at.isoformat(),
            "payload": {"booking_id": str(booking), "unit": "nord", "recipients": list(recipients),
                        "protected_identity": protected, "starts_at": (at + dt.timedelta(days=3)).isoformat(),
                        "channel": "in_person", "location": "Socialkontoret, rum 3"}}


async def drain(app) -> None:
    while await app.state.kit.runtime.relay.run_once():
        pass


async def sql(db_url: str, query: str, **params: Any) -> list[Any]:
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(query), params)).all())
    finally:
        await engine.dispose()


def unzip(body: bytes) -> tuple[dict[str, bytes], list[dict[str, str]], dict[str, Any]]:
    archive = zipfile.ZipFile(io.BytesIO(body))
    files = {name: archive.read(name) for name in archive.namelist()}
    rows = list(csv.DictReader(io.StringIO(files["manifest.csv"].decode())))
    return files, rows, json.loads(files["manifest.json"])


def pdf_text(pdf: bytes) -> str:
    text_ = unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
    return " ".join(text_.split())  # a line break where a paragraph wraps reads as a space


def grouped(amount: int) -> str:
    return f"{amount:,}".replace(",", " ")


def assert_content_free(files: dict[str, bytes], *secrets: str) -> None:
    """Outside the envelope: file names and manifests say nothing of what a letter is about."""
    for name in files:
        assert name in ("manifest.csv", "manifest.json") or re.fullmatch(r"[0-9a-f]{32}\.pdf", name), name
    outside = (files["manifest.csv"] + files["manifest.json"]).decode().lower() + " ".join(files).lower()
    for word in (*CONTENT_WORDS, *secrets):
        assert word.lower() not in outside, word


async def collect(client, issuer, clock: Clock) -> tuple[dt.date, httpx.Response]:
    day = rules.batch_day(clock.now)
    clock.advance(days=1)
    r = await client.get(f"/letters/batches/{day}", headers=operator(issuer))
    assert r.status_code == 200, r.text
    return day, r


async def test_a_decision_letter_from_the_real_decision_to_the_batch(issuer, idp, owners, people, as_persona):
    """Karin's decision on Anna and Bertil's April: Anna wants letters in Swedish, Bertil in Arabic. The owner's
    events go in, the relay fetches both letters from applications, the batch holds them: the decision in each
    one's language inside, only the register's name and address outside."""
    async with messaging(issuer, idp, owners, people) as (client, app, clock, db_url):
        await want(client, as_persona("anna"))
        await want(client, as_persona("bertil"), language="ar")
        topics = await hand_over(issuer, app, owners.applications_db, "applications", owners.decided)
        assert topics[0] == "application.submitted" and topics[-1] == "application.decided"
        queued = await sql(db_url, "SELECT status, kind, ref, language, document FROM letters ORDER BY language")
        assert [(q.status, q.kind, str(q.ref), q.language, q.document) for q in queued] == \
            [("pending", "decision", owners.decided, "ar", None), ("pending", "decision", owners.decided, "sv", None)]
        assert not await sql(db_url, "SELECT 1 FROM notifications")  # a letter is no SMS or e-mail

        asked_before = len(owners.way.asked)
        await drain(app)
        asked = owners.way.asked[asked_before:]
        assert sorted((o, a.kind.value, str(a.ref), a.recipient.value, a.language) for o, _, a in asked) == \
            [("applications", "decision", owners.decided, ANNA, "sv"),
             ("applications", "decision", owners.decided, BERTIL, "ar")]
        assert all("bistand:applications" in audience for _, audience, _ in asked)
        stored = await sql(db_url, "SELECT status, pages, batch_day, document, recipient FROM letters")
        assert {s.status for s in stored} == {"stored"} and all(s.pages >= 1 for s in stored)
        assert all(b"%PDF" not in s.document and ANNA.encode() not in s.recipient for s in stored)  # sealed at rest

        # Today's batch is still growing; tomorrow it may be collected.
        day = rules.batch_day(clock.now)
        assert (await client.get(f"/letters/batches/{day}", headers=operator(issuer))).status_code == 409
        people.requests.clear()
        _, r = await collect(client, issuer, clock)
        assert r.headers["content-type"] == "application/zip" and r.headers["cache-control"] == "no-store"
        files, rows, manifest = unzip(r.content)
        amount = str(owners.granted)
        assert_content_free(files, amount, grouped(owners.granted), owners.decided, "april")
        by_name = {row["recipient_name"]: row for row in rows}
        assert sorted(by_name) == ["Anna Andersson", "Bertil Andersson"]
        for name, row in by_name.items():
            assert (row["address_line_1"], row["address_line_2"], row["postal_code"], row["city"]) == (name, *HOME)
            assert row["delivery"] == "direct" and row["inner_envelope_personal_number"] == ""
            assert row["sha256"] == hashlib.sha256(files[row["file"]]).hexdigest()
            assert int(row["pages"]) == len(PdfReader(io.BytesIO(files[row["file"]])).pages)
        assert manifest["letters"] == 2
        for pnr in (ANNA, BERTIL):
            for form in written_forms(pnr):
                assert form not in json.dumps(manifest) and form not in files["manifest.csv"].decode()

        # Inside: the decision, in the client's language.
        swedish = pdf_text(files[by_name["Anna Andersson"]["file"]])
        for phrase in ("Beslut om ekonomiskt bistånd", f"Du beviljas ekonomiskt bistånd med {grouped(owners.granted)} "
                       "kr för april 2026", "Beviljas enligt beräkningen.", "förvaltningsrätten"):
            assert phrase in swedish, (phrase, swedish)
        arabic = pdf_text(files[by_name["Bertil Andersson"]["file"]])
        for phrase in ("قرار بشأن المساعدة المالية", "قررنا منحك مساعدة مالية", "المحكمة الإدارية"):
            assert unicodedata.normalize("NFKC", phrase) in arabic, (phrase, arabic)
        assert grouped(owners.granted) in arabic and "Beslut om ekonomiskt" not in arabic

        # The addresses came from the population register, asked for this purpose by this process.
        [(path, query)] = people.requests
        assert path == "/internal/population" and sorted(query["personal_numbers"]) == [ANNA, BERTIL]
        assert (query["purpose"], query["process"]) == ("case_handling", "messaging.letters")

        # Audited: who, which day, how many; never content or the person.
        [audited] = await sql(db_url, "SELECT actor, action, resource_type, resource_id, subject, details "
                                      "FROM audit_log WHERE resource_type = 'letter_batch'")
        assert (audited.actor, audited.action, audited.resource_id, audited.subject) == \
            ("persona:postrum", "export", day.isoformat(), None)
        assert audited.details == {"letters": 2, "forwarded": 0}
        listed = await client.get("/letters/batches", headers=operator(issuer))
        assert listed.json()["batches"][0]["collected"] is True

        # The client's register extract names the letter (what, when, for which print day), never its PDF.
        extract = await client.post("/internal/subject-access", headers=service(issuer, "applications"),
                                    json={"personal_number": ANNA, "requested_by": "client",
                                          "request_id": str(uuid.uuid4())})
        assert extract.status_code == 200, extract.text
        [contact] = [s for s in extract.json()["sections"] if s["key"] == "contact"]
        [letter] = [i for i in contact["items"] if i["heading"]["en"] == "Letter"]
        values = {e["key"]: e["value"] for e in letter["entries"]}
        assert (values["kind"], values["status"], values["batch_day"]) == ("decision", "stored", day.isoformat())


async def test_a_meeting_booked_then_cancelled(issuer, idp, owners, people, as_persona):
    """Anna books on Mina sidor and cancels before the post room asked: the booked letter is no longer the owner's
    to write (409 letter-not-applicable) and fails at once, not retried; the cancelled letter goes."""
    async with messaging(issuer, idp, owners, people) as (client, app, clock, db_url):
        await want(client, as_persona("anna"))
        start = weekday_at_ten(0)
        booking = await owners.book(as_persona, start)
        cancelled = await owners.meetings.post(f"/bookings/{booking}/cancel", headers=as_persona("anna"), json={})
        assert cancelled.status_code == 200, cancelled.text
        topics = await hand_over(issuer, app, owners.meetings_db, "meetings", booking)
        assert topics == ["meeting.booked", "meeting.cancelled"]
        await drain(app)
        letters = {r.kind: r for r in await sql(db_url, "SELECT kind, status, detail FROM letters")}
        assert (letters["meeting_booked"].status, letters["meeting_booked"].detail) == \
            ("failed", "meetings answered 409")
        assert letters["meeting_cancelled"].status == "stored"
        # Given up, not retried: later rounds of the relay (past any backoff) ask the owner nothing more.
        asked = len(owners.way.asked)
        clock.advance(hours=1)
        await drain(app)
        assert len(owners.way.asked) == asked
        [(booked,)] = await sql(db_url, "SELECT count(*) FROM outbox WHERE topic = 'letter.fetch' "
                                        "AND delivered_at IS NULL")
        assert booked == 0
        _, r = await collect(client, issuer, clock)
        files, [row], _ = unzip(r.content)
        assert_content_free(files, booking, "Storgatan 1, Nordstad")
        assert row["recipient_name"] == "Anna Andersson" and row["address_line_2"] == HOME[0]
        letter = pdf_text(files[row["file"]])
        when = f"{start.day} {SV_MONTHS[start.month - 1]}"
        for phrase in ("Ditt möte med socialtjänsten är inställt", "Du behöver inte komma", when):
            assert phrase in letter, (phrase, letter)
async def test_a_protected_client_gets_their_decision_through_skatteverket(issuer, idp, owners, people, as_persona):
    """Dana (protected identity in the population register) has a letter-only contact; Maja's decision on her case,
    an event flagged protected: no notification, a letter, and the batch sends it through Skatteverket's forwarding:
    her real address is nowhere in the zip."""
    async with messaging(issuer, idp, owners, people) as (client, app, clock, db_url):
        dana = as_persona("dana")
        refused = await client.put("/me/contact", headers=dana, json={"phone": "0701234567", "channels": ["sms"]})
        assert refused.status_code == 409 and refused.json()["type"].endswith("contact-protected-identity")
        for sneaked in ({"phone": "0701234567"}, {"email": "dana@example.se"}):  # letter-only means no details
            r = await client.put("/me/contact", headers=dana, json={"channels": ["letter"], **sneaked})
            assert r.status_code == 409, r.text
        await want(client, dana, language="ar")
        assert (await client.get("/me/contact", headers=dana)).json() == \
            {"phone": None, "email": None, "channels": ["letter"], "language": "ar", "direction": "rtl"}

        topics = await hand_over(issuer, app, owners.applications_db, "applications", owners.danas)
        assert topics[-1] == "application.decided"
        assert [p.personal_number for p in await sql(db_url, "SELECT personal_number FROM protected_persons")] == \
            [DANA]
        assert not await sql(db_url, "SELECT 1 FROM notifications")
        # The contact stayed (letter-only: no details to drop); an event flagged protected still queues its letter.
        assert (await client.get("/me/contact", headers=dana)).status_code == 200
        [queued] = await sql(db_url, "SELECT kind, language, status FROM letters")
        assert (queued.kind, queued.language, queued.status) == ("decision", "ar", "pending")
        await drain(app)
        assert [r.status for r in await sql(db_url, "SELECT status FROM letters")] == ["stored"]

        _, r = await collect(client, issuer, clock)
        files, [row], manifest = unzip(r.content)
        assert_content_free(files, owners.danas)
        assert (row["address_line_1"], row["address_line_2"], row["postal_code"], row["city"]) == \
            ("Skatteverket", "Box 2820", "403 20", "Göteborg")
        assert row["delivery"] == "forwarded" and manifest["items"][0]["delivery"] == "forwarded"
        # The inner envelope: name and personnummer, as Skatteverket asks.
        assert row["inner_envelope_personal_number"] == DANA and row["recipient_name"]
        # What can be read in the batch: its file names, the manifests and each letter's text (not the raw bytes,
        # where a postal code's digits turn up by chance among a PDF's cross-reference offsets).
        everything = "\n".join(files) + files["manifest.csv"].decode() + files["manifest.json"].decode()
        for pdf in (v for k, v in files.items() if k.endswith(".pdf")):
            everything += pdf_text(pdf)
        for secret in (*DANAS_ADDRESS, "Skyddad adress"):
            assert secret not in everything, secret
        assert unicodedata.normalize("NFKC", "قرار بشأن المساعدة المالية") in pdf_text(files[row["file"]])
        [audited] = await sql(db_url, "SELECT details FROM audit_log WHERE resource_type = 'letter_batch'")
        assert audited.details == {"letters": 1, "forwarded": 1}


async def test_staff_set_a_letter_only_contact_for_a_protected_client(issuer, idp, owners, people, as_persona):
    """Maja (cleared, Dana's unit) sets letters for Dana; SMS stays refused. Karin (not cleared) gets the same 404 for
    Dana as for a stranger: nothing tells her Dana is protected, or a client at all."""
    async with messaging(issuer, idp, owners, people) as (client, app, clock, db_url):
        await make_known(client, lambda body: {**service(issuer, "applications"), "Idempotency-Key": body["id"]},
                         DANA, protected=True)
        maja, karin = as_persona("maja"), as_persona("karin")
        r = await client.put("/contacts", headers=maja, json={"personal_number": DANA, "channels": ["letter"]})
        assert r.status_code == 200, r.text
        assert r.json() == {"phone": None, "email": None, "channels": ["letter"], "language": "sv", "direction": "ltr"}
        sms = await client.put("/contacts", headers=maja, json={"personal_number": DANA, "channels": ["sms", "letter"],
                                                                "phone": "0701234567"})
        assert sms.status_code == 409 and sms.json()["type"].endswith("contact-protected-identity")
        stranger = await client.put("/contacts", headers=karin, json={"personal_number": OLOF, "channels": ["letter"]})
        assert stranger.status_code == 404, stranger.text
        for body in ({"channels": ["letter"]}, {"channels": ["sms"], "phone": "0701234567"}):
            hidden = await client.put("/contacts", headers=karin, json={"personal_number": DANA, **body})
            assert hidden.status_code == 404, hidden.text
            assert (hidden.json()["type"], hidden.json()["title"], hidden.json().get("detail")) == \
                (stranger.json()["type"], stranger.json()["title"], stranger.json().get("detail"))
            for form in written_forms(DANA):
                assert form not in hidden.text
            assert "protect" not in hidden.text.lower()
        # The letter-only contact stands, and a decision flagged protected still makes her letter.
        await post_event(client, issuer, event("application.decided", uuid.UUID(owners.danas), recipients=(DANA,),
                                               protected=True, occurred_at=clock.now))
        assert [r.kind for r in await sql(db_url, "SELECT kind FROM letters")] == ["decision"]
        assert not await sql(db_url, "SELECT 1 FROM notifications")


async def test_only_letter_contacts_and_only_letter_kinds_get_letters(issuer, idp, owners, people):
    async with messaging(issuer, idp, owners, people) as (client, app, clock, db_url):
        await want(client, client_token(issuer, SIGRID), ("sms",), phone="070-111 22 33")
        await want(client, client_token(issuer, GUNNAR), ("letter", "sms"), phone="070-444 55 66")
        case, booking = uuid.uuid4(), uuid.uuid4()
        # No letter: a submitted application, a reminder, a message; nobody without the channel.
        await post_event(client, issuer, event("application.submitted", case, recipients=(SIGRID, OLOF, GUNNAR),
                                               occurred_at=clock.now))
        await post_event(client, issuer, meeting_event("meeting.reminder", booking, (GUNNAR,), clock.now))
        assert not await sql(db_url, "SELECT 1 FROM letters")
        await post_event(client, issuer, event("application.info_requested", case,
                                               recipients=(SIGRID, OLOF, GUNNAR), occurred_at=clock.now))
        for topic in ("meeting.changed", "meeting.cancelled"):
            await post_event(client, issuer, meeting_event(topic, booking, (GUNNAR,), clock.now))
        kinds = sorted(r.kind for r in await sql(db_url, "SELECT kind FROM letters"))
        assert kinds == ["info_requested", "meeting_cancelled", "meeting_changed"]
        # The SMS still goes to those who chose it; no notification row for the letter channel.
        channels = {r.channel for r in await sql(db_url, "SELECT channel FROM notifications")}
        assert channels == {"sms"}
        # A letter-only contact keeps no phone or e-mail: those are for SMS and e-mail alone.
        r = await client.put("/me/contact", headers=client_token(issuer, GUNNAR),
                             json={"channels": ["letter"], "phone": "070-444 55 66"})
        assert r.status_code == 200 and r.json()["phone"] is None, r.text
        # Staff set letters for a client who asks on paper: no phone or e-mail needed.
        await make_known(client, lambda body: {**service(issuer, "applications"),
                                               "Idempotency-Key": body["id"]}, OLOF)
        karin = {"Authorization": f"Bearer {issuer.persona_token(PERSONAS['karin'])}"}
        r = await client.put("/contacts", headers=karin, json={"personal_number": OLOF, "channels": ["letter"]})
        assert r.status_code == 200, r.text
        assert r.json() == {"phone": None, "email": None, "channels": ["letter"], "language": "sv", "direction": "ltr"}


async def test_the_same_event_twice_makes_one_letter(issuer, idp, owners, people, as_persona):
    async with messaging(issuer, idp, owners, people) as (client, app, clock, db_url):
        await want(client, as_persona("anna"))
        body = event("application.decided", uuid.UUID(owners.decided), recipients=(ANNA,), occurred_at=clock.now)
        await post_event(client, issuer, body)
        await post_event(client, issuer, {**body, "occurred_at": (clock.now + dt.timedelta(seconds=1)).isoformat()})
        asked_before = len(owners.way.asked)
        await drain(app)
        await drain(app)
        assert len(owners.way.asked) == asked_before + 1
        assert len(await sql(db_url, "SELECT 1 FROM letters")) == 1
        assert len(await sql(db_url, "SELECT 1 FROM outbox WHERE topic = 'letter.fetch'")) == 1


async def test_an_owner_that_is_down_is_asked_again_and_a_404_is_given_up(issuer, idp, owners, people, as_persona):
    """"Down" is simulated the only way a real owner can be: unreachable (``OwnersWay.down`` refuses the connection,
    as a stopped service's would). The 404 is the real meetings' answer for a booking it does not know."""
    async with messaging(issuer, idp, owners, people) as (client, app, clock, db_url):
        await want(client, as_persona("anna"))
        booking = await owners.book(as_persona, weekday_at_ten(1))
        owners.way.down.add("meetings")
        try:
            assert await hand_over(issuer, app, owners.meetings_db, "meetings", booking) == ["meeting.booked"]
            await drain(app)
            [waiting] = await sql(db_url, "SELECT status FROM letters")
            [entry] = await sql(db_url, "SELECT attempts, delivered_at FROM outbox WHERE topic = 'letter.fetch'")
            assert waiting.status == "pending" and entry.attempts == 1 and entry.delivered_at is None
        finally:
            owners.way.down.discard("meetings")
        await drain(app)
        assert [r.status for r in await sql(db_url, "SELECT status FROM letters")] == ["stored"]
        # The owner knows no such booking for her: given up at once, logged without content.
        unknown = uuid.uuid4()
        await post_event(client, issuer, meeting_event("meeting.cancelled", unknown, (ANNA,), clock.now))
        await drain(app)
        failed = await sql(db_url, "SELECT status, detail FROM letters WHERE ref = :r", r=unknown)
        assert [(f.status, f.detail) for f in failed] == [("failed", "meetings answered 404")]


async def test_the_owners_409_and_422_fail_the_letter_at_once(issuer, idp, owners, people, as_persona):
    """409 `letter-not-applicable` from the real applications: a decision letter for a case without a decision
    (Anna's May case, where more information was asked for); the meetings 409 is in
    test_a_meeting_booked_then_cancelled. 422: the real owners answer it only for a kind they do not write, which
    messaging's routing (rules.owner) never asks, and a token for another owner's audience would be refused before
    (a 401, retried); so a MINIMAL STAND-IN (httpx.MockTransport) answers applications' 422 for just that case."""
    async with messaging(issuer, idp, owners, people) as (client, app, clock, db_url):
        await want(client, as_persona("anna"))
        await post_event(client, issuer, event("application.decided", uuid.UUID(owners.asked), recipients=(ANNA,),
                                               occurred_at=clock.now))
        await drain(app)
        asked = len(owners.way.asked)
        clock.advance(hours=1)
        await drain(app)
        assert len(owners.way.asked) == asked  # not asked again
        assert [(r.status, r.detail) for r in await sql(db_url, "SELECT status, detail FROM letters")] == \
            [("failed", "applications answered 409")]
        assert not await sql(db_url, "SELECT 1 FROM outbox WHERE topic = 'letter.fetch' AND delivered_at IS NULL")

    answered: list[str] = []

    def not_my_kind(request: httpx.Request) -> httpx.Response:
        answered.append(request.url.host)
        return httpx.Response(422, json={"type": "urn:bistand:problem:letter-kind-not-here", "status": 422},
                              headers={"content-type": "application/problem+json"})

    async with messaging(issuer, idp, owners, people, way=httpx.MockTransport(not_my_kind)) as \
            (client, app, clock, db_url):
        await want(client, as_persona("anna"))
        await post_event(client, issuer, event("application.decided", uuid.UUID(owners.decided), recipients=(ANNA,),
                                               occurred_at=clock.now))
        await drain(app)
        clock.advance(hours=1)
        await drain(app)
        assert answered == ["applications"]
        assert [(r.status, r.detail) for r in await sql(db_url, "SELECT status, detail FROM letters")] == \
            [("failed", "applications answered 422")]


async def test_no_batch_without_addresses(issuer, idp, owners, people, as_persona):
    async with messaging(issuer, idp, owners, people) as (client, app, clock, db_url):
        await want(client, as_persona("anna"))
        await post_event(client, issuer, event("application.decided", uuid.UUID(owners.decided), recipients=(ANNA,),
                                               occurred_at=clock.now))
        await drain(app)
        day = rules.batch_day(clock.now)
        clock.advance(days=1)
        with register_down(people):
            r = await client.get(f"/letters/batches/{day}", headers=operator(issuer))
        assert r.status_code == 503 and r.json()["type"].endswith("address-lookup-unavailable")
        assert "Anna" not in r.text and ANNA not in r.text
        assert [x.batched_at for x in await sql(db_url, "SELECT batched_at FROM letters")] == [None]
        assert not await sql(db_url, "SELECT 1 FROM audit_log WHERE resource_type = 'letter_batch'")


async def test_gallring_deletes_letters_a_while_after_their_batch(issuer, idp, owners, people, as_persona):
    async with messaging(issuer, idp, owners, people) as (client, app, clock, db_url):
        await want(client, as_persona("anna"))
        collected, waiting = uuid.UUID(owners.decided), uuid.UUID(owners.asked)
        await post_event(client, issuer, event("application.decided", collected, recipients=(ANNA,),
                                               occurred_at=clock.now))
        await drain(app)
        day = rules.batch_day(clock.now)
        clock.advance(days=1)
        assert (await client.get(f"/letters/batches/{day}", headers=operator(issuer))).status_code == 200
        await post_event(client, issuer, event("application.info_requested", waiting, recipients=(ANNA,),
                                               occurred_at=clock.now))
        await drain(app)
        assert [r.status for r in await sql(db_url, "SELECT status FROM letters WHERE ref = :r", r=waiting)] == \
            ["stored"]
        retention = app.state.kit.runtime.retention
        clock.advance(days=29)
        assert (await retention.run_once()).get("letters", 0) == 0
        clock.advance(days=2)
        assert (await retention.run_once())["letters"] == 1
        # The letter whose batch nobody collected yet stays.
        assert [r.ref for r in await sql(db_url, "SELECT ref FROM letters")] == [waiting]


async def test_letters_are_sealed_and_rekeyed_with_everything_else(issuer, idp, owners, people, as_persona):
    rotated = f"k2:{new_key()},{DEV_KEYS}"
    async with fresh_database("messaging") as db_url:
        async with messaging(issuer, idp, owners, people, db_url=db_url) as (client, app, clock, _):
            await want(client, as_persona("anna"))
            await post_event(client, issuer, event("application.decided", uuid.UUID(owners.decided),
                                                   recipients=(ANNA,), occurred_at=clock.now))
            await drain(app)
            owners.way.down.add("applications")
            try:
                await post_event(client, issuer, event("application.info_requested", uuid.UUID(owners.asked),
                                                       recipients=(ANNA,), occurred_at=clock.now))
                await drain(app)
            finally:
                owners.way.down.discard("applications")
        # The ops command: the contact and both letters (the pending one without a document yet).
        assert await rekey_all(settings_for(db_url, encryption_keys=rotated), batch=10) == 3
        assert {r.key_id for r in await sql(db_url, "SELECT key_id FROM letters")} == {"k2"}
        # The pending letter is fetched (its outbox entry, a kit row, is sealed under the old key until purged).
        async with messaging(issuer, idp, owners, people, db_url=db_url, clock=clock, encryption_keys=rotated) as \
                (client, app, clock, _):
            await drain(app)
        assert {(r.status, r.key_id) for r in await sql(db_url, "SELECT status, key_id FROM letters")} == \
            {("stored", "k2")}
        # The old key gone: the batch reads under the new key alone.
        only_new = rotated.split(",")[0]
        async with messaging(issuer, idp, owners, people, db_url=db_url, clock=clock, encryption_keys=only_new) as \
                (client, app, clock, _):
            day = rules.batch_day(clock.now)
            clock.advance(days=1)
            r = await client.get(f"/letters/batches/{day}", headers=operator(issuer))
            assert r.status_code == 200, r.text
            files, rows, _ = unzip(r.content)
            assert len(rows) == 2 and all(PdfReader(io.BytesIO(files[row["file"]])).pages for row in rows)


# --- who may collect: every kind of token against a day with a letter, bodies read ---------------------------------

@pytest.fixture(scope="module")
async def world(issuer, idp, owners, people, as_persona):
    async with messaging(issuer, idp, owners, people) as (client, app, clock, _):
        await want(client, as_persona("anna"))
        await post_event(client, issuer, event("application.decided", uuid.UUID(owners.decided), recipients=(ANNA,),
                                               occurred_at=clock.now))
        await drain(app)
        day = rules.batch_day(clock.now)
        clock.advance(days=1)
        yield client, day


# Service tokens: those made for messaging's audience are refused (403); messaging's and payments' own tokens are
# for other audiences (IDP_CLIENT_TARGETS), not valid here at all (401).
REFUSED = {**dict.fromkeys(("anna", "bertil", "cecilia", "dana", "karin", "lars", "maja", "nils", "tove"), 403),
           "service:applications": 403, "service:meetings": 403, "service:messaging": 401, "service:payments": 401,
           "client-with-permission": 403, "anon": 401, "forged": 401}


def headers_of(issuer, as_persona, caller: str) -> dict[str, str]:
    if caller == "operator":
        return operator(issuer)
    if caller == "client-with-permission":
        return {"Authorization": f"Bearer {issuer.persona_token(CLIENT_WITH_PERMISSION)}"}
    if caller.startswith("service:"):
        return service(issuer, caller.removeprefix("service:"))
    return caller_headers(issuer, as_persona, "applications")(caller)


@pytest.mark.parametrize(("caller", "expected"), [*REFUSED.items(), ("adam", 200), ("operator", 200)])
@pytest.mark.parametrize("route", ["list", "batch"])
async def test_who_may_collect_letters(world, issuer, as_persona, caller, expected, route):
    client, day = world
    path = "/letters/batches" if route == "list" else f"/letters/batches/{day}"
    r = await client.get(path, headers=headers_of(issuer, as_persona, caller))
    assert r.status_code == expected, r.text
    if expected >= 400:
        assert r.headers["content-type"] == "application/problem+json"
        for secret in (*written_forms(ANNA), "Anna", "Andersson", "Storgatan", '"letters"'):
            assert secret not in r.text
        assert_body_tells_nothing_more(r, caller if caller in PERSONAS else "anon", known=path)
        # Everyone refused is refused alike (persons and services each with one answer).
        same = await client.get(path, headers=headers_of(issuer, as_persona, "karin"))
        if expected == 403 and not caller.startswith("service:"):
            assert r.json()["type"] == same.json()["type"] and r.json()["detail"] == same.json()["detail"]
    elif route == "list":
        assert r.json()["batches"][0]["letters"] == 1
    else:
        assert r.headers["content-type"] == "application/zip"


async def test_a_day_without_letters_and_a_day_that_is_no_date(world, issuer):
    client, day = world
    empty = await client.get(f"/letters/batches/{day - dt.timedelta(days=3)}", headers=operator(issuer))
    assert empty.status_code == 404 and empty.headers["content-type"] == "application/problem+json"
    for bad in ("2026-13-01", "yesterday", "1"):
        r = await client.get(f"/letters/batches/{bad}", headers=operator(issuer))
        assert r.status_code == 422, (bad, r.text)


def test_the_return_address_may_not_tell():
    from services.messaging.settings import MessagingSettings

    with pytest.raises(ValueError, match="return address"):
        MessagingSettings(letter_return_address="Socialtjänsten Nord;Box 1;123 45 Kommunstad")
    with pytest.raises(ValueError):
        MessagingSettings(letter_forwarding_address="Skatteverket")


# --- the pure rules (domain/letters.py) -----------------------------------------------------------------------------

FORWARDING = rules.PostalAddress.parse("Skatteverket;Box 2820;403 20 Göteborg")


def _record(**facts: Any):
    from contracts.registers import PopulationRecord

    return PopulationRecord(**{"personal_number": ASTRID, "found": True, "name": "Astrid Lund",
                               "address": Address(street="Storgatan 1", postal_code="222 22", city="Lund"), **facts})


@pytest.mark.parametrize(("record", "in_copy"), [
    (None, False),  # not asked or not answered about
    (_record(found=False, name=None, address=None), False),  # not in the register
    (_record(protected=True, address=None), False),  # protected in the register
    (_record(address=None), False),  # no address in the register
    (_record(), True),  # protected in our own copy, whatever the register says
])
def test_every_doubt_goes_through_forwarding(record, in_copy):
    made = rules.envelope(ASTRID, record, protected_in_copy=in_copy, forwarding=FORWARDING)
    assert made.forwarded and made.personal_number == ASTRID
    assert (made.address_lines, made.postal_code, made.city) == (("Skatteverket", "Box 2820"), "403 20", "Göteborg")
    assert "Storgatan" not in repr(made) and ASTRID not in repr(made)


def test_a_registered_address_is_used_as_it_stands():
    made = rules.envelope(ASTRID, _record(), protected_in_copy=False, forwarding=FORWARDING)
    assert not made.forwarded and made.personal_number == ""
    assert (made.address_lines, made.postal_code, made.city) == (("Astrid Lund", "Storgatan 1"), "222 22", "Lund")


def test_the_manifest_runs_no_formula_and_letters_go_only_for_their_kinds():
    entry = rules.ManifestEntry("a.pdf", rules.Envelope("=HYPERLINK(1)", ("x",), "111 11", "Ort", False), 1, "00")
    [_, row] = list(csv.reader(io.StringIO(rules.manifest_csv([entry], FORWARDING))))
    assert row[1] == "'=HYPERLINK(1)"
    from services.messaging.domain.notify import Kind

    assert {k for k in Kind if rules.letter_kind(k)} == {Kind.INFO_REQUESTED, Kind.DECISION, Kind.MEETING_BOOKED,
                                                         Kind.MEETING_CHANGED, Kind.MEETING_CANCELLED}
    assert rules.owner(rules.LETTER_KINDS[Kind.DECISION]) == "applications"
    assert rules.owner(rules.LETTER_KINDS[Kind.MEETING_CANCELLED]) == "meetings"
    # The batch day is the Swedish date: 23.30 UTC on 31 March is already 1 April in Stockholm.
    assert rules.batch_day(dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC)) == dt.date(2026, 4, 1)
