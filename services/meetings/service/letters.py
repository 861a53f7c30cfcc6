"""POST /internal/letters for a booking's letters: messaging's post room asks, this service writes the PDF.

Only the booking's client gets a letter about it; anyone else and an unknown booking get the same 404. A letter
that no longer applies (a "booked" or "changed" letter for a booking cancelled since, a "cancelled" letter for one
that is not) is a 409: nothing to post. Every letter written is audited (who asked, the booking, the kind), never
what it says.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.letters import MEETING_KINDS, LetterDocument, LetterKind, LetterRequest
from kit import audit, letter_owner
from kit.auth import Principal
from kit.letter_pdf import LetterFontMissing
from kit.problems import not_found
from services.meetings.domain.labels import CATALOGS
from services.meetings.domain.letters import MeetingLetter, Sender, render_meeting_letter
from services.meetings.service.runtime import Runtime
from services.meetings.store import bookings


async def letter(session: AsyncSession, rt: Runtime, principal: Principal, body: LetterRequest) -> LetterDocument:
    if body.kind not in MEETING_KINDS:
        raise letter_owner.kind_not_here(
            "Meetings writes the meeting_booked, meeting_changed and meeting_cancelled letters.")
    record = await bookings.get_booking(session, body.ref)
    recipient = body.recipient.value
    if record is None or record.booking.client_id != recipient:
        raise not_found("letter")
    b = record.booking
    if (body.kind is LetterKind.MEETING_CANCELLED) != b.is_cancelled:
        raise letter_owner.not_applicable("The booking has changed since: the letter asked for no longer applies.")
    t = CATALOGS.get(body.language)
    settings = rt.settings
    sender = Sender(municipality=settings.municipality, postal_address=settings.letter_postal_address,
                    phone=settings.letter_phone)
    try:
        pdf, pages = render_meeting_letter(t, sender, MeetingLetter(
            kind=body.kind.value, reference=b.reference, meeting_kind=b.kind, channel=b.channel, start=b.start,
            end=b.end, location=b.location, interpreter_language=record.interpreter_language),
            rt.now(), settings.pdf_font())
    except LetterFontMissing:
        raise letter_owner.font_missing("MEETINGS_PDF_FONT_PATH") from None
    audit.record(session, principal, "write", "letter", str(b.id), subject=recipient, purpose="letter by post",
                 details={"booking_id": str(b.id), "kind": body.kind.value, "event_id": str(body.event_id),
                          "language": t.lang})
    await session.commit()
    return letter_owner.document(body.kind, t, pdf, pages)
