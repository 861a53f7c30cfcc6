"""Booking through the API on real PostgreSQL: the client's own booking, staff booking for a client, no double
booking under 50 concurrent requests, reschedule and cancel rules, channel, staff and external participants,
outcomes, ICS."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import icalendar
import pytest

from services.meetings.domain.times import STOCKHOLM
from tests.meetings.conftest import ANNA, CECILIA, KARIN, MAJA, OFFICE, Clock, make_app, setup_nord, sql, sthlm
from tests.support import app_client, fresh_database, outbox_rows

PROBLEM = "urn:bistand:problem:"



@pytest.fixture(scope="module")
async def env(issuer, as_persona, clock, owner):
    async with fresh_database("meetings") as url:
        app = make_app(url, issuer, clock, owner=owner)
        async with app_client(app) as client:
            nord = await setup_nord(client, as_persona)
            yield client, nord, url


@pytest.fixture(autouse=True)
def _start(monday_morning):
    """Every test starts on Monday morning (conftest)."""


def at(day: int, hour: int, month: int = 3) -> str:
    return sthlm(2026, month, day, hour).isoformat()


async def book(client, headers, type_id, start, caseworker=KARIN, **extra):
    return await client.post("/bookings", headers=headers, json={
        "meeting_type_id": type_id, "caseworker_id": caseworker, "start": start, **extra})


async def test_client_books_own_meeting_with_needs(env, as_persona):
    client, nord, url = env
    r = await book(client, as_persona("anna"), nord.visit, at(17, 10), channel="in_person",
                   interpreter={"language": "ti"}, accessibility=["step_free_access", "other"],
                   accessibility_note="Behöver sitta nära dörren")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["location"] == OFFICE and body["channel"] == "in_person"
    assert body["interpreter_language"] == "ti"
    assert body["accessibility"] == ["other", "step_free_access"]
    assert body["personal_number"] is None and body["staff"] is None  # the client's view
    assert dt.datetime.fromisoformat(body["start"]) == sthlm(2026, 3, 17, 10)
    assert dt.datetime.fromisoformat(body["end"]) == sthlm(2026, 3, 17, 11)
    assert dt.datetime.fromisoformat(body["client_change_deadline"]) == sthlm(2026, 3, 16, 10)
    assert r.headers["etag"] == '"1"'
    # the event for messaging: recipients and time only, never the place
    [event] = [e for e in await outbox_rows(url, "meetings") if e.payload["data"]["booking_id"] == body["id"]]
    assert event.topic == "meeting.booked"
    assert event.payload["data"]["recipients"] == [ANNA]
    assert "location" not in event.payload["data"] and OFFICE not in str(event.payload)
    reminders = await sql(url, "SELECT offset_minutes FROM reminders WHERE booking_id = :b ORDER BY 1", b=body["id"])
    assert [r.offset_minutes for r in reminders] == [120, 1440]
    # the taken time is gone from the slots, and so are its neighbours: 11:00 starts inside its 15-minute buffer,
    # and 09:00's own buffer would reach into it
    r = await client.get("/slots", headers=as_persona("cecilia"), params={
        "meeting_type_id": nord.visit, "from": "2026-03-17", "to": "2026-03-17"})
    free = [(s["caseworker_id"], dt.datetime.fromisoformat(s["start"]).astimezone(STOCKHOLM).hour)
            for s in r.json()["slots"]]
    assert [h for who, h in free if who == KARIN] == []
    assert [h for who, h in free if who == MAJA] == [9, 10, 11]
    # from now on Anna books with her own caseworker: the slots she is offered are Karin's only
    r = await client.get("/slots", headers=as_persona("anna"), params={
        "meeting_type_id": nord.visit, "from": "2026-03-26", "to": "2026-03-26"})
    assert {s["caseworker_id"] for s in r.json()["slots"]} == {KARIN}


async def test_idempotent_retry_returns_the_first_answer(env, as_persona):
    client, nord, url = env
    headers = {**as_persona("cecilia"), "Idempotency-Key": "cecilia-first-booking"}
    first = await book(client, headers, nord.visit, at(18, 9))
    again = await book(client, headers, nord.visit, at(18, 9))
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    rows = await sql(url, "SELECT count(*) AS n FROM bookings WHERE client_personal_number = :p AND start_at = :s",
                     p=CECILIA, s=sthlm(2026, 3, 18, 9))
    assert rows[0].n == 1
    r = await book(client, headers, nord.visit, at(18, 10))  # the same key for another request
    assert r.status_code == 422 and r.json()["type"] == PROBLEM + "idempotency-key-reused"


async def test_fifty_concurrent_bookings_of_one_slot_give_one_booking(issuer, as_persona, owner):
    async with fresh_database("meetings") as url:
        app = make_app(url, issuer, Clock(), owner=owner)
        async with app_client(app) as client:
            nord = await setup_nord(client, as_persona)
            anna = as_persona("anna")
            start = at(19, 10)
            # 50 requests at once, each its own request and DB session, the slot check passing for all of them
            answers = await asyncio.gather(*[book(client, anna, nord.visit, start) for _ in range(50)])
            codes = sorted(a.status_code for a in answers)
            assert codes.count(201) == 1, codes
            assert codes.count(409) == 49, codes
            losers = [a for a in answers if a.status_code == 409]
            assert {a.json()["type"] for a in losers} <= {PROBLEM + "slot-taken", PROBLEM + "slot-unavailable"}
            assert any(a.json()["type"] == PROBLEM + "slot-taken" for a in losers)  # the database said no
            rows = await sql(url, "SELECT count(*) AS n FROM bookings WHERE start_at = :s", s=sthlm(2026, 3, 19, 10))
            assert rows[0].n == 1
            rows = await sql(url, "SELECT count(*) AS n FROM booking_staff WHERE active AND caseworker_id = :c",
                             c=KARIN)
            assert rows[0].n == 1
            # Overlapping, not equal: 09:00 blocks 09:00–10:15 (buffer), so 09:00 and 10:00 exclude each other.
            # Racing writers of overlapping ranges may deadlock in the constraint check; PostgreSQL aborts one,
            # which is answered like any other lost race (409), never a 500.
            answers = await asyncio.gather(*[book(client, anna, nord.visit, at(23, 9 + n % 2)) for n in range(40)])
            codes = sorted(a.status_code for a in answers)
            assert codes.count(201) == 1 and codes.count(409) == 39, codes
            rows = await sql(url, "SELECT count(*) AS n FROM bookings WHERE start_at >= :a AND start_at < :b",
                             a=sthlm(2026, 3, 23), b=sthlm(2026, 3, 24))
            assert rows[0].n == 1


async def test_staff_book_for_a_client_by_personnummer(env, as_persona):
    client, nord, url = env
    karin = as_persona("karin")
    r = await book(client, karin, nord.phone, at(20, 9), personal_number="19750102-9800")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["personal_number"] == CECILIA and body["booked_by_staff"] is True
    assert body["channel"] == "phone" and body["location"] is None
    # the client sees it among their own
    mine = (await client.get("/me/bookings", headers=as_persona("cecilia"))).json()
    assert body["id"] in {b["id"] for b in mine}
    # staff must name the client; the personnummer is validated
    r = await book(client, karin, nord.phone, at(20, 10))
    assert r.status_code == 422 and r.json()["type"] == PROBLEM + "booking-client-required"
    r = await book(client, karin, nord.phone, at(20, 10), personal_number="19750102-9801")
    assert r.status_code == 422
    # a client may not book for someone else, nor a staff-only type
    r = await book(client, as_persona("anna"), nord.visit, at(20, 10), personal_number=CECILIA)
    assert r.status_code == 403 and r.json()["type"] == PROBLEM + "booking-for-other-client"
    r = await book(client, as_persona("anna"), nord.phone, at(20, 10))
    assert r.status_code == 403 and r.json()["type"] == PROBLEM + "meeting-type-not-self-bookable"
    # another unit's caseworker may not use Nord's types
    r = await book(client, as_persona("lars"), nord.phone, at(20, 10), personal_number=CECILIA)
    assert r.status_code == 403 and r.json()["type"] == PROBLEM + "meeting-type-other-unit"
    # a time outside the hours
    r = await book(client, karin, nord.phone, at(20, 15), personal_number=CECILIA)
    assert r.status_code == 409 and r.json()["type"] == PROBLEM + "slot-unavailable"


async def test_client_reschedule_and_cancel_up_to_the_cutoff(env, as_persona, clock):
    client, nord, url = env
    anna = as_persona("anna")
    r = await book(client, anna, nord.visit, at(24, 9), caseworker=MAJA)
    if r.status_code == 422:  # Anna met Karin already in this module: she books with her own caseworker
        assert r.json()["type"] == PROBLEM + "caseworker-not-assigned"
        r = await book(client, anna, nord.visit, at(24, 9))
    assert r.status_code == 201, r.text
    booking = r.json()
    bid = booking["id"]
    # move: with a stale If-Match -> 412; with the right version -> the new time, version 2
    move = {"start": at(24, 11)}
    r = await client.post(f"/bookings/{bid}/reschedule", headers={**anna, "If-Match": '"7"'}, json=move)
    assert r.status_code == 412
    r = await client.post(f"/bookings/{bid}/reschedule", headers={**anna, "If-Match": '"1"'}, json=move)
    assert r.status_code == 200, r.text
    assert dt.datetime.fromisoformat(r.json()["start"]) == sthlm(2026, 3, 24, 11) and r.json()["version"] == 2
    # to a time that is not offered
    r = await client.post(f"/bookings/{bid}/reschedule", headers=anna, json={"start": at(24, 13)})
    assert r.status_code == 409 and r.json()["type"] == PROBLEM + "slot-unavailable"
    # past the cut-off (24 h before the start) the client can no longer change it online
    clock.set(sthlm(2026, 3, 23, 12))
    r = await client.post(f"/bookings/{bid}/cancel", headers=anna, json={})
    assert r.status_code == 409 and r.json()["type"] == PROBLEM + "client-change-cutoff-passed"
    r = await client.post(f"/bookings/{bid}/reschedule", headers=anna, json={"start": at(25, 9)})
    assert r.status_code == 409 and r.json()["type"] == PROBLEM + "client-change-cutoff-passed"
    # the client may still change the channel up to the meeting
    r = await client.put(f"/bookings/{bid}/channel", headers=anna, json={"channel": "video"})
    assert r.status_code == 200, r.text
    assert r.json()["video_url"].startswith("https://") and r.json()["location"] is None
    r = await client.put(f"/bookings/{bid}/channel", headers=anna, json={"channel": "carrier-pigeon"})
    assert r.status_code == 422
    # staff may cancel any time before the start, but only with a reason
    owner = booking["caseworker_id"]
    staff = as_persona("karin" if owner == KARIN else "maja")
    r = await client.post(f"/bookings/{bid}/cancel", headers=staff, json={})
    assert r.status_code == 422 and r.json()["type"] == PROBLEM + "change-reason-required"
    r = await client.post(f"/bookings/{bid}/cancel", headers=staff, json={"reason": "Handläggaren sjuk"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert r.json()["change_reason"] == "Handläggaren sjuk"
    r = await client.post(f"/bookings/{bid}/cancel", headers=staff, json={"reason": "igen"})
    assert r.status_code == 409 and r.json()["type"] == PROBLEM + "booking-closed"
    topics = [e.topic for e in await outbox_rows(url, "meetings") if e.payload["data"]["booking_id"] == bid]
    assert sorted(topics) == sorted(["meeting.booked", "meeting.changed", "meeting.changed", "meeting.cancelled"])
    left = await sql(url, "SELECT count(*) AS n FROM reminders WHERE booking_id = :b AND sent_at IS NULL", b=bid)
    assert left[0].n == 0
    # the cancelled time is free again
    r = await client.get("/slots", headers=as_persona("karin"), params={
        "meeting_type_id": nord.visit, "from": "2026-03-24", "to": "2026-03-24", "caseworker_id": owner})
    assert sthlm(2026, 3, 24, 11) in [dt.datetime.fromisoformat(s["start"]) for s in r.json()["slots"]]


async def test_outcomes_follow_the_clock(env, as_persona, clock):
    client, nord, url = env
    karin = as_persona("karin")
    r = await book(client, karin, nord.home, at(26, 9), personal_number=CECILIA)
    assert r.status_code == 201, r.text
    bid = r.json()["id"]
    assert r.json()["location"] is None  # a home visit never carries an address
    r = await client.post(f"/bookings/{bid}/outcome", headers=karin, json={"outcome": "held"})
    assert r.status_code == 409 and r.json()["type"] == PROBLEM + "meeting-not-started"
    r = await client.post(f"/bookings/{bid}/outcome", headers=karin, json={"outcome": "cancelled_late"})
    assert r.status_code == 409 and r.json()["type"] == PROBLEM + "cancellation-not-late"
    clock.set(sthlm(2026, 3, 26, 9, 5))
    r = await client.post(f"/bookings/{bid}/outcome", headers=as_persona("cecilia"), json={"outcome": "held"})
    assert r.status_code == 403 and r.json()["type"] == PROBLEM + "meeting-role-not-allowed"
    r = await client.post(f"/bookings/{bid}/cancel", headers=karin, json={"reason": "För sent"})
    assert r.status_code == 409 and r.json()["type"] == PROBLEM + "meeting-already-started"
    r = await client.post(f"/bookings/{bid}/outcome", headers=karin, json={"outcome": "no_show"})
    assert r.status_code == 200 and r.json()["outcome"] == "no_show"
    r = await client.post(f"/bookings/{bid}/outcome", headers=karin, json={"outcome": "held"})  # corrected
    assert r.status_code == 200 and r.json()["outcome"] == "held"
    r = await client.post(f"/bookings/{bid}/reschedule", headers=karin, json={"start": at(27, 9), "reason": "x"})
    assert r.status_code == 409 and r.json()["type"] == PROBLEM + "booking-closed"


async def test_several_staff_are_each_guarded_and_externals_join_once(env, as_persona, clock):
    client, nord, url = env
    karin, maja = as_persona("karin"), as_persona("maja")
    r = await book(client, maja, nord.phone, at(31, 10, 3), caseworker=MAJA, personal_number=CECILIA)
    assert r.status_code == 201, r.text
    r = await book(client, karin, nord.joint, at(31, 10, 3), personal_number=CECILIA, channel="video",
                   external_participants=[{"role": "agency", "organisation": "Arbetsförmedlingen"}])
    assert r.status_code == 201, r.text
    joint = r.json()
    [link] = joint["join_links"]
    assert link["organisation"] == "Arbetsförmedlingen" and link["url"].startswith("https://")
    # Maja is busy 10:00-10:30, so she cannot join the 10:00 joint meeting: the database refuses
    r = await client.post(f"/bookings/{joint['id']}/staff", headers=karin, json={"caseworker_id": MAJA})
    assert r.status_code == 409 and r.json()["type"] == PROBLEM + "slot-taken"
    r = await client.post(f"/bookings/{joint['id']}/staff", headers=karin, json={"caseworker_id": "persona:lars"})
    assert r.status_code == 422 and r.json()["type"] == PROBLEM + "caseworker-not-in-unit"
    # on another day she can: and then she, too, is guarded against a double booking
    r = await client.post(f"/bookings/{joint['id']}/reschedule", headers=karin,
                          json={"start": at(1, 11, 4), "reason": "Arbetsförmedlingen kunde inte"})
    assert r.status_code == 200, r.text
    r = await client.post(f"/bookings/{joint['id']}/staff", headers=karin, json={"caseworker_id": MAJA})
    assert r.status_code == 201, r.text
    assert {(s["caseworker_id"], s["role"]) for s in r.json()["staff"]} == {(KARIN, "lead"), (MAJA, "participant")}
    r = await book(client, maja, nord.phone, at(1, 11, 4), caseworker=MAJA, personal_number=CECILIA)
    assert r.status_code == 409 and r.json()["type"] == PROBLEM + "slot-unavailable"
    # Maja sees it in her own list and feed
    mine = (await client.get("/me/bookings", headers=maja)).json()
    assert joint["id"] in {b["id"] for b in mine}
    # the external participant: GET shows when (not used up), POST joins once, from 15 minutes before
    token = link["url"].rsplit("/", 1)[1]
    r = await client.get(f"/join/{token}")
    assert r.status_code == 200 and r.json()["title"] == "Samordnat möte (video)"
    assert r.json()["lang"] == "sv" and r.json()["direction"] == "ltr"
    r = await client.get(f"/join/{token}", headers={"Accept-Language": "ar-SE,ar;q=0.9,sv;q=0.5"})
    assert (r.json()["title"], r.json()["lang"], r.json()["direction"]) == ("اجتماع مشترك (فيديو)", "ar", "rtl")
    r = await client.get(f"/join/{token}", headers={"Accept-Language": "en"})
    assert r.json()["title"] == "Joint meeting (video)" and r.json()["direction"] == "ltr"
    assert "personal_number" not in r.json()
    r = await client.post(f"/join/{token}")
    assert r.status_code == 409 and r.json()["type"] == PROBLEM + "join-too-early"
    clock.set(sthlm(2026, 4, 1, 10, 50))
    r = await client.post(f"/join/{token}")
    assert r.status_code == 200 and r.json()["video_url"].startswith("https://")
    r = await client.post(f"/join/{token}")
    assert r.status_code == 404 and r.json()["type"] == PROBLEM + "join-link-invalid"
    assert (await client.get("/join/not-a-token")).status_code == 404
    # one more participant later: a new one-time link
    clock.set(sthlm(2026, 3, 30, 9))
    r = await client.post(f"/bookings/{joint['id']}/participants", headers=karin, json={"role": "parent"})
    assert r.status_code == 201 and r.json()["url"].startswith("https://")


async def test_ics_for_the_client_parses_with_the_right_times(env, as_persona):
    client, nord, url = env
    r = await book(client, as_persona("karin"), nord.visit, at(30, 10, 3), personal_number=CECILIA,
                   channel="in_person")
    assert r.status_code == 201, r.text
    booking = r.json()
    r = await client.get(f"/bookings/{booking['id']}.ics", headers=as_persona("cecilia"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(r.content)
    [event] = [c for c in cal.walk("VEVENT")]
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    # Monday after the DST change: 10:00 CEST = 08:00 UTC
    assert start == sthlm(2026, 3, 30, 10) and start.astimezone(dt.UTC).hour == 8
    assert end - start == dt.timedelta(hours=1)
    assert str(event["location"]) == OFFICE
    assert booking["reference"] in str(event["summary"])
    assert CECILIA not in r.text and "Cecilia" not in r.text
    assert cal.walk("VTIMEZONE"), "the file carries its time zone"
    assert r.headers["content-language"] == "sv" and "Bokningsnummer" in str(event["description"])
    arabic = await client.get(f"/bookings/{booking['id']}.ics", headers={**as_persona("cecilia"),
                                                                          "Accept-Language": "ar"})
    assert arabic.status_code == 200 and arabic.headers["content-language"] == "ar"
    [event] = icalendar.Calendar.from_ical(arabic.content).walk("VEVENT")
    assert str(event["summary"]) == f"اجتماع (حضوريًا) {booking['reference']}"
    assert str(event["description"]) == f"رقم الحجز: {booking['reference']}"
    r = await client.get(f"/bookings/{booking['id']}.ics", headers=as_persona("anna"))
    assert r.status_code == 404


async def test_caseworker_feed_is_token_protected_and_rotates(env, as_persona):
    client, nord, url = env
    karin = as_persona("karin")
    r = await book(client, karin, nord.phone, at(2, 9, 4), personal_number=CECILIA)
    assert r.status_code == 201, r.text
    first = (await client.post("/me/feed", headers=karin)).json()["url"]
    token = first.rsplit("/", 1)[1].removesuffix(".ics")
    r = await client.get(f"/feeds/{token}.ics")
    assert r.status_code == 200
    cal = icalendar.Calendar.from_ical(r.content)
    events = cal.walk("VEVENT")
    assert events and all("Cecilia" not in str(e.get("summary")) for e in events)
    assert ANNA not in r.text and CECILIA not in r.text
    second = (await client.post("/me/feed", headers=karin)).json()["url"]
    assert second != first
    assert (await client.get(f"/feeds/{token}.ics")).status_code == 404  # the old URL stops working
    assert (await client.get(f"/feeds/{second.rsplit('/', 1)[1]}")).status_code == 200
    assert (await client.post("/me/feed", headers=as_persona("anna"))).status_code == 403


async def test_unknown_and_malformed_ids_are_problems(env, as_persona):
    client, _, _ = env
    r = await client.get(f"/bookings/{uuid.uuid4()}", headers=as_persona("anna"))
    assert r.status_code == 404 and r.json()["type"] == PROBLEM + "booking-not-found"
    r = await client.get("/bookings/nope", headers=as_persona("anna"))
    assert r.status_code == 422
    r = await client.post("/bookings", headers=as_persona("anna"), json={"meeting_type_id": str(uuid.uuid4()),
                                                                          "caseworker_id": KARIN, "start": at(17, 9)})
    assert r.status_code == 404 and r.json()["type"] == PROBLEM + "meeting-type-not-found"
    r = await client.post("/bookings", headers=as_persona("anna"), json={"start": "tomorrow"})
    assert r.status_code == 422 and r.json()["errors"]
    r = await client.post("/bookings", headers=as_persona("anna"), json={
        "meeting_type_id": str(uuid.uuid4()), "caseworker_id": KARIN, "start": "2026-03-17T10:00:00"})
    assert r.status_code == 422  # a naive time is refused: an instant without a zone is a bug
