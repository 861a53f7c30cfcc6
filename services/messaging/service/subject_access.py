"""The client's register extract (registerutdrag, GDPR art. 15): messaging's part, for the applications service.

What the person sees here as a client, nothing more: the threads they are a member of with every message as the
client side reads it (a staff sender by the name shown to clients, never their id; a retracted message as a
marker without its text or files), where their notifications go, the notifications and letters made for them, and
the audit rows about them (role and unit of staff, no names). Messaging keeps no staff notes hidden from clients.
"""

from __future__ import annotations

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
from services.messaging.service.runtime import Runtime
from services.messaging.store import contacts as contacts_store
from services.messaging.store import inbox as inbox_store
from services.messaging.store import messages as messages_store
from services.messaging.store import subject_access as subject_store
from services.messaging.store.messages import MessageRecord

MAX_THREADS = 10_000


def _message(m: MessageRecord) -> Item:
    retracted = m.retracted_at is not None
    return Item(id=str(m.id), heading=text(f"Meddelande {m.seq}", f"Message {m.seq}"), entries=[
        entry("sent_at", "Skickat", "Sent", local_time(m.created_at), "time"),
        entry("side", "Från", "From", "du/hushållet" if m.sender_side.value == "client" else "handläggare"),
        entry("sender_name", "Avsändare", "Sender", m.sender_name),
        entry("body", "Text", "Text", m.body),
        entry("retracted", "Återkallat", "Retracted", retracted, "bool"),
        entry("retracted_at", "Återkallat den", "Retracted at", local_time(m.retracted_at), "time"),
        entry("read_by_other_side_at", "Läst av mottagaren", "Read by the other side", local_time(m.read_at),
              "time"),
    ], items=[Item(id=str(a.id), heading=text("Bifogad fil", "Attached file"), entries=[
        entry("filename", "Filnamn", "File name", a.filename), entry("media_type", "Typ", "Type", a.media_type),
        entry("size", "Storlek (byte)", "Size (bytes)", a.size, "number"),
        entry("sha256", "SHA-256", "SHA-256", a.sha256)]) for a in m.attachments])


async def answer(session: AsyncSession, rt: Runtime, principal: Principal,
                 request: SubjectAccessRequest) -> SubjectAccessAnswer:
    pnr = request.personal_number.value
    now = rt.now()
    threads = await inbox_store.client_threads(session, rt.keyring, personal_number=pnr, reader=f"pnr:{pnr}",
                                               limit=MAX_THREADS)
    thread_items = []
    for t in threads:
        messages = await messages_store.list_messages(session, rt.keyring, t.id, limit=100_000)
        thread_items.append(Item(id=str(t.id), heading=text(f"Tråd: {t.subject}", f"Thread: {t.subject}"), entries=[
            entry("subject", "Ämne", "Subject", t.subject), entry("unit", "Enhet", "Unit", t.unit),
            entry("case_id", "Ärende", "Case", str(t.case_id) if t.case_id else None),
            entry("created_at", "Startad", "Started", local_time(t.created_at), "time"),
            entry("messages", "Antal meddelanden", "Messages", len(messages), "number"),
        ], items=[_message(m) for m in messages]))
    contact = await contacts_store.get_contact(session, rt.keyring, pnr)
    contact_items = [] if contact is None else [Item(heading=text("Kontaktuppgifter för aviseringar",
                                                                  "Contact details for notifications"), entries=[
        entry("phone", "Telefon", "Phone", contact.phone), entry("email", "E-post", "E-mail", contact.email),
        entry("channels", "Kanaler", "Channels", ", ".join(sorted(c.value for c in contact.channels))),
        entry("language", "Språk", "Language", contact.language)])]
    notes = await subject_store.notifications_of(session, pnr)
    notification_items = [Item(heading=text("Avisering", "Notification"), entries=[
        entry("channel", "Kanal", "Channel", n["channel"]), entry("kind", "Slag", "Kind", n["kind"]),
        entry("status", "Status", "Status", n["status"]),
        entry("created_at", "Skapad", "Created", local_time(n["created_at"]), "time"),
        entry("sent_at", "Skickad", "Sent", local_time(n["sent_at"]), "time")]) for n in notes]
    letter_items = [Item(heading=text("Brev", "Letter"), entries=[
        entry("kind", "Slag", "Kind", n["kind"]), entry("status", "Status", "Status", n["status"]),
        entry("created_at", "Skapat", "Created", local_time(n["created_at"]), "time"),
        entry("batch_day", "Till utskrift", "For printing",
              n["batch_day"].isoformat() if n["batch_day"] else None, "date"),
        entry("pages", "Sidor", "Pages", n["pages"], "number"), entry("language", "Språk", "Language", n["language"])])
        for n in await subject_store.letters_of(session, pnr)]
    rows = await audit.entries_about(session, pnr)
    audit.record(session, principal, "export", "subject_access", str(request.request_id), subject=pnr,
                 purpose="registerutdrag", details={"requested_by": request.requested_by, "threads": len(threads)})
    await session.commit()
    return SubjectAccessAnswer(service="messaging", generated_at=now, sections=[
        Section(key="threads", title=text("Meddelanden", "Messages"), items=thread_items,
                note=text("Trådar där du är part, som du ser dem på Mina sidor.",
                          "Threads you are a party to, as you see them on Mina sidor.")),
        Section(key="contact", title=text("Aviseringar", "Notifications"),
                items=contact_items + notification_items + letter_items),
        audit_section(rows)])
