"""The problems a client meets in meetings, in the language they ask for (Accept-Language: sv, ar): the same
``type`` and status, the title and detail from meetings' catalogs, Content-Language saying which; without the
header English exactly as before. A booking that is not theirs answers as one that does not exist, in each
language."""

from __future__ import annotations

import uuid

import pytest

from tests.meetings.conftest import KARIN, make_app, setup_nord, sthlm
from tests.support import app_client, fresh_database

PROBLEM = "urn:bistand:problem:"
LANGUAGES = (None, "ar", "sv")


@pytest.fixture(scope="module")
async def env(issuer, as_persona, clock, owner):
    """Unit Nord, and Anna's booking with Karin on Tuesday 17 March at 10:00."""
    clock.set(sthlm(2026, 3, 16, 9))
    async with fresh_database("meetings") as url, app_client(make_app(url, issuer, clock, owner=owner)) as client:
        nord = await setup_nord(client, as_persona)
        booked = await client.post("/bookings", headers=as_persona("anna"), json={
            "meeting_type_id": nord.visit, "caseworker_id": KARIN, "start": sthlm(2026, 3, 17, 10).isoformat()})
        assert booked.status_code == 201, booked.text
        yield client, nord, booked.json()["id"]


@pytest.fixture(autouse=True)
def _start(monday_morning):
    """Every test starts on Monday morning (conftest)."""


def with_language(headers: dict[str, str], language: str | None) -> dict[str, str]:
    return {**headers, "Accept-Language": language} if language else headers


async def test_a_taken_time_in_the_clients_language(env, as_persona):
    client, nord, _ = env
    answers = {lang: await client.post("/bookings", headers=with_language(as_persona("cecilia"), lang), json={
        "meeting_type_id": nord.visit, "caseworker_id": KARIN, "start": sthlm(2026, 3, 17, 10).isoformat()})
        for lang in LANGUAGES}
    assert {a.status_code for a in answers.values()} == {409}
    assert {a.json()["type"] for a in answers.values()} == {PROBLEM + "slot-unavailable"}
    assert [answers[lang].json()["title"] for lang in LANGUAGES] == [
        "The time is not available", "الموعد غير متاح", "Tiden är inte ledig"]
    assert [answers[lang].headers.get("content-language") for lang in LANGUAGES] == list(LANGUAGES)


async def test_a_changed_booking_in_the_clients_language(env, as_persona):
    client, _, bid = env
    answers = {lang: await client.post(f"/bookings/{bid}/reschedule", json={
        "start": sthlm(2026, 3, 17, 11).isoformat()}, headers={**with_language(as_persona("anna"), lang),
                                                              "If-Match": '"7"'}) for lang in LANGUAGES}
    assert {a.status_code for a in answers.values()} == {412}
    assert {a.json()["type"] for a in answers.values()} == {PROBLEM + "booking-version-mismatch"}
    assert [(answers[lang].json()["title"], answers[lang].json()["detail"]) for lang in LANGUAGES] == [
        ("The booking has changed", "Reload the booking and try again."),
        ("تغيّر الحجز", "أعد تحميل الحجز وحاول مرة أخرى."),
        ("Bokningen har ändrats", "Hämta bokningen på nytt och försök igen.")]
    assert [answers[lang].headers.get("content-language") for lang in LANGUAGES] == list(LANGUAGES)


@pytest.mark.parametrize(("language", "title"), [
    (None, "No such booking"), ("ar", "الحجز غير موجود"), ("sv", "Bokningen finns inte")])
async def test_another_clients_booking_is_as_one_that_does_not_exist(env, as_persona, language, title):
    client, _, bid = env
    cecilia = with_language(as_persona("cecilia"), language)
    for theirs_path, missing_path, method in (
            (f"/bookings/{bid}", f"/bookings/{uuid.uuid4()}", "GET"),
            (f"/bookings/{bid}.ics", f"/bookings/{uuid.uuid4()}.ics", "GET"),
            (f"/bookings/{bid}/cancel", f"/bookings/{uuid.uuid4()}/cancel", "POST")):
        theirs = await client.request(method, theirs_path, headers=cecilia, json={} if method == "POST" else None)
        missing = await client.request(method, missing_path, headers=cecilia, json={} if method == "POST" else None)
        for answer in (theirs, missing):
            assert answer.status_code == 404, answer.text
            assert answer.headers.get("content-language") == language
        same = ("type", "title", "detail")
        assert [theirs.json().get(k) for k in same] == [missing.json().get(k) for k in same]
        assert [theirs.json().get(k) for k in same] == [PROBLEM + "booking-not-found", title, None]
