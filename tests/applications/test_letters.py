"""POST /internal/letters on applications: the request for more information and the decision as PDFs in Swedish,
English and Arabic (the text read back with pypdf), for messaging's post room only, and the same 404 for a case the
recipient is no party of and for one that does not exist. Real service and database, the calculation contract
stand-in, the IdP for the service's own tokens."""

from __future__ import annotations

import base64
import io
import unicodedata
import uuid
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from kit.db import make_engine
from tests.access_matrix import written_forms
from tests.applications.conftest import (
    ANNA,
    BERTIL,
    CECILIA,
    DANA,
    Clock,
    couple,
    make_app,
    single,
    submitted_case,
    with_services,
)
from tests.support import app_client, fresh_database

PATH = "/internal/letters"
ADDRESS = "Box 12, 111 22 Nordstad"
PHONE = "0123-45 67 89"
ASKED = "Skicka kontoutdrag för februari."


@pytest.fixture(scope="module")
async def env(issuer, idp_url, calc, registers):
    async with fresh_database("applications") as url:
        app = make_app(url, issuer, Clock(), registers=registers, letter_postal_address=ADDRESS, letter_phone=PHONE,
                       **with_services(idp_url, calculation_url=calc[0]))
        async with app_client(app) as client:
            yield client, url


@pytest.fixture(scope="module")
def post_room(issuer):
    """messaging's service token for applications (the only client that may ask)."""
    def headers(client_id: str = "messaging") -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.service_token(client_id, 'bistand:applications')}"}

    return headers


async def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
async def asked(env, as_persona):
    """Anna+Bertil's application for March, taken by Karin, who asked for more: two documents and a message."""
    client, _ = env
    case = await submitted_case(client, as_persona, couple("2026-03"))
    url, karin = f"/applications/{case['id']}", as_persona("karin")
    await ok(await client.post(f"{url}/assign", headers=karin))
    await ok(await client.post(f"{url}/request-info", headers=karin, json={
        "due_date": "2026-03-16", "message": ASKED,
        "documents": [{"type": "rental_contract"}, {"type": "other", "text": "Intyg från Försäkringskassan"}]}))
    return case["id"]


@pytest.fixture(scope="module")
async def decided(env, as_persona):
    """Anna+Bertil's application for April, calculated and approved by Karin."""
    client, _ = env
    case = await submitted_case(client, as_persona, couple("2026-04"))
    url, karin = f"/applications/{case['id']}", as_persona("karin")
    await ok(await client.post(f"{url}/assign", headers=karin))
    await ok(await client.post(f"{url}/calculation", headers=karin))
    decision = await ok(await client.post(f"{url}/decision", headers=karin, json={
        "reasons_sv": "Beviljas enligt beräkningen.", "reasons_en": "Granted as calculated.",
        "reason_for_need": "parental_leave"}), 201)
    return {"id": case["id"], "granted": decision["granted"]}


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
    answer = await ok(await client.post(PATH, headers=post_room(), json=body))
    return answer, text_of(answer)


def assert_no_personnummer(text_: str) -> None:
    for pnr in (ANNA, BERTIL, CECILIA, DANA):
        for form in written_forms(pnr):
            assert form not in text_


def grouped(amount: int) -> str:
    return f"{amount:,}".replace(",", " ")


INFO = {
    "sv": ("Vi behöver fler uppgifter från dig", "Hej Anna Andersson!", "mars 2026", "En kopia av ditt hyreskontrakt",
           "Handlingen som beskrivs här: Intyg från Försäkringskassan", "Skicka det senast 16 mars 2026",
           "Skicka kopior med post till Box 12, 111 22 Nordstad", "utan e-legitimation", "Sida 1 av"),
    "en": ("We need more information from you", "Dear Anna Andersson,", "March 2026", "A copy of your rental contract",
           "Send it by March 16, 2026 at the latest", "Send copies by post to Box 12", "without e-ID", "Page 1 of"),
    "ar": ("نحتاج إلى مزيد من المعلومات منك", "نسخة من عقد الإيجار الخاص بك", "مارس", "دون هوية إلكترونية"),
}


@pytest.mark.parametrize("lang", ["sv", "en", "ar"])
async def test_the_info_request_letter(env, post_room, asked, lang):
    client, _ = env
    answer, text_ = await letter(client, post_room, request("info_requested", asked, language=lang))
    assert answer["kind"] == "info_requested" and answer["language"] == lang and answer["pages"] >= 1
    assert answer["direction"] == ("rtl" if lang == "ar" else "ltr")
    for phrase in INFO[lang]:
        assert phrase in text_, (lang, phrase, text_)
    assert ASKED in text_ and asked in text_ and "Exempelkommunen" in text_ and PHONE in text_
    assert_no_personnummer(text_)
    assert "Bertil" not in text_  # only the recipient's own name


async def test_the_co_applicant_gets_the_letter_with_their_own_name(env, post_room, asked):
    client, _ = env
    _, text_ = await letter(client, post_room, request("info_requested", asked, recipient=BERTIL))
    assert "Hej Bertil Andersson!" in text_ and "Anna" not in text_
    assert_no_personnummer(text_)


async def test_an_unknown_language_gets_swedish(env, post_room, asked):
    client, _ = env
    answer, text_ = await letter(client, post_room, request("info_requested", asked, language="so"))
    assert answer["language"] == "sv" and answer["direction"] == "ltr"
    assert "Vi behöver fler uppgifter från dig" in text_


DECISION = {
    "sv": ("Beslut om ekonomiskt bistånd (försörjningsstöd)", "Du beviljas ekonomiskt bistånd med {amount} kr för "
           "april 2026", "Beviljas enligt beräkningen.", "förvaltningsrätten", "inom tre veckor", "Socialtjänstlagen",
           "Beslutet är fattat av"),
    "en": ("Decision letter: financial assistance", "We have decided to grant you financial assistance of SEK {amount} "
           "for April 2026",
           "Granted as calculated.", "administrative court", "within three", "Social Services Act"),
    "ar": ("قرار بشأن المساعدة المالية", "قررنا منحك مساعدة مالية", "المحكمة الإدارية", "خلال ثلاثة أسابيع",
           "Beviljas enligt beräkningen", "كتب الموظف المسؤول عن قضيتك الأسباب باللغة السويدية"),
}


@pytest.mark.parametrize("lang", ["sv", "en", "ar"])
async def test_the_decision_letter(env, post_room, decided, lang):
    client, _ = env
    answer, text_ = await letter(client, post_room, request("decision", decided["id"], language=lang))
    assert answer["kind"] == "decision" and answer["language"] == lang
    assert answer["direction"] == ("rtl" if lang == "ar" else "ltr")
    assert decided["granted"] > 0
    for phrase in DECISION[lang]:
        phrase = phrase.format(amount=grouped(decided["granted"]))
        assert phrase in text_, (lang, phrase, text_)
    assert grouped(decided["granted"]) in text_
    # The case reference may break over a line (an Arabic line is laid out right to left): compare without breaks.
    assert decided["id"] in "".join(text_.replace("\u200e", "").replace("\u200f", "").split())
    assert_no_personnummer(text_)


async def test_a_letter_that_no_longer_applies_is_a_409(env, post_room, asked, decided):
    client, _ = env
    no_decision = await client.post(PATH, headers=post_room(), json=request("decision", asked))
    assert no_decision.status_code == 409 and no_decision.json()["type"].endswith("letter-not-applicable")
    nothing_asked = await client.post(PATH, headers=post_room(), json=request("info_requested", decided["id"]))
    assert nothing_asked.status_code == 409


async def test_a_protected_clients_letter_still_renders(env, post_room, as_persona):
    client, _ = env
    case = await submitted_case(client, as_persona, single(DANA, "2026-05"), signers=("dana",), owner="dana")
    url, maja = f"/applications/{case['id']}", as_persona("maja")
    await ok(await client.post(f"{url}/assign", headers=maja))
    await ok(await client.post(f"{url}/request-info", headers=maja, json={
        "due_date": "2026-03-20", "documents": [{"type": "pay_slip"}]}))
    for lang in ("ar", "sv"):
        answer, text_ = await letter(client, post_room, request("info_requested", case["id"], recipient=DANA,
                                                                language=lang))
        assert answer["direction"] == ("rtl" if lang == "ar" else "ltr")
        assert_no_personnummer(text_)
    assert "Kopior av dina lönespecifikationer" in text_


async def test_a_protected_clients_decision_letter_names_no_caseworker(env, post_room, as_persona):
    client, _ = env
    case = await submitted_case(client, as_persona, single(DANA, "2026-06"), signers=("dana",), owner="dana")
    url, maja = f"/applications/{case['id']}", as_persona("maja")
    await ok(await client.post(f"{url}/assign", headers=maja))
    await ok(await client.post(f"{url}/calculation", headers=maja))
    await ok(await client.post(f"{url}/decision", headers=maja, json={
        "reasons_sv": "Beviljas.", "reason_for_need": "parental_leave"}), 201)
    for lang in ("sv", "ar"):
        answer, text_ = await letter(client, post_room, request("decision", case["id"], recipient=DANA,
                                                                language=lang))
        assert answer["kind"] == "decision" and answer["direction"] == ("rtl" if lang == "ar" else "ltr")
        assert "Maja" not in text_ and "Beslutet är fattat av" not in text_
        assert_no_personnummer(text_)


async def test_the_letter_is_audited_without_its_content(env, post_room, decided):
    client, url = env
    body = request("decision", decided["id"], language="en")
    await letter(client, post_room, body)
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT actor, action, resource_id, subject, purpose, details FROM audit_log "
                "WHERE resource_type = 'letter' AND details->>'event_id' = :e"), {"e": body["event_id"]})).all()
    finally:
        await engine.dispose()
    assert len(rows) == 1
    row = rows[0]
    assert row.actor == "service:messaging" and row.action == "write" and row.resource_id == decided["id"]
    assert row.subject == ANNA
    assert row.details == {"case_id": decided["id"], "kind": "decision", "event_id": body["event_id"],
                           "language": "en"}


# --- who may ask ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("other", ["meetings", "registers", "calculation", "payments", "applications"])
async def test_other_services_are_refused(env, issuer, decided, other):
    client, _ = env
    headers = {"Authorization": f"Bearer {issuer.service_token(other, 'bistand:applications')}"}
    r = await client.post(PATH, headers=headers, json=request("decision", decided["id"]))
    assert r.status_code == 403, r.text
    assert decided["id"] not in r.text and ANNA not in r.text


@pytest.mark.parametrize(("caller", "status"), [("anna", 403), ("bertil", 403), ("karin", 403), ("tove", 403),
                                                ("adam", 403), ("anon", 401)])
async def test_persons_are_refused(env, as_persona, decided, caller, status):
    client, _ = env
    headers = {} if caller == "anon" else as_persona(caller)
    r = await client.post(PATH, headers=headers, json=request("decision", decided["id"]))
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert decided["id"] not in r.text


@pytest.mark.parametrize("kind", ["decision", "info_requested"])
async def test_not_a_party_is_the_same_404_as_no_case(env, post_room, decided, asked, kind):
    client, _ = env
    ref = decided["id"] if kind == "decision" else asked
    answers = [await client.post(PATH, headers=post_room(), json=request(kind, ref, recipient=recipient))
               for recipient in (CECILIA, DANA)]
    answers.append(await client.post(PATH, headers=post_room(), json=request(kind, str(uuid.uuid4()))))
    bodies = [{k: v for k, v in a.json().items() if k != "request_id"} for a in answers]
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert bodies[0] == bodies[1] == bodies[2]
    for a in answers:
        assert ref not in a.text and "nord" not in a.text.lower() and "Anna" not in a.text
        assert_no_personnummer(a.text)


async def test_meeting_kinds_are_not_written_here(env, post_room, decided):
    client, _ = env
    r = await client.post(PATH, headers=post_room(), json=request("meeting_booked", decided["id"]))
    assert r.status_code == 422 and r.json()["type"].endswith("letter-kind-not-here")
    assert decided["id"] not in r.text
