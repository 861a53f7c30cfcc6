"""Where a client's notifications go. Contact details are personal data: sealed at rest, never logged, never
kept for protected identity (a letter-only contact, which holds none, is: their letters go through Skatteverket's
forwarding)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.auth import Principal
from kit.problems import not_found
from services.messaging.domain import notify
from services.messaging.domain.access import Party
from services.messaging.service.runtime import Runtime
from services.messaging.store import contacts as contacts_store
from services.messaging.store import protection as protection_store


async def mine(session: AsyncSession, rt: Runtime, p: Party) -> notify.Contact:
    contact = await contacts_store.get_contact(session, rt.keyring, p.personal_number or "")
    if contact is None:
        raise not_found("contact")
    return contact


async def put_mine(session: AsyncSession, rt: Runtime, p: Party, *, phone: str | None, email: str | None,
                   channels: list[str], language: str) -> notify.Contact:
    """Refused for protected identity (domain.notify.make_contact), which is kept even so, unless letter-only."""
    pnr = p.personal_number or ""
    protected = p.protected_identity or await protection_store.any_protected(session, [pnr])
    if p.protected_identity:
        await protection_store.mark_protected(session, [pnr])
        await session.commit()  # keep the protection (and drop old details) even though we refuse below
    contact = notify.make_contact(phone=phone, email=email, channels=channels, language=language,
                                  protected_identity=protected)
    await contacts_store.put_contact(session, rt.keyring, pnr, contact, updated_by=p.sub, now=rt.now())
    await session.commit()
    return contact


async def delete_mine(session: AsyncSession, p: Party) -> None:
    await contacts_store.delete_contact(session, p.personal_number or "")
    await session.commit()


async def put_for_client(session: AsyncSession, rt: Runtime, p: Party, principal: Principal, *,
                         personal_number: str, phone: str | None, email: str | None, channels: list[str],
                         language: str) -> notify.Contact:
    """Staff set notifications for a client of the unit who is not digital (audited)."""
    pnr = personal_number
    if not await contacts_store.known_in_units(session, pnr, sorted(p.units), p.protected_access, sub=p.sub,
                                               work_only=p.work_only):
        raise not_found("client")
    contact = notify.make_contact(phone=phone, email=email, channels=channels, language=language,
                                  protected_identity=await protection_store.any_protected(session, [pnr]))
    await contacts_store.put_contact(session, rt.keyring, pnr, contact, updated_by=p.sub, now=rt.now())
    audit.record(session, principal, "update", "contact", None, subject=pnr, purpose="messaging",
                 details={"channels": sorted(contact.channels)})
    await session.commit()
    return contact
