"""Where a client's notifications go. Contact details are personal data: encrypted at rest, shown only to
the client themselves (staff see them masked), never logged, never kept for protected identity."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from kit import audit
from kit.auth import Principal, authenticate
from kit.db import session as db_session
from kit.problems import not_found
from services.messaging import store
from services.messaging.api import deps
from services.messaging.api.schemas import ContactIn, ContactOut, StaffContactIn
from services.messaging.domain import notify
from services.messaging.domain.access import Party

router = APIRouter(tags=["contact"])


def _out(contact: notify.Contact, *, masked: bool = False) -> ContactOut:
    return ContactOut(phone=notify.mask_phone(contact.phone) if masked else contact.phone,
                      email=notify.mask_email(contact.email) if masked else contact.email,
                      channels=sorted(contact.channels), language=contact.language)


@router.get("/me/contact", response_model=ContactOut, summary="Where my notifications go")
async def get_my_contact(request: Request, session: AsyncSession = Depends(db_session),
                         p: Party = Depends(deps.client)) -> ContactOut:
    contact = await store.get_contact(session, deps.keyring_of(request), p.personal_number or "")
    if contact is None:
        raise not_found("contact")
    return _out(contact)


@router.put("/me/contact", response_model=ContactOut,
            summary="Choose SMS and/or e-mail for notifications (they never contain the message)")
async def put_my_contact(body: ContactIn, request: Request, session: AsyncSession = Depends(db_session),
                         p: Party = Depends(deps.client)) -> ContactOut:
    pnr = p.personal_number or ""
    protected = p.protected_identity or await store.any_protected(session, [pnr])
    if p.protected_identity:
        await store.mark_protected(session, [pnr])
        await session.commit()  # keep the protection (and drop old details) even though we refuse below
    contact = notify.make_contact(phone=body.phone, email=body.email, channels=body.channels,
                                  language=body.language, protected_identity=protected)
    await store.put_contact(session, deps.keyring_of(request), pnr, contact, updated_by=p.sub,
                            now=deps.clock(request))
    await session.commit()
    return _out(contact)


@router.delete("/me/contact", status_code=204, summary="No more notifications")
async def delete_my_contact(session: AsyncSession = Depends(db_session),
                            p: Party = Depends(deps.client)) -> Response:
    await store.delete_contact(session, p.personal_number or "")
    await session.commit()
    return Response(status_code=204)


@router.put("/contacts", response_model=ContactOut,
            summary="Staff: set notifications for a client of the unit who is not digital (answered masked)")
async def put_contact_for_client(body: StaffContactIn, request: Request,
                                 session: AsyncSession = Depends(db_session),
                                 principal: Principal = Depends(authenticate),
                                 p: Party = Depends(deps.staff_writer)) -> ContactOut:
    pnr = body.personal_number.value  # in the body, never the URL
    if not await store.known_in_units(session, pnr, sorted(p.units), p.protected_access, sub=p.sub,
                                      work_only=p.work_only):
        raise not_found("client")
    contact = notify.make_contact(phone=body.phone, email=body.email, channels=body.channels,
                                  language=body.language,
                                  protected_identity=await store.any_protected(session, [pnr]))
    await store.put_contact(session, deps.keyring_of(request), pnr, contact, updated_by=p.sub,
                            now=deps.clock(request))
    audit.record(session, principal, "update", "contact", None, subject=pnr, purpose="messaging",
                 details={"channels": sorted(contact.channels)})
    await session.commit()
    return _out(contact, masked=True)
