from __future__ import annotations

import datetime as dt
import uuid

import icalendar
import pytest

from services.meetings.domain.bookings import Booking, BookingStatus, Outcome
from services.meetings.domain.ics import booking_to_ics, booking_uid, calendar_feed
from services.meetings.domain.meeting_types import Channel, MeetingKind
from services.meetings.domain.times import STOCKHOLM
from tests.meetings.test_domain_factories import OFFICE, booking, sthlm, utc


def parse(data: bytes) -> icalendar.Calendar:
    assert isinstance(data, bytes)
    return icalendar.Calendar.from_ical(data)


def only_event(data: bytes) -> icalendar.Event:
    events = parse(data).walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_single_booking_file() -> None:
    bk = booking(start=sthlm(2026, 3, 10, 10), reference="K7MQ-2XD9")
    cal = parse(booking_to_ics(bk))
    assert str(cal["VERSION"]) == "2.0" and str(cal["METHOD"]) == "PUBLISH"
    event = cal.walk("VEVENT")[0]
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == bk.start and end == bk.end
    assert start.tzinfo.key == "Europe/Stockholm"  # type: ignore[union-attr]
    assert start.utcoffset() == dt.timedelta(hours=1)
    assert event["DTSTART"].params["TZID"] == "Europe/Stockholm"
    assert event.decoded("DTSTAMP") == bk.updated_at
    assert str(event["UID"]) == f"{bk.id}@meetings.bistand"
    assert str(event["SUMMARY"]) == "Möte (på plats) K7MQ-2XD9"
    assert str(event["LOCATION"]) == OFFICE
    assert str(event["STATUS"]) == "CONFIRMED" and str(event["CLASS"]) == "PRIVATE"
    assert "Bokningsnummer: K7MQ-2XD9" in str(event["DESCRIPTION"])


@pytest.mark.parametrize(
    ("start", "offset_hours"),
    [
        (sthlm(2026, 3, 27, 9), 1),  # the Friday before the spring change
        (sthlm(2026, 3, 29, 9), 2),  # the day of the change
        (sthlm(2026, 3, 30, 9), 2),  # the Monday after
        (sthlm(2026, 10, 23, 9), 2),
        (sthlm(2026, 10, 25, 9), 1),
        (sthlm(2026, 10, 26, 9), 1),
    ],
)
def test_times_across_dst_changes(start: dt.datetime, offset_hours: int) -> None:
    bk = booking(start=start)
    cal = parse(booking_to_ics(bk))
    event = cal.walk("VEVENT")[0]
    assert event.decoded("DTSTART") == bk.start
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(hours=offset_hours)
    assert event["DTSTART"].to_ical() == f"{start:%Y%m%dT%H%M%S}".encode()  # local wall time in the file
    # The VTIMEZONE itself (not only the TZID name) gives the same offset.
    vtimezone = cal.walk("VTIMEZONE")
    assert [str(tz["TZID"]) for tz in vtimezone] == ["Europe/Stockholm"]
    from_file = vtimezone[0].to_tz(lookup_tzid=False)
    assert start.replace(tzinfo=from_file).utcoffset() == dt.timedelta(hours=offset_hours)


def test_uid_is_stable_and_a_move_bumps_the_sequence() -> None:
    bk = booking()
    assert booking_to_ics(bk) == booking_to_ics(bk)  # same state, same bytes
    moved = bk.model_copy(update={"start": utc(2026, 3, 12, 9), "end": utc(2026, 3, 12, 10), "version": 2,
                                  "updated_at": utc(2026, 3, 2, 8)})
    first, second = only_event(booking_to_ics(bk)), only_event(booking_to_ics(moved))
    assert str(first["UID"]) == str(second["UID"]) == booking_uid(bk)
    assert (first.decoded("SEQUENCE"), second.decoded("SEQUENCE")) == (0, 1)
    assert second.decoded("DTSTART") == utc(2026, 3, 12, 9)


@pytest.mark.parametrize(
    "bk",
    [booking(status=BookingStatus.CANCELLED), booking(outcome=Outcome.CANCELLED_LATE)],
    ids=["cancelled", "cancelled_late"],
)
def test_cancelled_bookings(bk: Booking) -> None:
    event = only_event(booking_to_ics(bk, join_url="https://video.example.se/abc"))
    assert str(event["STATUS"]) == "CANCELLED" and str(event["TRANSP"]) == "TRANSPARENT"
    assert "URL" not in event and "video.example" not in str(event["DESCRIPTION"])


def test_protected_identity_and_home_visits_have_no_location() -> None:
    assert "LOCATION" not in only_event(booking_to_ics(booking(protected_identity=True)))
    home = booking(kind=MeetingKind.HOME_VISIT, location=None)
    event = only_event(booking_to_ics(home))
    assert "LOCATION" not in event and str(event["SUMMARY"]).startswith("Hembesök ")


def test_video_link_in_the_clients_file() -> None:
    bk = booking(kind=MeetingKind.VIDEO, channel=Channel.VIDEO, location=None)
    event = only_event(booking_to_ics(bk, lang="en", join_url="https://video.example.se/r/abc"))
    assert str(event["SUMMARY"]) == f"Meeting (video) {bk.reference}"
    assert str(event["URL"]) == "https://video.example.se/r/abc"
    assert "Meeting link: https://video.example.se/r/abc" in str(event["DESCRIPTION"])


def test_caseworker_feed() -> None:
    bookings = [
        booking(start=sthlm(2026, 10, 26, 9), channel=Channel.PHONE, reference="AAAA-1111",
                client_id="198903149808"),
        booking(start=sthlm(2026, 3, 27, 13), reference="BBBB-2222", client_id="client-2"),
        booking(start=sthlm(2026, 6, 1, 10), kind=MeetingKind.MULTI_PARTY, channel=Channel.VIDEO,
                reference="CCCC-3333", protected_identity=True, status=BookingStatus.CANCELLED),
    ]
    data = calendar_feed(bookings, "Anna Andersson")
    cal = parse(data)
    assert str(cal["X-WR-CALNAME"]) == "Bistånd – Anna Andersson"
    assert cal["REFRESH-INTERVAL"].to_ical() == b"PT15M"
    events = cal.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == [
        "Möte (på plats) BBBB-2222", "Samordnat möte (video) CCCC-3333", "Möte (telefon) AAAA-1111"]
    assert [e.decoded("DTSTART") for e in events] == sorted(b.start for b in bookings)
    assert [e.decoded("DTSTART").astimezone(STOCKHOLM).hour for e in events] == [13, 10, 9]
    assert [str(e["STATUS"]) for e in events] == ["CONFIRMED", "CANCELLED", "CONFIRMED"]
    assert [str(e.get("LOCATION")) for e in events] == [OFFICE, "None", "None"]
    assert len({str(e["UID"]) for e in events}) == 3
    from_file = cal.walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)  # one VTIMEZONE covering March to October
    for event in events:
        wall = event.decoded("DTSTART")
        assert wall.replace(tzinfo=from_file).utcoffset() == wall.utcoffset()
    # Nothing that points at a client.
    for secret in (b"198903149808", b"client-2", b"client-1"):
        assert secret not in data
    assert calendar_feed(reversed(bookings), "Anna Andersson") == data  # order-independent, deterministic


def test_empty_feed_is_a_valid_calendar() -> None:
    cal = parse(calendar_feed([], "Bo Berg"))
    assert cal.walk("VEVENT") == [] and cal.walk("VTIMEZONE") == []


def test_uid_domain_and_id() -> None:
    bk = booking(id=uuid.UUID(int=1))
    assert booking_uid(bk) == "00000000-0000-0000-0000-000000000001@meetings.bistand"


def test_the_clients_file_in_arabic() -> None:
    bk = booking(kind=MeetingKind.VIDEO, channel=Channel.VIDEO, location=None)
    event = only_event(booking_to_ics(bk, lang="ar", join_url="https://video.example.se/r/abc"))
    assert str(event["SUMMARY"]) == f"اجتماع (فيديو) {bk.reference}"
    assert str(event["DESCRIPTION"]) == f"رقم الحجز: {bk.reference}\nرابط الاجتماع: https://video.example.se/r/abc"
