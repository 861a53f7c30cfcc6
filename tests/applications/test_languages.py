"""A client's language: Mina sidor, the decision letter and the problems they see in Swedish, English or Arabic
(right to left), chosen by ?lang=, the saved language, Accept-Language, else Swedish; access is unchanged."""

from __future__ import annotations

import io
import unicodedata
import uuid

import pytest
from pypdf import PdfReader

from services.applications.domain.extract_pdf import render_extract_pdf
from services.applications.domain.pdf import render_decision_pdf
from services.applications.settings import ApplicationsSettings
from tests.applications.conftest import CECILIA, Clock, couple, make_app, single, submitted_case, with_services
from tests.applications.test_domain_decision import components, decide, view
from tests.support import app_client, fresh_database

AR = {"Accept-Language": "ar-SE,ar;q=0.9,en;q=0.5"}
FONT = ApplicationsSettings().pdf_font()


def pdf_words(data: bytes) -> str:
    """The text of a PDF, shaped Arabic (presentation forms) folded back to plain letters."""
    return unicodedata.normalize("NFKC", "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("applications") as url:
        yield url


@pytest.fixture(scope="module")
async def client(db_url, issuer, idp_url, calc, registers):
    app = make_app(db_url, issuer, Clock(), registers=registers, **with_services(idp_url, calculation_url=calc[0]))
    async with app_client(app) as c:
        yield c


@pytest.fixture(scope="module")
async def world(client, as_persona):
    household = await submitted_case(client, as_persona, couple())
    decided = await submitted_case(client, as_persona, couple("2026-04"))
    url, k = f"/applications/{decided['id']}", as_persona("karin")
    assert (await client.post(f"{url}/assign", headers=k)).status_code == 200
    assert (await client.post(f"{url}/calculation", headers=k)).status_code == 200
    made = await client.post(f"{url}/decision", headers=k, json={"reason_for_need": "insufficient_income_work"})
    assert made.status_code == 201, made.text
    cecilia = await submitted_case(client, as_persona, single(CECILIA), signers=("cecilia",), owner="cecilia")
    return {"household": household["id"], "decided": decided["id"], "cecilia": cecilia["id"]}


async def test_a_client_reads_mina_sidor_in_arabic_right_to_left(client, as_persona, world):
    answer = await client.get(f"/me/cases/{world['household']}", headers={**as_persona("anna"), **AR})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert answer.headers["content-language"] == "ar"
    assert body["language"] == "ar" and body["direction"] == "rtl"
    assert body["title"] == "تم إرسال الطلب" and "مارس 2026" in body["text"] and body["month"] == "مارس 2026"
    listed = await client.get("/me/cases", headers={**as_persona("bertil"), **AR})
    assert listed.json()["direction"] == "rtl" and listed.headers["content-language"] == "ar"
    assert {c["title"] for c in listed.json()["items"]} >= {"تم إرسال الطلب"}
    invitations = await client.get("/me/invitations", headers={**as_persona("bertil"), **AR})
    assert invitations.status_code == 200 and invitations.json()["language"] == "ar"


async def test_swedish_and_english_are_as_before(client, as_persona, world):
    swedish = await client.get(f"/me/cases/{world['household']}", headers=as_persona("anna"))
    assert swedish.json()["title"] == "Ansökan är skickad" and swedish.json()["month"] == "mars 2026"
    assert swedish.json()["text"] == ("Vi har tagit emot din ansökan för mars 2026. En handläggare kommer att gå "
                                      "igenom den.")
    assert (swedish.json()["language"], swedish.json()["direction"]) == ("sv", "ltr")
    assert swedish.headers["content-language"] == "sv"
    english = await client.get(f"/me/cases/{world['household']}?lang=en", headers={**as_persona("anna"), **AR})
    assert english.json()["title"] == "Application sent" and english.json()["month"] == "March 2026"
    assert (english.json()["language"], english.json()["direction"]) == ("en", "ltr")  # ?lang= wins over the header


async def test_an_unknown_language_falls_back_to_swedish(client, as_persona, world):
    answer = await client.get(f"/me/cases/{world['household']}",
                              headers={**as_persona("anna"), "Accept-Language": "fr-FR,de;q=0.8"})
    assert answer.json()["title"] == "Ansökan är skickad" and answer.json()["language"] == "sv"
    wrong = await client.get(f"/me/cases/{world['household']}?lang=fr", headers=as_persona("anna"))
    assert wrong.status_code == 422 and wrong.json()["type"] == "urn:bistand:problem:validation-error"


async def test_the_saved_language_wins_over_the_header_when_it_has_texts(client, as_persona, world):
    me = as_persona("cecilia")
    assert (await client.put("/me/profile", headers=me, json={"preferred_language": "ar"})).status_code == 200
    mine = await client.get(f"/me/cases/{world['cecilia']}", headers={**me, "Accept-Language": "en"})
    assert mine.json()["language"] == "ar" and mine.json()["title"] == "تم إرسال الطلب"
    # Somali has no texts yet: the header decides, else Swedish.
    assert (await client.put("/me/profile", headers=me, json={"preferred_language": "so"})).status_code == 200
    mine = await client.get(f"/me/cases/{world['cecilia']}", headers={**me, "Accept-Language": "en"})
    assert mine.json()["language"] == "en"
    assert (await client.get(f"/me/cases/{world['cecilia']}", headers=me)).json()["language"] == "sv"


async def test_a_decision_in_arabic_on_mina_sidor_and_as_a_letter(client, as_persona, world):
    anna = {**as_persona("anna"), **AR}
    mine = (await client.get(f"/me/cases/{world['decided']}", headers=anna)).json()
    assert mine["title"] == "القرار: تحصل على مساعدة مالية"
    assert "المحكمة الإدارية" in mine["decision"]["appeal"]
    assert mine["decision"]["reason_for_need"]["text"] == "أنت تعمل، لكن راتبك لا يكفي للعيش."
    assert mine["decision"]["pdf"].endswith("?lang=ar")
    letter = await client.get(f"/applications/{world['decided']}/decision.pdf?lang=ar", headers=as_persona("anna"))
    assert letter.status_code == 200 and letter.headers["content-language"] == ("ar" if FONT else "sv")
    if FONT:
        words = pdf_words(letter.content)
        assert "قرار بشأن المساعدة المالية" in words and "كيفية الطعن في القرار" in words
    # The letter is still the household's only.
    other = await client.get(f"/applications/{world['decided']}/decision.pdf?lang=ar", headers=as_persona("cecilia"))
    assert other.status_code == 404


@pytest.mark.skipif(FONT is None, reason="no DejaVu Sans on this machine")
def test_the_arabic_letter_is_shaped_right_to_left_text_and_swedish_without_a_font():
    d = decide(components(rent_decided=7000), reasons_sv="Hyran godtas upp till skälig nivå.")
    words = pdf_words(render_decision_pdf(view(d, lang="ar", font_path=FONT)))
    for phrase in ("قرار بشأن المساعدة المالية", "الأساس القانوني", "قانون الخدمات الاجتماعية", "Mölndals stad"):
        assert phrase in words, phrase
    assert "Beslut om ekonomiskt bistånd" in pdf_words(render_decision_pdf(view(d, lang="ar")))  # no font: Swedish


async def test_a_problem_in_arabic_keeps_its_type_and_tells_nothing_more(client, as_persona, world):
    missing = await client.get(f"/me/cases/{uuid.uuid4()}", headers={**as_persona("cecilia"), **AR})
    not_hers = await client.get(f"/me/cases/{world['household']}", headers={**as_persona("cecilia"), **AR})
    for answer in (missing, not_hers):
        assert answer.status_code == 404 and answer.headers["content-language"] == "ar"
        body = answer.json()
        assert body["type"] == "urn:bistand:problem:not-found"
        assert body["title"] == "غير موجود" and body["detail"] == "الطلب غير موجود."
    strip = lambda b: {k: v for k, v in b.items() if k not in ("instance", "request_id", "trace_id")}  # noqa: E731
    assert strip(missing.json()) == strip(not_hers.json())
    english = await client.get(f"/me/cases/{uuid.uuid4()}", headers=as_persona("cecilia"))
    assert english.json()["title"] == "Not found" and english.json()["detail"] == "No such application."
    assert "content-language" not in english.headers  # no Accept-Language: English, as always
    swedish = await client.get(f"/me/cases/{uuid.uuid4()}", headers={**as_persona("cecilia"), "Accept-Language": "sv"})
    assert swedish.json()["title"] == "Hittades inte" and swedish.headers["content-language"] == "sv"


async def test_a_broken_rule_and_a_refusal_in_arabic(client, as_persona, world):
    too_early = await client.post("/applications", headers={**as_persona("cecilia"), **AR},
                                  json=single(CECILIA, period="2019-01"))
    assert too_early.status_code == 422 and too_early.json()["type"] == "urn:bistand:problem:period-out-of-range"
    assert too_early.json()["title"] == "لا يمكن تقديم طلب عن ذلك الشهر"
    staff_only = await client.get("/me/cases", headers={**as_persona("karin"), **AR})
    assert staff_only.status_code == 403 and staff_only.json()["type"] == "urn:bistand:problem:forbidden"
    assert staff_only.json()["title"] == "غير مسموح"
    unchanged = await client.get("/me/cases", headers={**as_persona("karin"), "Accept-Language": "en"})
    assert unchanged.json()["title"] == "Forbidden" and unchanged.headers["content-language"] == "en"


@pytest.mark.skipif(FONT is None, reason="no DejaVu Sans on this machine")
def test_the_register_extract_in_arabic_and_swedish_without_a_font():
    from tests.applications.test_domain_subject_access import EXTRACT
    words = pdf_words(render_extract_pdf(EXTRACT, lang="ar", municipality="Exempelkommunen", font_path=FONT))
    # The headings in Arabic; what other services wrote in Swedish and English stays Swedish (there is no Arabic)
    for phrase in ("مستخرج السجل", "الرقم الشخصي", "غير متوفر", "Meddelanden", "Øyvind Ωmega", "8 200", "كرونة"):
        assert phrase in words, phrase
    swedish = pdf_words(render_extract_pdf(EXTRACT, lang="ar", municipality="Exempelkommunen", font_path=None))
    assert "Registerutdrag" in swedish and "8 200 kr" in swedish
