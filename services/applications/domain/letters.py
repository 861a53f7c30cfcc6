"""The paper letters of a case (issue 14): the request for more information and the decision, in the client's
language, for a client who gets letters instead of (or besides) Mina sidor.

The words come from the service's gettext catalogs (English ids; ``_`` is a kit.i18n Translator); the page
layout is kit.letter_pdf's (sender block, the empty address window, page numbers). No personnummer is printed and
no name but the recipient's own: the post room puts the address on the envelope from the population register.
Texts a caseworker wrote (the message with a request, the reasons of a decision) are printed as written; where
they exist in Swedish only the letter says so. The decision's appeal text is the one stored with the decision in
Swedish and English; an Arabic letter prints the catalog's translation of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from babel.dates import format_date

from kit.i18n import N_, Translator
from kit.letter_pdf import LetterPdf, left_to_right
from services.applications.domain.attachments import DocumentRequest, DocumentType
from services.applications.domain.decision import ComponentKind, Decision
from services.applications.domain.lifecycle import Outcome
from services.applications.domain.need_reasons import TEXTS as NEED_TEXTS
from services.applications.domain.pdf import component_label

# The documents a caseworker asks for, as the letter lists them (each may carry the caseworker's own words).
DOCUMENT_LINES: dict[DocumentType, str] = {
    DocumentType.BANK_STATEMENTS: N_("Copies of your bank statements"),
    DocumentType.RENTAL_CONTRACT: N_("A copy of your rental contract"),
    DocumentType.MEDICAL_CERTIFICATE: N_("A copy of your medical certificate"),
    DocumentType.PAY_SLIP: N_("Copies of your pay slips"),
    DocumentType.OTHER: N_("The document described here"),
}

OUTCOME_LINES: dict[Outcome, str] = {
    Outcome.APPROVED: N_("We have decided to grant you financial assistance of {amount} for {month}."),
    Outcome.PARTLY_APPROVED: N_("We have decided to grant you part of what you applied for: {amount} for {month}. The "
                                "rest of the application is refused."),
    Outcome.REFUSED: N_("We have decided to refuse your application for financial assistance for {month}."),
}

# The appeal information in the client's language where the decision does not carry it (it holds sv and en).
APPEAL_TEXT = N_(
    "If you do not agree with the decision, you can appeal to the administrative court "
    "(förvaltningsrätten). The appeal must be in writing. Say which decision you are appealing and what change you "
    "want. Send or hand in the appeal to the social services, who made the decision, not directly to the court. The "
    "appeal must reach the social services within three weeks from the day you received the decision. The social "
    "services can help you write it. (Sections 43 and 44 of the Administrative Procedure Act (2017:900))")


@dataclass(frozen=True)
class Sender:
    """Who the letter is from and how to reach them (the unit's contact from settings, when configured)."""

    municipality: str
    postal_address: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class InfoRequestLetter:
    case_reference: str
    period: str
    recipient_name: str | None
    message: str | None  # what the caseworker wrote with the request, as written
    documents: Sequence[DocumentRequest] = field(default_factory=tuple)  # the ones still outstanding
    due: dt.date | None = None


@dataclass(frozen=True)
class DecisionLetter:
    case_reference: str
    decision: Decision
    recipient_name: str | None
    caseworker_name: str | None  # None for automated decisions and on protected identity


def long_date(day: dt.date, lang: str) -> str:
    return format_date(day, "long", locale=lang)


def month_of(period: str, lang: str) -> str:
    year, month = (int(p) for p in period.split("-"))
    return format_date(dt.date(year, month, 1), "LLLL y", locale=lang)


def amount_text(_: Translator, amount: int) -> str:
    grouped = f"{amount:,}".replace(",", " ")
    return _("SEK {amount}", amount=grouped)


def _start(_: Translator, sender: Sender, title: str, written: dt.datetime, font: str | None) -> LetterPdf:
    letter = LetterPdf(font_path=font, direction=_.direction, title=title, author=sender.municipality,
                       created=written)
    lines = [sender.municipality, _("The social services, financial assistance")]
    if sender.postal_address:
        lines.append(sender.postal_address)
    if sender.phone:
        lines.append(_("Telephone: {phone}", phone=sender.phone))
    letter.sender(lines, _("Date: {date}", date=long_date(written.date(), _.lang)))
    return letter


def _greeting(letter: LetterPdf, _: Translator, name: str | None) -> None:
    letter.paragraph(_("Dear {name},", name=name) if name else _("Hello,"))


def _contact(letter: LetterPdf, _: Translator, sender: Sender) -> None:
    if sender.phone:
        letter.paragraph(_("If you have questions, call us on {phone}.", phone=sender.phone))
    else:
        letter.paragraph(_("If you have questions, call or visit the social services."))


def _finish(letter: LetterPdf, _: Translator) -> tuple[bytes, int]:
    return letter.finish(lambda n, total: _("Page {n} of {total}", n=n, total=total))


def render_info_request(_: Translator, sender: Sender, letter_data: InfoRequestLetter, written: dt.datetime,
                        font: str | None) -> tuple[bytes, int]:
    """The request for more information: what, by when, and how to send it without e-ID. (PDF, page count.)"""
    d = letter_data
    title = _("We need more information from you")
    letter = _start(_, sender, title, written, font)
    letter.heading(title)
    letter.paragraph(_("Case reference: {reference}", reference=left_to_right(d.case_reference)), size=9)
    letter.gap(2)
    _greeting(letter, _, d.recipient_name)
    month = month_of(d.period, _.lang)
    letter.paragraph(_("To decide on your application for financial assistance for {month}, we need more "
                       "information from you.", month=month))
    if d.message:
        letter.subheading(_("Your caseworker writes"))
        letter.verbatim(d.message)
    if d.documents:
        letter.subheading(_("Please send us"))
        for doc in d.documents:
            line = _(DOCUMENT_LINES[doc.type])
            if doc.text:
                line = f"{line}: {doc.text}"
            letter.bullet(line)
            if doc.rejection_reason:
                letter.paragraph(_("What you sent before could not be accepted: {reason}",
                                   reason=doc.rejection_reason), size=9)
    letter.subheading(_("By when"))
    if d.due:
        letter.paragraph(_("Send it by {date} at the latest.", date=long_date(d.due, _.lang)), bold=True)
    else:
        letter.paragraph(_("Send it as soon as you can."), bold=True)
    letter.paragraph(_("If we do not get it in time, we will decide on the information we have."))
    letter.subheading(_("How to send it without e-ID"))
    if sender.postal_address:
        letter.paragraph(_("Send copies by post to {address}, or hand them in when you visit us.",
                           address=sender.postal_address))
    else:
        letter.paragraph(_("Send copies by post to the social services, or hand them in when you visit us."))
    letter.paragraph(_("Write the case reference on what you send. Do not send originals; copies are enough."))
    _contact(letter, _, sender)
    return _finish(letter, _)


def render_decision(_: Translator, sender: Sender, letter_data: DecisionLetter, written: dt.datetime,
                    font: str | None) -> tuple[bytes, int]:
    """The decision letter: outcome and amount, calculation, reasons, legal basis, how to appeal."""
    d, lang = letter_data.decision, _.lang
    native = lang if lang in ("sv", "en") else None  # the languages the decision's own texts exist in
    title = _("Decision letter: financial assistance (försörjningsstöd)")
    letter = _start(_, sender, title, written, font)
    letter.heading(title)
    month = month_of(d.period, lang)
    letter.paragraph(_("Decided on: {date}", date=long_date(d.decided_at.date(), lang)), size=9)
    letter.paragraph(_("Case reference: {reference}",
                       reference=left_to_right(letter_data.case_reference)), size=9)
    if letter_data.recipient_name:
        letter.paragraph(_("This letter is to: {name}", name=letter_data.recipient_name), size=9)
    letter.gap(2)
    letter.paragraph(_(OUTCOME_LINES[d.outcome], amount=amount_text(_, d.granted), month=month), bold=True, size=11)

    letter.subheading(_("How we calculated the amount"))
    if native is None:
        letter.paragraph(_("The items of the calculation are named in Swedish."), size=9)
    widths = (100.0, 35.0, 35.0)
    headers = (_("Calculation item"), _("By the rules"), _("Decided amount"))
    letter.row(list(zip(headers, widths, strict=True)), bold=True)
    for c in d.components:
        sign = "-" if c.kind is ComponentKind.INCOME else ""
        letter.row([(component_label(c, native or "sv"), widths[0]), (sign + amount_text(_, c.computed), widths[1]),
                    (sign + amount_text(_, c.decided), widths[2])])
    letter.row([(_("Amount to be paid out"), widths[0]), (amount_text(_, d.computed_entitlement), widths[1]),
                (amount_text(_, d.granted), widths[2])], bold=True, rule=True)

    adjusted = [c for c in d.components if c.adjusted]
    if adjusted:
        letter.subheading(_("What the caseworker changed, and why"))
        for c in adjusted:
            letter.verbatim(f"{component_label(c, native or 'sv')}: {c.reason}")
    if d.reason_for_need is not None:
        letter.subheading(_("Why you need financial assistance"))
        letter.verbatim(NEED_TEXTS[d.reason_for_need].plain(native or "sv"))
    reasons = d.reasons_en if native == "en" and d.reasons_en else d.reasons_sv
    if reasons:
        letter.subheading(_("Why we decided this"))
        if native != "sv" and reasons is d.reasons_sv:
            letter.paragraph(_("Your caseworker wrote the reasons in Swedish:"), size=9)
        letter.verbatim(reasons)

    letter.subheading(_("The law the decision is based on"))
    for ref in d.legal_basis:
        letter.verbatim(ref.en if native == "en" else ref.sv)
    letter.subheading(_("If you do not agree: how to appeal"))
    if native == "sv":
        letter.paragraph(d.appeal.sv)
    elif native == "en":
        letter.paragraph(d.appeal.en)
    else:
        letter.paragraph(_(APPEAL_TEXT))
    letter.gap(2)
    if d.automated:
        letter.paragraph(_("This decision was made automatically, under the municipality's rules, and checked "
                           "against the calculation."), size=9)
    elif letter_data.caseworker_name:
        letter.paragraph(_("The decision was made by {name}.", name=letter_data.caseworker_name), size=9)
    _contact(letter, _, sender)
    return _finish(letter, _)
