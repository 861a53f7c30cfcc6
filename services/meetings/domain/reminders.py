"""Reminders before a meeting: when they are due and what they say.

A reminder goes by SMS or e-mail, which others may see (a shared phone, a lock screen). So it says only
when, how (the channel) and the opaque booking reference: never the unit, "socialtjänsten", "ekonomiskt
bistånd", a caseworker, the client's name, needs or interpreter. The office address is included for an
in-person meeting, except for a client with protected identity (skyddade personuppgifter): where they will
be and when is exactly what must not leak. A home visit's address is never included.

When the booking moves, the store recomputes the due times; when it is cancelled, it drops them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from kit.i18n import N_
from services.meetings.domain.bookings import Booking
from services.meetings.domain.labels import Lang, channel_label, format_when, texts
from services.meetings.domain.meeting_types import Channel, MeetingKind
from services.meetings.domain.times import to_utc

DEFAULT_OFFSETS: tuple[dt.timedelta, ...] = (dt.timedelta(hours=24), dt.timedelta(hours=2))


@dataclass(frozen=True, order=True)
class DueReminder:
    due_at: dt.datetime  # UTC
    offset: dt.timedelta  # how long before the start


def reminder_times(
    start: dt.datetime, offsets: Iterable[dt.timedelta] = DEFAULT_OFFSETS, *, now: dt.datetime | None = None
) -> list[DueReminder]:
    """One reminder per offset before `start`, earliest first. With `now` (the booking time), reminders whose
    time has already passed are left out: a meeting booked 3 hours ahead gets the 2-hour reminder only."""
    start = to_utc(start)
    cutoff = to_utc(now) if now is not None else None
    due: dict[dt.timedelta, DueReminder] = {}
    for offset in offsets:
        if offset <= dt.timedelta(0):
            raise ValueError("reminder offsets are positive durations before the start")
        at = start - offset
        if cutoff is None or at > cutoff:
            due[offset] = DueReminder(at, offset)
    return sorted(due.values())


@dataclass(frozen=True)
class ReminderText:
    sv: str
    en: str
    ar: str

    def in_language(self, lang: Lang) -> str:
        """The text in a language of kit.i18n.LANGUAGES; Swedish for another code."""
        return getattr(self, texts(lang).lang)


# The texts are English message ids (catalogs in services/meetings/locales). A translation keeps the rule above:
# when, how and the reference, never who or why.
_HOW = {
    Channel.PHONE: N_("We will call you."),
    Channel.VIDEO: N_("You will find the link to the meeting in the app."),
    Channel.IN_PERSON: "",
}


def _text(booking: Booking, lang: Lang) -> str:
    _ = texts(lang)
    when = format_when(booking.start, lang)
    how = channel_label(booking.channel, lang)
    if booking.kind is MeetingKind.HOME_VISIT:
        parts = [_("Reminder: You have a home visit on {when} ({how}).", when=when, how=how),
                 _("We will visit you at home.")]
    else:
        parts = [_("Reminder: You have a meeting on {when} ({how}).", when=when, how=how)]
        if hint := _HOW[booking.channel]:
            parts.append(_(hint))
    place = booking.shareable_location
    if place:
        parts.append(_("Place: {place}.", place=place))
    parts.append(_("Booking reference: {reference}.", reference=booking.reference))
    return " ".join(parts)


def reminder_text(booking: Booking) -> ReminderText:
    """The reminder in every language. No location for protected identity or home visits."""
    return ReminderText(sv=_text(booking, "sv"), en=_text(booking, "en"), ar=_text(booking, "ar"))
