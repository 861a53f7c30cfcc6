"""The problems a client meets in messaging, in the language they ask for (Accept-Language: sv, ar): the same
``type`` and status, the title and detail from messaging's catalogs, Content-Language saying which; without the
header English exactly as before. A thread that is not theirs answers as one that does not exist, in each language."""

from __future__ import annotations

import uuid

import pytest

from tests.messaging.conftest import ANNA, make_app, make_known
from tests.support import app_client, fresh_database

PROBLEM = "urn:bistand:problem:"
BAD_PHONE = {"phone": "12", "channels": ["sms"]}


@pytest.fixture(scope="module")
async def client(issuer, service_headers):
    async with fresh_database("messaging") as url, app_client(make_app(url, issuer)) as c:
        await make_known(c, service_headers, ANNA)
        yield c


def with_language(headers: dict[str, str], language: str | None) -> dict[str, str]:
    return {**headers, "Accept-Language": language} if language else headers


@pytest.mark.parametrize(("language", "title", "detail"), [
    (None, "The contact details are not valid", "Give a mobile number such as 070-123 45 67 or +46701234567."),
    ("ar", "بيانات الاتصال غير صالحة", "أدخل رقم هاتف محمول، مثل 070-123 45 67 أو +46701234567."),
    ("sv-SE,sv;q=0.9", "Kontaktuppgifterna är inte giltiga",
     "Ange ett mobilnummer, till exempel 070-123 45 67 eller +46701234567."),
])
async def test_an_invalid_contact_in_the_clients_language(client, as_persona, language, title, detail):
    answer = await client.put("/me/contact", headers=with_language(as_persona("anna"), language), json=BAD_PHONE)
    body = answer.json()
    assert answer.status_code == 422 and body["type"] == PROBLEM + "contact-invalid-phone"
    assert (body["title"], body["detail"]) == (title, detail)
    assert answer.headers.get("content-language") == (language and language[:2])


async def test_a_message_rule_in_arabic_and_swedish(client, as_persona):
    anna = as_persona("anna")
    started = await client.post("/threads", headers=anna, json={"unit": "nord", "subject": "Fråga"})
    assert started.status_code == 201, started.text
    tid = started.json()["id"]
    answers = {lang: await client.post(f"/threads/{tid}/messages", headers=with_language(anna, lang),
                                       json={"body": "  "}) for lang in (None, "ar", "sv")}
    assert {a.status_code for a in answers.values()} == {422}
    assert {a.json()["type"] for a in answers.values()} == {PROBLEM + "message-empty"}
    assert (answers[None].json()["title"], answers[None].json()["detail"]) == (
        "The message is empty", "Write something before sending.")
    assert (answers["ar"].json()["title"], answers["ar"].json()["detail"]) == (
        "الرسالة فارغة", "اكتب شيئًا قبل الإرسال.")
    assert (answers["sv"].json()["title"], answers["sv"].json()["detail"]) == (
        "Meddelandet är tomt", "Skriv något innan du skickar.")
    assert [answers[lang].headers.get("content-language") for lang in (None, "ar", "sv")] == [None, "ar", "sv"]


@pytest.mark.parametrize(("language", "title", "detail"), [
    (None, "Not found", "No such thread."),
    ("ar", "غير موجود", "المحادثة غير موجودة."),
    ("sv", "Hittades inte", "Konversationen finns inte."),
])
async def test_another_clients_thread_is_as_one_that_does_not_exist(client, as_persona, language, title, detail):
    started = await client.post("/threads", headers=as_persona("anna"), json={"unit": "nord", "subject": "Hyran"})
    assert started.status_code == 201, started.text
    bertil = with_language(as_persona("bertil"), language)
    for path in ("", "/messages"):
        theirs = await client.get(f"/threads/{started.json()['id']}{path}", headers=bertil)
        missing = await client.get(f"/threads/{uuid.uuid4()}{path}", headers=bertil)
        for answer in (theirs, missing):
            assert answer.status_code == 404
            assert answer.headers.get("content-language") == language
        same = ("type", "title", "detail")
        assert [theirs.json()[k] for k in same] == [missing.json()[k] for k in same]
        assert [theirs.json()[k] for k in same] == [PROBLEM + "not-found", title, detail]
