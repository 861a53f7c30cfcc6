"""The paper letters about a meeting (issue 14): booked, moved, cancelled, in the client's language.

The words come from the service's gettext catalogs (English ids; ``_`` is a kit.i18n Translator), the page layout is
kit.letter_pdf's (sender block, the empty address window, page numbers). The time is Swedish time. A video
meeting's link is never printed on paper (a letter can be read by anyone who holds it): the letter says the details
come another way. A home visit names no address. No personnummer and no name is printed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from kit.i18n import N_, Translator
from kit.letter_pdf import LetterPdf, left_to_right
from services.meetings.domain.meeting_types import Channel, MeetingKind
from services.meetings.domain.times import STOCKHOLM

HEADINGS: dict[str, str] = {
    "meeting_booked": N_("Your meeting with the social services is booked"),
    "meeting_changed": N_("Your meeting with the social services has been changed"),
    "meeting_cancelled": N_("Your meeting with the social services is cancelled"),
}
LEADS: dict[str, str] = {
    "meeting_booked": N_("You have a meeting with the social services, financial assistance."),
    "meeting_changed": N_("Your meeting has been changed. This is the meeting as it is now; the earlier time or way "
                          "no longer applies."),
    "meeting_cancelled": N_("The meeting below has been cancelled. You do not need to come."),
}


@dataclass(frozen=True)
class Sender:
    municipality: str
    postal_address: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class MeetingLetter:
    kind: str  # a contracts.letters meeting kind
    reference: str
    meeting_kind: MeetingKind
    channel: Channel
    start: dt.datetime
    end: dt.datetime
    location: str | None  # the office address for a meeting in person; never a home address
    interpreter_language: str | None


def language_name(code: str, in_lang: str) -> str:
    """An interpreter language's name in the letter's language (the code when Babel does not know it)."""
    try:
        name = Locale.parse(in_lang).languages.get(code)
    except (ValueError, UnknownLocaleError):
        name = None
    return name or code


def _when(_: Translator, start: dt.datetime, end: dt.datetime) -> str:
    local_start, local_end = start.astimezone(STOCKHOLM), end.astimezone(STOCKHOLM)
    day = format_date(local_start.date(), "EEEE d MMMM y", locale=_.lang)
    return _("{day}, {start}–{end} (Swedish time)", day=day, start=local_start.strftime("%H:%M"),
             end=local_end.strftime("%H:%M"))


def _how(_: Translator, m: MeetingLetter) -> str:
    if m.meeting_kind is MeetingKind.HOME_VISIT:
        return _("We will visit you at home.")
    if m.channel is Channel.PHONE:
        return _("By telephone: we will call you.")
    if m.channel is Channel.VIDEO:
        return _("By video. The link is not printed in this letter: we will send you the details of how to join, "
                 "or call you, before the meeting.")
    if m.location:
        return _("In person, at: {place}", place=m.location)
    return _("In person, at the social services office.")


def render_meeting_letter(_: Translator, sender: Sender, m: MeetingLetter, written: dt.datetime,
                          font: str | None) -> tuple[bytes, int]:
    """The letter as a PDF and its page count."""
    title = _(HEADINGS[m.kind])
    letter = LetterPdf(font_path=font, direction=_.direction, title=title, author=sender.municipality,
                       created=written)
    lines = [sender.municipality, _("The social services, financial assistance")]
    if sender.postal_address:
        lines.append(sender.postal_address)
    if sender.phone:
        lines.append(_("Telephone: {phone}", phone=sender.phone))
    letter.sender(lines, _("Date: {date}", date=format_date(written.astimezone(STOCKHOLM).date(), "long",
                                                              locale=_.lang)))
    letter.heading(title)
    letter.paragraph(_("Booking reference: {reference}", reference=left_to_right(m.reference)), size=9)
    letter.gap(2)
    letter.paragraph(_("Hello,"))
    letter.paragraph(_(LEADS[m.kind]))
    letter.subheading(_("When the meeting is"))
    letter.paragraph(_when(_, m.start, m.end), bold=True)
    letter.subheading(_("How the meeting is held"))
    letter.paragraph(_how(_, m))
    if m.interpreter_language and m.kind != "meeting_cancelled":
        letter.subheading(_("Interpreter for the meeting"))
        letter.paragraph(_("An interpreter in {language} is booked for the meeting.",
                           language=language_name(m.interpreter_language, _.lang)))
    if m.kind == "meeting_cancelled":
        letter.subheading(_("A new meeting"))
        letter.paragraph(_("If you need a new meeting, contact us and give the booking reference."))
    else:
        letter.subheading(_("To change or cancel the meeting"))
        if sender.phone and sender.postal_address:
            letter.paragraph(_("Call us on {phone} or write to {address}, and give the booking reference.",
                               phone=sender.phone, address=sender.postal_address))
        elif sender.phone:
            letter.paragraph(_("Call us on {phone} and give the booking reference.", phone=sender.phone))
        else:
            letter.paragraph(_("Call or write to the social services and give the booking reference."))
        letter.paragraph(_("If you cannot come, tell us as early as you can."))
    return letter.finish(lambda n, total: _("Page {n} of {total}", n=n, total=total))
