"""Words for people, in the client's language, without the OS locale: kinds, channels, dates and times.

The texts are English message ids translated by the catalogs in services/meetings/locales (sv, en, ar, see
kit.i18n); day and month names come from the CLDR data (Babel).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from babel.dates import get_day_names, get_month_names

from kit.i18n import LANGUAGES, N_, Catalogs, Translator
from services.meetings.domain.meeting_types import Channel, MeetingKind
from services.meetings.domain.times import local

Lang = str
"""A language code of kit.i18n.LANGUAGES (sv, en, ar); another code gets Swedish."""
LANGS: tuple[Lang, ...] = LANGUAGES

CATALOGS = Catalogs(Path(__file__).resolve().parent.parent / "locales")

CHANNEL_LABELS: dict[Channel, str] = {
    Channel.IN_PERSON: N_("in person"),
    Channel.PHONE: N_("phone"),
    Channel.VIDEO: N_("video"),
}

KIND_LABELS: dict[MeetingKind, str] = {
    MeetingKind.IN_PERSON: N_("Meeting"),
    MeetingKind.PHONE: N_("Meeting"),
    MeetingKind.VIDEO: N_("Meeting"),
    MeetingKind.HOME_VISIT: N_("Home visit"),
    MeetingKind.MULTI_PARTY: N_("Joint meeting"),
    MeetingKind.DROP_IN: N_("Drop-in"),
}


def texts(lang: Lang | None) -> Translator:
    """The catalog for a language (Swedish for an unknown one)."""
    return CATALOGS.get(lang)


def channel_label(channel: Channel, lang: Lang = "sv") -> str:
    return texts(lang)(CHANNEL_LABELS[channel])


def meeting_title(kind: MeetingKind, channel: Channel, lang: Lang = "sv") -> str:
    """"Möte (telefon)", "Samordnat möte (video)", "Hembesök": what the meeting is, never who it is with."""
    label = texts(lang)(KIND_LABELS[kind])
    if kind in (MeetingKind.HOME_VISIT, MeetingKind.DROP_IN):
        return label
    return f"{label} ({channel_label(channel, lang)})"


def format_when(instant: dt.datetime, lang: Lang = "sv") -> str:
    """"tisdag 6 januari 2026 kl. 09.00" / "Tuesday 6 January 2026 at 09:00", in Stockholm time."""
    _ = texts(lang)
    at = local(instant)
    # Translators: a meeting's date and time, e.g. "Tuesday 6 January 2026 at 09:00" (sv "tisdag 6 januari 2026
    # kl. 09.00"). {weekday} and {month} come in your language already.
    return _("{weekday} {day} {month} {year} at {hour}:{minute}",
             weekday=get_day_names("wide", "format", _.lang)[at.weekday()], day=at.day,
             month=get_month_names("wide", "format", _.lang)[at.month], year=at.year, hour=at.strftime("%H"),
             minute=at.strftime("%M"))
