"""Notifications: that there is something to read and where, never what.

An SMS or e-mail may be seen by others (a shared phone, a lock screen, a family mailbox). So the text
names neither the sender, the unit, "socialtjänsten" nor "ekonomiskt bistånd", and never quotes a message
or a decision. A client with protected identity gets no notification at all: they see it when they log in.

Letters are the exception for protected identity: a protected client without e-ID still needs their decision on
paper. Such a client may have a LETTER-ONLY contact (the ``letter`` channel, no phone, no e-mail; set by themselves
or by their unit's staff); their letters go through Skatteverket's forwarding, never to an address
(domain/letters.py). SMS and e-mail, and any phone number or e-mail address, stay refused for them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import get_day_names, get_month_names

from kit.i18n import LANGUAGES, N_, Catalogs
from services.messaging.domain.errors import MessagingError

Lang = str
"""A language code of kit.i18n.LANGUAGES (sv, en, ar)."""
LANGS: tuple[Lang, ...] = LANGUAGES


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"  # on paper, through the post room (domain/letters.py); needs no phone or e-mail


LETTER_ONLY = frozenset({Channel.LETTER})


class Kind(StrEnum):
    MESSAGE = "message"
    DECISION = "decision"
    INFO_REQUESTED = "info_requested"
    MEETING_BOOKED = "meeting_booked"
    MEETING_CHANGED = "meeting_changed"
    MEETING_CANCELLED = "meeting_cancelled"
    MEETING_REMINDER = "meeting_reminder"


MEETING_KINDS = frozenset({Kind.MEETING_BOOKED, Kind.MEETING_CHANGED, Kind.MEETING_CANCELLED, Kind.MEETING_REMINDER})


# Topics from other services' outboxes. A topic not listed here is accepted and ignored (logged), so a
# sender may add topics before we act on them. None: the event keeps our picture of the case up to date
# but tells the client nothing (they just did it themselves).
TOPIC_KINDS: dict[str, Kind | None] = {
    "application.submitted": None,
    "application.assigned": None,
    "application.info_requested": Kind.INFO_REQUESTED,
    "application.decided": Kind.DECISION,
    # From the meetings service: the time only, never the place, the type or who the client meets.
    "meeting.booked": Kind.MEETING_BOOKED,
    "meeting.changed": Kind.MEETING_CHANGED,
    "meeting.cancelled": Kind.MEETING_CANCELLED,
    "meeting.reminder": Kind.MEETING_REMINDER,
}


def kind_for_topic(topic: str) -> tuple[bool, Kind | None]:
    """(known, kind)."""
    if topic in TOPIC_KINDS:
        return True, TOPIC_KINDS[topic]
    return False, None


def should_notify(*, protected_identity: bool, channels: frozenset[Channel]) -> frozenset[Channel]:
    """The channels to use: none at all for protected identity, whatever the client once chose."""
    if protected_identity:
        return frozenset()
    return channels


_PATHS = {Kind.MESSAGE: "/meddelanden", Kind.DECISION: "/arenden", Kind.INFO_REQUESTED: "/arenden",
          **{k: "/moten" for k in MEETING_KINDS}}

# The texts, in English (the message ids); the catalogs in services/messaging/locales hold sv, en and ar. A
# translation keeps the rule above: what and where, never who or about what.
_TEXTS = {
    Kind.MESSAGE: (N_("New message"), N_("You have a new message to read.")),
    Kind.DECISION: (N_("New decision"), N_("You have a new decision to read.")),
    Kind.INFO_REQUESTED: (N_("Something to complete"), N_("You have a request to read and answer.")),
    Kind.MEETING_BOOKED: (N_("Appointment booked"), N_("You have an appointment {when}.")),
    Kind.MEETING_CHANGED: (N_("Appointment changed"), N_("Your appointment has moved to {when}.")),
    Kind.MEETING_CANCELLED: (N_("Appointment cancelled"), N_("Your appointment {when} is cancelled.")),
    Kind.MEETING_REMINDER: (N_("Reminder"), N_("Reminder: you have an appointment {when}.")),
}

CATALOGS = Catalogs(Path(__file__).resolve().parent.parent / "locales")
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def when_text(at: dt.datetime, lang: Lang) -> str:
    """A meeting's time as the client reads it, in Swedish time whatever the server's zone; the day and month
    names from the CLDR data (Babel), the word order and the clock from the catalog."""
    _ = CATALOGS.get(lang)
    local = at.astimezone(STOCKHOLM)
    # Translators: {when} in the meeting texts, e.g. "on Tuesday 1 December at 10:00" (sv "tisdag 1 december kl.
    # 10.00"). {weekday} and {month} come in your language already.
    return _("on {weekday} {day} {month} at {hour}:{minute}",
             weekday=get_day_names("wide", "format", _.lang)[local.weekday()], day=local.day,
             month=get_month_names("wide", "format", _.lang)[local.month], hour=local.strftime("%H"),
             minute=local.strftime("%M"))


@dataclass(frozen=True)
class Text:
    subject: str
    sms: str
    email: str
    lang: Lang = "sv"


def link(kind: Kind, public_base_url: str) -> str:
    return public_base_url.rstrip("/") + _PATHS[kind]


def text(kind: Kind, lang: Lang, public_base_url: str, starts_at: dt.datetime | None = None) -> Text:
    """``starts_at``: a meeting's time (meeting kinds only; without it the line says "soon")."""
    _ = CATALOGS.get(lang)
    where = link(kind, public_base_url)
    subject, line = (_(message) for message in _TEXTS[kind])
    if "{when}" in line:
        line = line.format(when=when_text(starts_at, _.lang) if starts_at else _("soon"))
    login = _("Log in to see more") if kind in MEETING_KINDS else _("Log in to read it")
    sms = f"{line} {login}: {where}"
    hello = _("Hello,")
    only = _("This e-mail says only that there is something new. Do not reply to it.")
    email = f"{hello}\n\n{line}\n{login}: {where}\n\n{only}\n"
    return Text(subject, sms, email, _.lang)


# --- contact details --------------------------------------------------------------------------------

class ContactInvalid(MessagingError):
    code = "contact-invalid"
    status = 422
    title = N_("The contact details are not valid")


class ContactNotUsed(MessagingError):
    code = "contact-protected-identity"
    status = 409
    title = N_("No notifications for protected identity")


_EMAIL = re.compile(r"^[^@\s<>\"(),;:]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$")


def normalise_phone(raw: str) -> str:
    """A mobile number as E.164 (+46701234567). Swedish numbers may be written 070-123 45 67."""
    digits = re.sub(r"[\s\-().]", "", raw)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+46" + digits[1:]
    if not re.fullmatch(r"\+[1-9][0-9]{6,14}", digits):
        raise ContactInvalid(N_("Give a mobile number such as 070-123 45 67 or +46701234567."),
                             code="contact-invalid-phone")
    return digits


def normalise_email(raw: str) -> str:
    email = raw.strip()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise ContactInvalid(N_("Give an e-mail address such as namn@example.se."), code="contact-invalid-email")
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


@dataclass(frozen=True)
class Contact:
    phone: str | None
    email: str | None
    channels: frozenset[Channel]
    language: Lang = "sv"

    def __repr__(self) -> str:  # contact data never ends up in a log line or traceback
        return f"Contact(channels={sorted(self.channels)}, language={self.language!r})"


def make_contact(*, phone: str | None, email: str | None, channels: set[str] | frozenset[str] | list[str],
                 language: str = "sv", protected_identity: bool) -> Contact:
    """A letter-only contact keeps no phone or e-mail: those are for SMS and e-mail alone, and so a letter-only
    contact may stay when its person turns out to be protected (store/protection.py). For protected identity, only
    a letter-only contact is taken; anything else is refused (``ContactNotUsed``) and nothing is stored."""
    try:
        chosen = frozenset(Channel(c) for c in channels)
    except ValueError:
        chosen = None
    if protected_identity and (chosen != LETTER_ONLY or phone or email):
        raise ContactNotUsed(N_("Clients with protected identity get no SMS or e-mail; you see everything when you "
                                "log in, and letters can come by post through Skatteverket. Nothing was stored."))
    if language not in LANGS:
        raise ContactInvalid(f"Language is one of {', '.join(LANGS)}.", code="contact-invalid-language")
    if chosen is None:
        raise ContactInvalid(N_("Channels are sms, email and letter."), code="contact-invalid-channel")
    if chosen == LETTER_ONLY:
        return Contact(None, None, chosen, language)
    phone = normalise_phone(phone) if phone else None
    email = normalise_email(email) if email else None
    if Channel.SMS in chosen and not phone:
        raise ContactInvalid(N_("Give a mobile number to be notified by SMS."), code="contact-channel-without-address")
    if Channel.EMAIL in chosen and not email:
        raise ContactInvalid(N_("Give an e-mail address to be notified by e-mail."),
                             code="contact-channel-without-address")
    return Contact(phone, email, chosen, language)


def mask_phone(phone: str | None) -> str | None:
    return None if not phone else phone[:4] + "*" * (len(phone) - 6) + phone[-2:]


def mask_email(email: str | None) -> str | None:
    if not email:
        return None
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"
