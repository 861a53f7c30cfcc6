"""POST /internal/letters on meetings: the booked, changed and cancelled letters as PDFs in Swedish, English and
Arabic (the text read back with pypdf), for messaging's post room only, and the same 404 for a booking that is not
the recipient's and for one that does not exist. Real service, real database."""

from __future__ import annotations

import base64
import io
import unicodedata
import uuid
from typing import Any

import pytest
from pypdf import PdfReader

from tests.access_matrix import written_forms
from tests.meetings.conftest import ANNA, BERTIL, CECILIA, DANA, KARIN, MAJA, OFFICE, make_app, setup_nord, sql, sthlm
from tests.support import app_client, fresh_database

PATH = "/internal/letters"
ADDRESS = "Box 12, 111 22 Nordstad"
PHONE = "0123-45 67 89"


@pytest.fixture(scope="module")
async def env(issuer, as_persona, clock, owner):
    async with fresh_database("meetings") as url:
        app = make_app(url, issuer, clock, owner=owner, letter_postal_address=ADDRESS, letter_phone=PHONE)
        async with app_client(app) as client:
            nord = await setup_nord(client, as_persona)
            yield client, nord, url


@pytest.fixture(autouse=True)
def _start(monday_morning):
    """Every test starts on Monday 16 March 2026, 09:00 (conftest)."""


@pytest.fixture(scope="module")
def post_room(issuer):
    """messaging's service token for meetings (the only client that may ask)."""
    def headers(client_id: str = "messaging") -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.service_token(client_id, 'bistand:meetings')}"}

    return headers


async def book(client: Any, headers: dict[str, str], type_id: str, start: Any, caseworker: str = KARIN,
               **extra: Any) -> dict[str, Any]:
    r = await client.post("/bookings", headers=headers, json={
        "meeting_type_id": type_id, "caseworker_id": caseworker, "start": start.isoformat(), **extra})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def request(kind: str, ref: str, recipient: str = ANNA, language: str = "sv") -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "kind": kind, "ref": ref, "recipient": recipient, "language": language}


def text_of(answer: dict[str, Any]) -> str:
    pdf = base64.b64decode(answer["pdf"])
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == answer["pages"]
    text_ = unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in reader.pages))
    return " ".join(text_.split())  # a line break where a paragraph wraps reads as a space


async def letter(client: Any, post_room: Any, body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    r = await client.post(PATH, headers=post_room(), json=body)
    assert r.status_code == 200, r.text
    answer = r.json()
    return answer, text_of(answer)


def without_request_id(problem: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in problem.items() if k != "request_id"}


def assert_no_personnummer(text: str) -> None:
    for pnr in (ANNA, BERTIL, CECILIA, DANA):
        for form in written_forms(pnr):
            assert form not in text


async def test_the_booked_letter_in_three_languages(env, post_room, as_persona):
    client, nord, _ = env
    booking = await book(client, as_persona("anna"), nord.visit, sthlm(2026, 3, 17, 10), channel="in_person",
                         interpreter={"language": "ti"})
    expected = {
        "sv": ("Ditt möte med socialtjänsten är bokat", "tisdag 17 mars 2026", "kl. 10:00", "svensk tid",
               "En tolk på tigrinja", "Ring oss på 0123-45 67 89 eller skriv till Box 12", "Sida 1 av 1"),
        "en": ("Your meeting with the social services is booked", "Tuesday 17 March 2026", "10:00", "Swedish time",
               "An interpreter in Tigrinya is booked", "give the booking reference", "Page 1 of 1"),
        "ar": ("تم حجز موعدك مع الخدمات الاجتماعية", "مارس", "10:00", "بتوقيت السويد"),
    }
    for lang, phrases in expected.items():
        answer, text = await letter(client, post_room, request("meeting_booked", booking["id"], language=lang))
        assert answer["kind"] == "meeting_booked" and answer["language"] == lang and answer["pages"] == 1
        assert answer["direction"] == ("rtl" if lang == "ar" else "ltr")
        for phrase in phrases:
            assert phrase in text, (lang, phrase, text)
        assert booking["reference"] in text and OFFICE in text
        assert "Exempelkommunen" in text
        assert_no_personnummer(text)
        assert "Anna" not in text  # no name either: the envelope carries the address


async def test_an_unknown_language_gets_swedish(env, post_room, as_persona):
    client, nord, _ = env
    booking = await book(client, as_persona("anna"), nord.visit, sthlm(2026, 3, 24, 9), channel="phone")
    answer, text = await letter(client, post_room, request("meeting_booked", booking["id"], language="fi"))
    assert answer["language"] == "sv" and answer["direction"] == "ltr"
    assert "Per telefon: vi ringer dig." in text


async def test_a_video_meeting_letter_prints_no_link(env, post_room, as_persona):
    client, nord, _ = env
    booking = await book(client, as_persona("anna"), nord.visit, sthlm(2026, 3, 18, 9), channel="video")
    seen = (await client.get(f"/bookings/{booking['id']}", headers=as_persona("anna"))).json()
    for lang, phrase in (("sv", "Länken står inte i det här brevet"), ("en", "The link is not printed"),
                         ("ar", "الرابط غير مطبوع في هذه الرسالة")):
        _, text = await letter(client, post_room, request("meeting_booked", booking["id"], language=lang))
        assert phrase in text, (lang, text)
        assert "video.kommun.example" not in text and "http" not in text
        if seen.get("video_url"):
            assert seen["video_url"] not in text


async def test_the_changed_and_the_cancelled_letter(env, post_room, as_persona):
    client, nord, _ = env
    anna = as_persona("anna")
    booking = await book(client, anna, nord.visit, sthlm(2026, 3, 19, 9), channel="in_person")
    bid = booking["id"]
    moved = await client.post(f"/bookings/{bid}/reschedule", headers=anna,
                              json={"start": sthlm(2026, 3, 20, 11).isoformat()})
    assert moved.status_code == 200, moved.text
    for lang, phrases in (("sv", ("Ditt möte med socialtjänsten har ändrats", "fredag 20 mars 2026", "kl. 11:00")),
                          ("en", ("has been changed", "Friday 20 March 2026", "11:00–12:00")),
                          ("ar", ("تم تغيير موعدك", "11:00"))):
        answer, text = await letter(client, post_room, request("meeting_changed", bid, language=lang))
        for phrase in phrases:
            assert phrase in text, (lang, phrase, text)
        assert "19 mars" not in text and "19 March" not in text
    # A cancelled letter for a booking that is not cancelled: nothing to post.
    r = await client.post(PATH, headers=post_room(), json=request("meeting_cancelled", bid))
    assert r.status_code == 409, r.text
    assert r.json()["type"].endswith("letter-not-applicable")

    cancelled = await client.post(f"/bookings/{bid}/cancel", headers=anna, json={})
    assert cancelled.status_code == 200, cancelled.text
    for lang, phrases in (("sv", ("Ditt möte med socialtjänsten är inställt", "Du behöver inte komma", "20 mars")),
                          ("en", ("is cancelled", "If you need a new meeting", "20 March 2026")),
                          ("ar", ("تم إلغاء موعدك", "لا داعي للحضور"))):
        answer, text = await letter(client, post_room, request("meeting_cancelled", bid, language=lang))
        assert answer["kind"] == "meeting_cancelled"
        for phrase in phrases:
            assert phrase in text, (lang, phrase, text)
    r = await client.post(PATH, headers=post_room(), json=request("meeting_booked", bid))
    assert r.status_code == 409, r.text


async def test_a_phone_meeting_booked_by_staff(env, post_room, as_persona):
    client, nord, _ = env
    booking = await book(client, as_persona("karin"), nord.phone, sthlm(2026, 3, 20, 9),
                         personal_number=CECILIA)
    _, text = await letter(client, post_room, request("meeting_booked", booking["id"], recipient=CECILIA,
                                                      language="en"))
    assert "By telephone: we will call you." in text and "Friday 20 March 2026" in text
    # Anna is not its client: the same 404 as a booking that does not exist.
    r = await client.post(PATH, headers=post_room(), json=request("meeting_booked", booking["id"]))
    assert r.status_code == 404


async def test_a_protected_clients_letter_still_renders(env, post_room, as_persona):
    client, nord, _ = env
    booking = await book(client, as_persona("dana"), nord.visit, sthlm(2026, 3, 18, 9), caseworker=MAJA,
                         channel="in_person")
    answer, text = await letter(client, post_room, request("meeting_booked", booking["id"], recipient=DANA,
                                                           language="ar"))
    assert answer["direction"] == "rtl" and "تم حجز موعدك" in text
    assert_no_personnummer(text)


async def test_the_letter_is_audited_without_its_content(env, post_room, as_persona):
    client, nord, url = env
    booking = await book(client, as_persona("anna"), nord.visit, sthlm(2026, 3, 25, 9))
    body = request("meeting_booked", booking["id"], language="en")
    await letter(client, post_room, body)
    rows = await sql(url, "SELECT actor, action, resource_type, resource_id, subject, details FROM audit_log "
                          "WHERE resource_type = 'letter' AND resource_id = :id", id=booking["id"])
    assert len(rows) == 1
    row = rows[0]
    assert row.actor == "service:messaging" and row.action == "write" and row.subject == ANNA
    assert row.details == {"booking_id": booking["id"], "kind": "meeting_booked", "event_id": body["event_id"],
                           "language": "en"}


# --- who may ask ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
async def annas_booking(env, as_persona, clock):
    client, nord, _ = env
    clock.set(sthlm(2026, 3, 16, 9))
    return await book(client, as_persona("anna"), nord.visit, sthlm(2026, 3, 23, 9))


@pytest.mark.parametrize("other", ["meetings", "registers", "calculation", "applications"])
async def test_other_services_are_refused(env, issuer, annas_booking, other):
    client, _, _ = env
    headers = {"Authorization": f"Bearer {issuer.service_token(other, 'bistand:meetings')}"}
    r = await client.post(PATH, headers=headers, json=request("meeting_booked", annas_booking["id"]))
    assert r.status_code == 403, r.text
    assert annas_booking["reference"] not in r.text and ANNA not in r.text


@pytest.mark.parametrize(("caller", "status"), [("anna", 403), ("karin", 403), ("tove", 403), ("adam", 403),
                                                 ("anon", 401)])
async def test_persons_are_refused(env, as_persona, annas_booking, caller, status):
    client, _, _ = env
    headers = {} if caller == "anon" else as_persona(caller)
    r = await client.post(PATH, headers=headers, json=request("meeting_booked", annas_booking["id"]))
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"


async def test_not_the_recipients_booking_is_the_same_404_as_none(env, post_room, annas_booking):
    client, _, _ = env
    stranger = await client.post(PATH, headers=post_room(),
                                 json=request("meeting_booked", annas_booking["id"], recipient=BERTIL))
    missing = await client.post(PATH, headers=post_room(), json=request("meeting_booked", str(uuid.uuid4())))
    assert stranger.status_code == missing.status_code == 404
    assert without_request_id(stranger.json()) == without_request_id(missing.json())
    for text in (stranger.text, missing.text):
        assert annas_booking["id"] not in text and annas_booking["reference"] not in text
        assert_no_personnummer(text)
        assert "nord" not in text.lower()


async def test_application_kinds_are_not_written_here(env, post_room, annas_booking):
    client, _, _ = env
    r = await client.post(PATH, headers=post_room(), json=request("decision", annas_booking["id"]))
    assert r.status_code == 422 and r.json()["type"].endswith("letter-kind-not-here")
    assert annas_booking["reference"] not in r.text
