"""Calendar files (RFC 5545) with the icalendar library: one booking for the client, a feed per caseworker.

Decisions:
* Times are written in local time, ``DTSTART;TZID=Europe/Stockholm:20260330T090000``, with a VTIMEZONE
  that icalendar builds from the system's tz database for the dates the file covers
  (``Calendar.add_missing_timezones``). The file then reads the way people speak about the meeting, and a
  change in the tz rules (the EU ending DST) reaches every regenerated file with the tzdata update, which
  a hand-written RRULE would not. DTSTAMP is UTC, as the RFC requires.
* UID is ``<booking id>@meetings.bistand``: stable across moves and cancellation, so a calendar updates
  the entry instead of adding one. SEQUENCE is the booking's version; DTSTAMP its last change, so the
  same booking state always gives the same bytes (a feed can carry an ETag).
* No personal data: SUMMARY is what the meeting is ("Möte (telefon)", "Hembesök") plus the opaque booking
  reference; no client name, personnummer, needs or free text. LOCATION only as
  Booking.shareable_location allows (never for protected identity, never a home). CLASS:PRIVATE, so a
  shared Outlook calendar shows "busy" only.
* A cancelled booking (in time or late) stays in the file with STATUS:CANCELLED, so subscribed calendars
  remove it; the store decides how long cancelled bookings stay in a feed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import icalendar

from services.meetings.domain.bookings import Booking
from services.meetings.domain.labels import Lang, meeting_title, texts
from services.meetings.domain.times import local, local_date, to_utc

PRODID = "-//Bistånd//meetings//SV"
UID_DOMAIN = "meetings.bistand"
FEED_REFRESH = dt.timedelta(minutes=15)


def booking_uid(booking: Booking) -> str:
    return f"{booking.id}@{UID_DOMAIN}"


def event_summary(booking: Booking, lang: Lang = "sv") -> str:
    return f"{meeting_title(booking.kind, booking.channel, lang)} {booking.reference}"


def _event(booking: Booking, lang: Lang, join_url: str | None) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", booking_uid(booking))
    event.add("dtstamp", to_utc(booking.updated_at))
    event.add("dtstart", local(booking.start))
    event.add("dtend", local(booking.end))
    event.add("summary", event_summary(booking, lang))
    event.add("sequence", booking.version - 1)
    event.add("status", "CANCELLED" if booking.is_cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if booking.is_cancelled else "OPAQUE")
    event.add("class", "PRIVATE")
    place = booking.shareable_location
    if place:
        event.add("location", place)
    _ = texts(lang)
    lines = [_("Booking reference: {reference}", reference=booking.reference)]
    if join_url and not booking.is_cancelled:
        lines.append(_("Meeting link: {url}", url=join_url))
        event.add("url", join_url)
    event.add("description", "\n".join(lines))
    return event


def _calendar() -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    return cal


def _finish(cal: icalendar.Calendar, events: list[icalendar.Event], bookings: list[Booking]) -> bytes:
    for event in events:
        cal.add_component(event)
    if bookings:
        first = min(local_date(b.start) for b in bookings) - dt.timedelta(days=1)
        last = max(local_date(b.end) for b in bookings) + dt.timedelta(days=1)
        cal.add_missing_timezones(first_date=first, last_date=last)
    return cal.to_ical()


def booking_to_ics(booking: Booking, *, lang: Lang = "sv", join_url: str | None = None) -> bytes:
    """One booking as a calendar file for the client ("Lägg till i kalender"). `join_url`: the video link."""
    cal = _calendar()
    cal.add("method", "PUBLISH")
    return _finish(cal, [_event(booking, lang, join_url)], [booking])


def calendar_feed(
    bookings: Iterable[Booking], caseworker_name: str, *, lang: Lang = "sv", refresh: dt.timedelta = FEED_REFRESH
) -> bytes:
    """A caseworker's subscribable feed. The name is the caseworker's own; nothing about clients is in it."""
    ordered = sorted(bookings, key=lambda b: (b.start, str(b.id)))
    cal = _calendar()
    name = f"Bistånd – {caseworker_name}"
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Stockholm")
    cal.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", icalendar.vDuration(refresh))
    return _finish(cal, [_event(b, lang, None) for b in ordered], ordered)
