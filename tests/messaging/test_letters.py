"""Letters for clients without digital access: the post room (issue 14 item 3).

A contact with the ``letter`` channel → an event that calls for a letter (a decision, a request for more, a meeting
booked, moved or cancelled) → a letter queued in the event's transaction → the relay asks the owner for the PDF and
keeps it sealed → the next day the print-and-post operator collects the day's batch: a zip of PDFs with opaque names
and a manifest that names the recipient and the address from the population register, never what the letter is
about. A protected person's letter goes through Skatteverket's forwarding, never to an address.

Real services: messaging (in-process), the registers (the session's ``registers`` fixture: the real registers service
in front of its simulator) and the IdP (served, for messaging's service tokens).

STAND-IN, until the lead merges branch letters-render: the owners of the letters' content (applications' and
meetings' ``POST /internal/letters``) are played by ``OwnerStandIn`` below, a small uvicorn server that speaks
contracts.letters over HTTP. It is the other services' wire, not messaging's own code; replace it with the real
applications and meetings apps once they have the route.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import re
import uuid
import zipfile
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from jose import jwt
from pypdf import PdfReader, PdfWriter
from sqlalchemy import text

from contracts.letters import PATH, LetterDocument, LetterRequest
from contracts.registers import Address
from kit.db import make_engine
from services.messaging.domain import letters as rules
from services.messaging.service.rekey import rekey_all
from services.messaging.store.crypto import DEV_KEYS, new_key
from simulators.idp.app import create_app as create_idp
from simulators.idp.personas import PERSONAS, Persona
from tests.access_matrix import assert_body_tells_nothing_more, caller_headers
from tests.conftest import register_down
from tests.messaging.conftest import Clock, event, make_app, make_known, settings_for
from tests.support import app_client, fresh_database, serve_in_thread

# Valid test personnummer of this module's own (the registers' state lives as long as the test process).
ASTRID = "197003159808"  # wants letters; registered at Storgatan 1 in Lund
PETRA = "198107049804"  # wants letters; protected identity in the population register (our copy does not know)
SIGRID = "196509099807"  # SMS only
OLOF = "199201209807"  # no contact at all
GUNNAR = "197711119805"  # wants letters, for the meeting letters and the owner's failures
HEDDA = "198808089802"  # wants letters, for idempotency and gallring

OPERATOR = Persona("postrum", "Post Rummet", ("post_operator",), permissions=(rules.PRINT_PERMISSION,))
# A client whose token somehow carries the permission: still never.
CLIENT_WITH_PERMISSION = Persona("klient", "Klient Klientsson", ("client",), personal_number=OLOF,
                                 permissions=(rules.PRINT_PERMISSION,))

CONTENT_WORDS = ("decision", "beslut", "info_requested", "meeting", "möte", "socialtjänst", "bistånd", "ekonomiskt",
                 "nord", "komplettering", "booked", "cancelled")


def make_pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class OwnerStandIn:
    """STAND-IN for applications' and meetings' POST /internal/letters (contracts.letters), until branch
    letters-render is merged: 404 unless the recipient is a party to the ref (the same for an unknown ref), 403 for
    any caller but messaging's service token. ``down``: 503. ``requests``: (audience, LetterRequest) as received."""

    def __init__(self) -> None:
        self.parties: dict[uuid.UUID, set[str]] = {}
        self.requests: list[tuple[Any, LetterRequest]] = []
        self.down = False
        self.pages = 2

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post(PATH)
        async def letter(request: Request) -> Any:
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            try:
                claims = jwt.get_unverified_claims(token)
            except Exception:
                return JSONResponse({"type": "unauthorized"}, status_code=401)
            if claims.get("client_id") != "messaging":
                return JSONResponse({"type": "forbidden"}, status_code=403)
            asked = LetterRequest.model_validate(await request.json())
            self.requests.append((claims.get("aud"), asked))
            if self.down:
                return JSONResponse({"type": "unavailable"}, status_code=503)
            if asked.recipient.value not in self.parties.get(asked.ref, set()):
                return JSONResponse({"type": "not-found"}, status_code=404)
            document = LetterDocument(kind=asked.kind, language=asked.language, direction="ltr", pages=self.pages,
                                      pdf=base64.b64encode(make_pdf(self.pages)))
            return JSONResponse(document.model_dump(mode="json"))

        return app


@pytest.fixture(scope="module")
def owner():
    stand_in = OwnerStandIn()
    with serve_in_thread(stand_in.app()) as url:
        stand_in.url = url  # type: ignore[attr-defined]
        yield stand_in


@pytest.fixture(scope="module")
def idp(issuer):
    with serve_in_thread(create_idp(issuer.settings, issuer)) as url:
        yield url


@pytest.fixture(scope="module")
def people(registers):
    registers.set_person(ASTRID, name="Astrid Lund",
                         address=Address(street="Storgatan 1", postal_code="222 22", city="Lund"))
    registers.set_person(PETRA, name="Petra Skyddsdotter", protected=True,
                         address=Address(street="Hemliga vägen 9", postal_code="999 99", city="Gömstad"))
    registers.set_person(GUNNAR, name="Gunnar Berg",
                         address=Address(street="Bergsgatan 3", postal_code="333 33", city="Falun"))
    registers.set_person(HEDDA, name="Hedda Holm",
                         address=Address(street="Holmvägen 4", postal_code="444 44", city="Umeå"))
    return registers


@contextlib.asynccontextmanager
async def messaging(issuer, idp, owner, registers, *, db_url: str | None = None, clock: Clock | None = None,
                    **overrides):
    """Messaging on a fresh database (or ``db_url``), wired to the real registers and IdP and to the owners'
    stand-in."""
    clock = clock or Clock()
    async with contextlib.AsyncExitStack() as stack:
        if db_url is None:
            db_url = await stack.enter_async_context(fresh_database("messaging"))
        settings: dict[str, Any] = dict(
            registers_url=registers.url, auth_token_url=f"{idp}/token", service_client_id="messaging",
            service_client_secret="dev-messaging",  # noqa: S106 - the IdP's development secret
            applications_url=owner.url, meetings_url=owner.url)
        settings.update(overrides)
        app = make_app(db_url, issuer, clock, **settings)
        client = await stack.enter_async_context(app_client(app))
        yield client, app, clock, db_url


def client_token(issuer, pnr: str) -> dict[str, str]:
    persona = Persona("c" + pnr, "Klient", ("client",), personal_number=pnr)
    return {"Authorization": f"Bearer {issuer.persona_token(persona)}"}


def operator(issuer) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.persona_token(OPERATOR)}"}


async def want(client, issuer, pnr: str, channels: tuple[str, ...] = ("letter",), **extra: Any) -> None:
    r = await client.put("/me/contact", headers=client_token(issuer, pnr), json={"channels": list(channels), **extra})
    assert r.status_code == 200, r.text
    assert sorted(r.json()["channels"]) == sorted(channels)


def service(issuer, client_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.service_token(client_id)}"}


async def post_event(client, issuer, body: dict[str, Any]) -> httpx.Response:
    sender = "meetings" if body["topic"].startswith("meeting.") else "applications"
    r = await client.post("/events", json=body, headers={**service(issuer, sender), "Idempotency-Key": body["id"]})
    assert r.status_code == 202, r.text
    return r


def meeting_event(topic: str, booking: uuid.UUID, recipients: tuple[str, ...], at: dt.datetime) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "topic": topic, "occurred_at": at.isoformat(),
            "payload": {"booking_id": str(booking), "unit": "nord", "recipients": list(recipients),
                        "protected_identity": False, "starts_at": (at + dt.timedelta(days=3)).isoformat(),
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


def assert_content_free(files: dict[str, bytes]) -> None:
    """Outside the envelope: file names and manifests say nothing of what a letter is about."""
    for name in files:
        assert name in ("manifest.csv", "manifest.json") or re.fullmatch(r"[0-9a-f]{32}\.pdf", name), name
    outside = (files["manifest.csv"] + files["manifest.json"]).decode().lower() + " ".join(files).lower()
    for word in CONTENT_WORDS:
        assert word not in outside, word


async def test_a_decision_letter_from_event_to_batch(issuer, idp, owner, people):
    async with messaging(issuer, idp, owner, people) as (client, app, clock, db_url):
        case = await make_known(client, lambda body: {**service(issuer, "applications"),
                                                      "Idempotency-Key": body["id"]}, ASTRID)
        await want(client, issuer, ASTRID)
        owner.parties[case] = {ASTRID}
        body = event("application.decided", case, recipients=(ASTRID,), occurred_at=clock.now)
        answer = await post_event(client, issuer, body)
        assert answer.json()["notifications"] == 0  # a letter is no SMS or e-mail
        [queued] = await sql(db_url, "SELECT status, kind, ref, language, document, batch_day FROM letters")
        assert (queued.status, queued.kind, queued.ref, queued.document) == ("pending", "decision", case, None)

        await drain(app)
        audience, asked = owner.requests[-1]
        assert (asked.kind.value, asked.ref, asked.recipient.value, asked.language) == ("decision", case, ASTRID, "sv")
        assert asked.event_id == uuid.UUID(body["id"]) and "bistand:applications" in audience
        [stored] = await sql(db_url, "SELECT status, pages, batch_day, document, recipient FROM letters")
        day = rules.batch_day(clock.now)
        assert (stored.status, stored.pages, stored.batch_day) == ("stored", 2, day)
        assert b"%PDF" not in stored.document and ASTRID.encode() not in stored.recipient  # sealed at rest
        assert not await sql(db_url, "SELECT 1 FROM notifications")

        # Today's batch is still growing; tomorrow it may be collected.
        assert (await client.get(f"/letters/batches/{day}", headers=operator(issuer))).status_code == 409
        clock.advance(days=1)
        listed = await client.get("/letters/batches", headers=operator(issuer))
        assert listed.status_code == 200, listed.text
        assert listed.json() == {"batches": [{"day": day.isoformat(), "letters": 1, "pages": 2, "collected": False}]}
        people.requests.clear()
        r = await client.get(f"/letters/batches/{day}", headers=operator(issuer))
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/zip" and r.headers["cache-control"] == "no-store"
        files, rows, manifest = unzip(r.content)
        assert_content_free(files)
        [pdf_name] = [n for n in files if n.endswith(".pdf")]
        assert len(PdfReader(io.BytesIO(files[pdf_name])).pages) == 2
        [row] = rows
        assert row["file"] == pdf_name and row["recipient_name"] == "Astrid Lund"
        assert (row["address_line_1"], row["address_line_2"], row["postal_code"], row["city"]) == \
            ("Astrid Lund", "Storgatan 1", "222 22", "Lund")
        assert row["pages"] == "2" and row["sha256"] == hashlib.sha256(files[pdf_name]).hexdigest()
        assert row["delivery"] == "direct" and row["inner_envelope_personal_number"] == ""
        assert row["return_address"] == "Kommunen, Box 1, 123 45 Kommunstad"
        assert ASTRID not in r.content.decode("latin-1") and ASTRID[2:] not in json.dumps(manifest)
        assert manifest["letters"] == 1 and manifest["items"][0]["address_lines"] == ["Astrid Lund", "Storgatan 1"]
        # The addresses came from the population register, asked for this purpose by this process.
        [(path, query)] = people.requests
        assert path == "/internal/population" and query["personal_numbers"] == [ASTRID]
        assert (query["purpose"], query["process"]) == ("case_handling", "messaging.letters")

        # Audited: who, which day, how many; never content or the person.
        [audited] = await sql(db_url, "SELECT actor, action, resource_type, resource_id, subject, details "
                                      "FROM audit_log WHERE resource_type = 'letter_batch'")
        assert (audited.actor, audited.action, audited.resource_id, audited.subject) == \
            ("persona:postrum", "export", day.isoformat(), None)
        assert audited.details == {"letters": 1, "forwarded": 0}
        listed = await client.get("/letters/batches", headers=operator(issuer))
        assert listed.json()["batches"][0]["collected"] is True

        # The client's register extract names the letter (what, when, for which print day), never its PDF.
        extract = await client.post("/internal/subject-access", headers=service(issuer, "applications"),
                                    json={"personal_number": ASTRID, "requested_by": "client",
                                          "request_id": str(uuid.uuid4())})
        assert extract.status_code == 200, extract.text
        [contact] = [s for s in extract.json()["sections"] if s["key"] == "contact"]
        [letter] = [i for i in contact["items"] if i["heading"]["en"] == "Letter"]
        values = {e["key"]: e["value"] for e in letter["entries"]}
        assert (values["kind"], values["status"], values["batch_day"], values["pages"]) == \
            ("decision", "stored", day.isoformat(), 2)


async def test_a_protected_person_gets_skatteverkets_forwarding_never_an_address(issuer, idp, owner, people):
    async with messaging(issuer, idp, owner, people) as (client, app, clock, _):
        await want(client, issuer, PETRA)
        booking = uuid.uuid4()
        owner.parties[booking] = {PETRA}
        await post_event(client, issuer, meeting_event("meeting.booked", booking, (PETRA,), clock.now))
        await drain(app)
        day = rules.batch_day(clock.now)
        clock.advance(days=1)
        r = await client.get(f"/letters/batches/{day}", headers=operator(issuer))
        assert r.status_code == 200, r.text
        files, [row], manifest = unzip(r.content)
        assert_content_free(files)
        assert (row["address_line_1"], row["address_line_2"], row["postal_code"], row["city"]) == \
            ("Skatteverket", "Box 2820", "403 20", "Göteborg")
        assert row["delivery"] == "forwarded"
        # The inner envelope: name and personnummer, as Skatteverket asks.
        assert (row["recipient_name"], row["inner_envelope_personal_number"]) == ("Petra Skyddsdotter", PETRA)
        everything = r.content.decode("latin-1") + files["manifest.csv"].decode() + files["manifest.json"].decode()
        for secret in ("Hemliga", "999 99", "Gömstad", "Testgatan"):
            assert secret not in everything
        assert manifest["items"][0]["delivery"] == "forwarded"


async def test_only_letter_contacts_and_only_letter_kinds_get_letters(issuer, idp, owner, people):
    async with messaging(issuer, idp, owner, people) as (client, app, clock, db_url):
        await want(client, issuer, SIGRID, ("sms",), phone="070-111 22 33")
        await want(client, issuer, GUNNAR, ("letter", "sms"), phone="070-444 55 66")
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
        # Staff set letters for a client who asks on paper: no phone or e-mail needed.
        await make_known(client, lambda body: {**service(issuer, "applications"),
                                               "Idempotency-Key": body["id"]}, OLOF)
        karin = {"Authorization": f"Bearer {issuer.persona_token(PERSONAS['karin'])}"}
        r = await client.put("/contacts", headers=karin, json={"personal_number": OLOF, "channels": ["letter"]})
        assert r.status_code == 200, r.text
        assert r.json() == {"phone": None, "email": None, "channels": ["letter"], "language": "sv", "direction": "ltr"}


async def test_the_same_event_twice_makes_one_letter(issuer, idp, owner, people):
    async with messaging(issuer, idp, owner, people) as (client, app, clock, db_url):
        await want(client, issuer, HEDDA)
        case = uuid.uuid4()
        owner.parties[case] = {HEDDA}
        body = event("application.decided", case, recipients=(HEDDA,), occurred_at=clock.now)
        await post_event(client, issuer, body)
        await post_event(client, issuer, {**body, "occurred_at": (clock.now + dt.timedelta(seconds=1)).isoformat()})
        asked_before = len(owner.requests)
        await drain(app)
        await drain(app)
        assert len(owner.requests) == asked_before + 1
        assert len(await sql(db_url, "SELECT 1 FROM letters")) == 1
        assert len(await sql(db_url, "SELECT 1 FROM outbox WHERE topic = 'letter.fetch'")) == 1


async def test_an_owner_that_is_down_is_asked_again_and_a_404_is_given_up(issuer, idp, owner, people):
    async with messaging(issuer, idp, owner, people) as (client, app, clock, db_url):
        await want(client, issuer, GUNNAR)
        booking, unknown = uuid.uuid4(), uuid.uuid4()
        owner.parties[booking] = {GUNNAR}
        owner.down = True
        try:
            await post_event(client, issuer, meeting_event("meeting.changed", booking, (GUNNAR,), clock.now))
            await drain(app)
            [waiting] = await sql(db_url, "SELECT status FROM letters")
            [entry] = await sql(db_url, "SELECT attempts, delivered_at FROM outbox WHERE topic = 'letter.fetch'")
            assert waiting.status == "pending" and entry.attempts == 1 and entry.delivered_at is None
        finally:
            owner.down = False
        await drain(app)
        assert [r.status for r in await sql(db_url, "SELECT status FROM letters")] == ["stored"]
        # The owner knows no such booking for him: given up at once, logged without content.
        await post_event(client, issuer, meeting_event("meeting.cancelled", unknown, (GUNNAR,), clock.now))
        await drain(app)
        failed = await sql(db_url, "SELECT status, detail FROM letters WHERE ref = :r", r=unknown)
        assert [(f.status, f.detail) for f in failed] == [("failed", "meetings answered 404")]


async def test_no_batch_without_addresses(issuer, idp, owner, people):
    async with messaging(issuer, idp, owner, people) as (client, app, clock, db_url):
        await want(client, issuer, HEDDA)
        case = uuid.uuid4()
        owner.parties[case] = {HEDDA}
        await post_event(client, issuer, event("application.decided", case, recipients=(HEDDA,),
                                               occurred_at=clock.now))
        await drain(app)
        day = rules.batch_day(clock.now)
        clock.advance(days=1)
        with register_down(people):
            r = await client.get(f"/letters/batches/{day}", headers=operator(issuer))
        assert r.status_code == 503 and r.json()["type"].endswith("address-lookup-unavailable")
        assert "Hedda" not in r.text and HEDDA not in r.text
        assert [x.batched_at for x in await sql(db_url, "SELECT batched_at FROM letters")] == [None]
        assert not await sql(db_url, "SELECT 1 FROM audit_log WHERE resource_type = 'letter_batch'")


async def test_gallring_deletes_letters_a_while_after_their_batch(issuer, idp, owner, people):
    async with messaging(issuer, idp, owner, people) as (client, app, clock, db_url):
        await want(client, issuer, HEDDA)
        collected, waiting = uuid.uuid4(), uuid.uuid4()
        owner.parties.update({collected: {HEDDA}, waiting: {HEDDA}})
        await post_event(client, issuer, event("application.decided", collected, recipients=(HEDDA,),
                                               occurred_at=clock.now))
        await drain(app)
        day = rules.batch_day(clock.now)
        clock.advance(days=1)
        assert (await client.get(f"/letters/batches/{day}", headers=operator(issuer))).status_code == 200
        await post_event(client, issuer, event("application.info_requested", waiting, recipients=(HEDDA,),
                                               occurred_at=clock.now))
        await drain(app)
        retention = app.state.kit.runtime.retention
        clock.advance(days=29)
        assert (await retention.run_once()).get("letters", 0) == 0
        clock.advance(days=2)
        assert (await retention.run_once())["letters"] == 1
        # The letter whose batch nobody collected yet stays.
        assert [r.ref for r in await sql(db_url, "SELECT ref FROM letters")] == [waiting]


async def test_letters_are_sealed_and_rekeyed_with_everything_else(issuer, idp, owner, people):
    rotated = f"k2:{new_key()},{DEV_KEYS}"
    async with fresh_database("messaging") as db_url:
        async with messaging(issuer, idp, owner, people, db_url=db_url) as (client, app, clock, _):
            await want(client, issuer, HEDDA)
            stored, pending = uuid.uuid4(), uuid.uuid4()
            owner.parties.update({stored: {HEDDA}, pending: {HEDDA}})
            await post_event(client, issuer, event("application.decided", stored, recipients=(HEDDA,),
                                                   occurred_at=clock.now))
            await drain(app)
            owner.down = True
            try:
                await post_event(client, issuer, event("application.info_requested", pending, recipients=(HEDDA,),
                                                       occurred_at=clock.now))
                await drain(app)
            finally:
                owner.down = False
        # The ops command: the contact and both letters (the pending one without a document yet).
        assert await rekey_all(settings_for(db_url, encryption_keys=rotated), batch=10) == 3
        assert {r.key_id for r in await sql(db_url, "SELECT key_id FROM letters")} == {"k2"}
        # The pending letter is fetched (its outbox entry, a kit row, is sealed under the old key until purged).
        async with messaging(issuer, idp, owner, people, db_url=db_url, clock=clock, encryption_keys=rotated) as \
                (client, app, clock, _):
            await drain(app)
        assert {(r.status, r.key_id) for r in await sql(db_url, "SELECT status, key_id FROM letters")} == \
            {("stored", "k2")}
        # The old key gone: the batch reads under the new key alone.
        only_new = rotated.split(",")[0]
        async with messaging(issuer, idp, owner, people, db_url=db_url, clock=clock, encryption_keys=only_new) as \
                (client, app, clock, _):
            day = rules.batch_day(clock.now)
            clock.advance(days=1)
            r = await client.get(f"/letters/batches/{day}", headers=operator(issuer))
            assert r.status_code == 200, r.text
            files, rows, _ = unzip(r.content)
            assert len(rows) == 2 and all(PdfReader(io.BytesIO(files[row["file"]])).pages for row in rows)


# --- who may collect: every kind of token against a day with a letter, bodies read ---------------------------------

@pytest.fixture(scope="module")
async def world(issuer, idp, owner, people):
    async with messaging(issuer, idp, owner, people) as (client, app, clock, _):
        await want(client, issuer, ASTRID)
        case = uuid.uuid4()
        owner.parties[case] = {ASTRID}
        await post_event(client, issuer, event("application.decided", case, recipients=(ASTRID,),
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
        for secret in (ASTRID, ASTRID[2:], "Astrid", "Storgatan", '"letters"'):
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
