"""Words for people, Swedish and English, without the OS locale: kinds, channels, dates and times."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from services.meetings.domain.meeting_types import Channel, MeetingKind
from services.meetings.domain.times import local

Lang = Literal["sv", "en"]

_WEEKDAYS = {
    "sv": ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "sv": ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
           "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}

CHANNEL_LABELS: dict[Channel, dict[str, str]] = {
    Channel.IN_PERSON: {"sv": "på plats", "en": "in person"},
    Channel.PHONE: {"sv": "telefon", "en": "phone"},
    Channel.VIDEO: {"sv": "video", "en": "video"},
}

KIND_LABELS: dict[MeetingKind, dict[str, str]] = {
    MeetingKind.IN_PERSON: {"sv": "Möte", "en": "Meeting"},
    MeetingKind.PHONE: {"sv": "Möte", "en": "Meeting"},
    MeetingKind.VIDEO: {"sv": "Möte", "en": "Meeting"},
    MeetingKind.HOME_VISIT: {"sv": "Hembesök", "en": "Home visit"},
    MeetingKind.MULTI_PARTY: {"sv": "Samordnat möte", "en": "Joint meeting"},
    MeetingKind.DROP_IN: {"sv": "Öppen mottagning", "en": "Drop-in"},
}


def channel_label(channel: Channel, lang: Lang = "sv") -> str:
    return CHANNEL_LABELS[channel][lang]


def meeting_title(kind: MeetingKind, channel: Channel, lang: Lang = "sv") -> str:
    """"Möte (telefon)", "Samordnat möte (video)", "Hembesök": what the meeting is, never who it is with."""
    label = KIND_LABELS[kind][lang]
    if kind in (MeetingKind.HOME_VISIT, MeetingKind.DROP_IN):
        return label
    return f"{label} ({channel_label(channel, lang)})"


def format_when(instant: dt.datetime, lang: Lang = "sv") -> str:
    """"tisdag 6 januari 2026 kl. 09.00" / "Tuesday 6 January 2026 at 09:00", in Stockholm time."""
    at = local(instant)
    weekday = _WEEKDAYS[lang][at.weekday()]
    month = _MONTHS[lang][at.month - 1]
    if lang == "sv":
        return f"{weekday} {at.day} {month} {at.year} kl. {at:%H.%M}"
    return f"{weekday} {at.day} {month} {at.year} at {at:%H:%M}"
