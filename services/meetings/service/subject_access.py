"""The client's register extract (registerutdrag, GDPR art. 15): meetings' part, for the applications service.

What the person sees of their own bookings as a client (GET /me/bookings), every one however old: type, channel,
time, status, outcome, the office of an in-person meeting (never a home address), interpreter and accessibility
needs, the lead caseworker as shown to them. Not the live video link nor other participants' join links (they
are keys, not data about the person); not staff-only fields (other staff, the reason staff gave for a change).
Plus whether their own token once marked them protected here, and the audit rows about them (role and unit).
"""

from __future__ import annotations

import datetime as dt

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.subject_access import (
    Item,
    Section,
    SubjectAccessAnswer,
    SubjectAccessRequest,
    audit_section,
    entry,
    local_time,
    text,
)
from kit import audit
from kit.auth import Principal
from services.meetings.domain.meeting_types import MeetingKind
from services.meetings.service.runtime import Runtime
from services.meetings.store import bookings as bookings_store
from services.meetings.store import clients as clients_store
from services.meetings.store.bookings import BookingRecord

EVER = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _booking(record: BookingRecord) -> Item:
    b = record.booking
    return Item(id=str(b.id), heading=text(f"Bokning {b.reference}", f"Booking {b.reference}"), entries=[
        entry("reference", "Referens", "Reference", b.reference), entry("unit", "Enhet", "Unit", b.unit_id),
        entry("kind", "Slag av möte", "Kind of meeting", b.kind.value),
        entry("channel", "Kanal", "Channel", b.channel.value),
        entry("start", "Början", "Start", local_time(b.start), "time"),
        entry("end", "Slut", "End", local_time(b.end), "time"),
        entry("status", "Status", "Status", b.status.value),
        entry("outcome", "Utfall", "Outcome", b.outcome.value if b.outcome else None),
        entry("location", "Plats", "Place", b.location if b.kind is not MeetingKind.HOME_VISIT else None),
        entry("caseworker", "Handläggare", "Caseworker", b.caseworker_id),
        entry("interpreter_language", "Tolk (språk)", "Interpreter (language)", record.interpreter_language),
        entry("accessibility", "Tillgänglighet", "Accessibility", ", ".join(sorted(record.accessibility)) or None),
        entry("accessibility_note", "Om tillgänglighet", "About accessibility", record.accessibility_note),
        entry("booked_at", "Bokad", "Booked", local_time(record.created_at), "time"),
    ])


async def answer(session: AsyncSession, rt: Runtime, principal: Principal,
                 request: SubjectAccessRequest) -> SubjectAccessAnswer:
    pnr = request.personal_number.value
    now = rt.now()
    records = await bookings_store.client_bookings(session, pnr, EVER)
    claimed = await clients_store.is_protected(session, pnr)
    rows = await audit.entries_about(session, pnr)
    audit.record(session, principal, "export", "subject_access", str(request.request_id), subject=pnr,
                 purpose="registerutdrag", details={"requested_by": request.requested_by, "bookings": len(records)})
    await session.commit()
    person = [Item(heading=text("Skyddade personuppgifter", "Protected identity"), entries=[
        entry("protected_identity_claimed", "Markerad via din inloggning", "Marked by your own login", True,
              "bool")])] if claimed else []
    return SubjectAccessAnswer(service="meetings", generated_at=now, sections=[
        Section(key="bookings", title=text("Möten", "Meetings"), items=[_booking(r) for r in records],
                note=text("Dina bokade, flyttade, hållna och avbokade möten.",
                          "Your booked, moved, held and cancelled meetings.")),
        *([Section(key="person", title=text("Om dig", "About you"), items=person)] if person else []),
        audit_section(rows)])
