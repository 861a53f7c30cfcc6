"""Rooms and links end with the booking or the participant: a cancelled booking has no room and no working join
link; a move or a new channel is a new room (the old URL stops working); a removed participant's link stops working,
and if they had joined, the others get a new room. The video service checks a room URL by its hash, which is what
the booking keeps (video_link_hash): a URL whose hash is not kept is a dead room."""

from __future__ import annotations

import hashlib

import icalendar
import pytest

from tests.meetings.conftest import CECILIA, make_app, setup_nord, sql, sthlm
from tests.support import app_client, fresh_database

PROBLEM = "urn:bistand:problem:"



@pytest.fixture(autouse=True)
def _start(monday_morning):
    """Every test starts on Monday morning (conftest)."""


@pytest.fixture(scope="module")
async def env(issuer, as_persona, clock, owner):
    async with fresh_database("meetings") as url:
        app = make_app(url, issuer, clock, owner=owner)
        async with app_client(app) as client:
            nord = await setup_nord(client, as_persona)
            yield client, nord, url


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def digest(url: str) -> str:
    return hashlib.sha256(token_of(url).encode()).hexdigest()


async def kept_room(url: str, booking_id: str) -> str | None:
    [row] = await sql(url, "SELECT video_link_hash FROM bookings WHERE id = :b", b=booking_id)
    return row.video_link_hash


async def video_booking(client, headers, nord, day: int, participants: int = 1) -> dict:
    r = await client.post("/bookings", headers=headers, json={
        "meeting_type_id": nord.joint, "caseworker_id": "persona:karin", "personal_number": CECILIA,
        "start": sthlm(2026, 3, day, 10).isoformat(), "channel": "video",
        "external_participants": [{"role": "agency"}] * participants})
    assert r.status_code == 201, r.text
    return r.json()


async def test_a_cancelled_booking_has_no_room_and_no_link(env, as_persona):
    client, nord, url = env
    karin = as_persona("karin")
    booking = await video_booking(client, karin, nord, 17)
    room, link = booking["video_url"], booking["join_links"][0]["url"]
    assert room and await kept_room(url, booking["id"]) == digest(room)
    assert (await client.get(f"/join/{token_of(link)}")).status_code == 200
    r = await client.post(f"/bookings/{booking['id']}/cancel", headers=karin, json={"reason": "Sjuk"})
    assert r.status_code == 200 and r.json()["video_url"] is None
    assert await kept_room(url, booking["id"]) is None  # the room is gone for the video service too
    for method in ("GET", "POST"):
        r = await client.request(method, f"/join/{token_of(link)}")
        assert r.status_code == 404 and r.json()["type"] == PROBLEM + "join-link-invalid"
    revoked = await sql(url, "SELECT revoked_at FROM join_grants WHERE booking_id = :b", b=booking["id"])
    assert revoked and all(g.revoked_at is not None for g in revoked)


async def test_a_move_or_a_new_channel_is_a_new_room(env, as_persona):
    client, nord, url = env
    karin = as_persona("karin")
    booking = await video_booking(client, karin, nord, 18)
    bid, first = booking["id"], booking["video_url"]
    r = await client.post(f"/bookings/{bid}/reschedule", headers=karin,
                          json={"start": sthlm(2026, 3, 18, 11).isoformat(), "reason": "Krock"})
    assert r.status_code == 200, r.text
    second = r.json()["video_url"]
    assert second and second != first and await kept_room(url, bid) == digest(second)
    r = await client.put(f"/bookings/{bid}/channel", headers=karin, json={"channel": "in_person"})
    assert r.status_code == 200 and r.json()["video_url"] is None
    assert await kept_room(url, bid) is None
    r = await client.put(f"/bookings/{bid}/channel", headers=karin, json={"channel": "video"})
    third = r.json()["video_url"]
    assert third not in (None, first, second) and await kept_room(url, bid) == digest(third)
    # the client's calendar file carries the current room only
    r = await client.get(f"/bookings/{bid}.ics", headers=as_persona("cecilia"))
    [event] = icalendar.Calendar.from_ical(r.content).walk("VEVENT")
    assert str(event["url"]) == third and first not in r.text and second not in r.text


async def test_a_removed_participant_is_out(env, as_persona, clock):
    client, nord, url = env
    karin = as_persona("karin")
    booking = await video_booking(client, karin, nord, 19, participants=2)
    bid, room = booking["id"], booking["video_url"]
    [one, two] = [link["url"] for link in booking["join_links"]]
    ids = [p["id"] for p in booking["external_participants"]]
    # the client may not remove anyone; an unknown participant is not found
    r = await client.delete(f"/bookings/{bid}/participants/{ids[0]}", headers=as_persona("cecilia"))
    assert r.status_code == 403
    r = await client.delete(f"/bookings/{bid}/participants/{bid}", headers=karin)
    assert r.status_code == 404 and r.json()["type"] == PROBLEM + "participant-not-found"
    # which grant is which: the first link's participant
    first_id = (await sql(url, "SELECT id FROM join_grants WHERE token_hash = :h", h=digest(one)))[0].id
    second_id = next(i for i in ids if i != str(first_id))
    # removed before joining: their link is dead, the room stays (nobody outside holds it)
    assert (await client.delete(f"/bookings/{bid}/participants/{first_id}", headers=karin)).status_code == 204
    for method in ("GET", "POST"):
        assert (await client.request(method, f"/join/{token_of(one)}")).status_code == 404
    after = (await client.get(f"/bookings/{bid}", headers=karin)).json()
    assert after["video_url"] == room and [p["id"] for p in after["external_participants"]] == [second_id]
    # the other joins (from 15 minutes before) and gets the room; removed afterwards, the room is replaced
    clock.set(sthlm(2026, 3, 19, 9, 50))
    r = await client.post(f"/join/{token_of(two)}")
    assert r.status_code == 200 and r.json()["video_url"] == room
    assert (await client.delete(f"/bookings/{bid}/participants/{second_id}", headers=karin)).status_code == 204
    now = (await client.get(f"/bookings/{bid}", headers=karin)).json()["video_url"]
    assert now and now != room and await kept_room(url, bid) == digest(now)


async def test_a_join_link_to_a_meeting_in_person_hands_out_no_room(env, as_persona, clock):
    client, nord, _ = env
    karin = as_persona("karin")
    booking = await video_booking(client, karin, nord, 20)
    r = await client.put(f"/bookings/{booking['id']}/channel", headers=karin, json={"channel": "in_person"})
    assert r.status_code == 200
    clock.set(sthlm(2026, 3, 20, 9, 55))
    r = await client.post(f"/join/{token_of(booking['join_links'][0]['url'])}")
    assert r.status_code == 200 and r.json()["video_url"] is None
