"""Where a client's notifications go. Contact details are personal data: encrypted at rest, shown only to
the client themselves (staff see them masked), never logged, never kept for protected identity (whose only contact
may be letter-only: no phone, no e-mail; domain.notify.make_contact)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from kit import i18n
from kit.auth import Principal, authenticate
from kit.db import session as db_session
from services.messaging.api import deps
from services.messaging.api.schemas import ContactIn, ContactOut, StaffContactIn
from services.messaging.domain import notify
from services.messaging.domain.access import Party
from services.messaging.service import contacts
from services.messaging.service.runtime import Runtime

router = APIRouter(tags=["contact"])


def _out(contact: notify.Contact, *, masked: bool = False) -> ContactOut:
    return ContactOut(phone=notify.mask_phone(contact.phone) if masked else contact.phone,
                      email=notify.mask_email(contact.email) if masked else contact.email,
                      channels=sorted(contact.channels), language=contact.language,
                      direction=i18n.direction(contact.language))


@router.get("/me/contact", response_model=ContactOut, summary="Where my notifications go")
async def get_my_contact(session: AsyncSession = Depends(db_session), p: Party = Depends(deps.client),
                         rt: Runtime = Depends(deps.current_runtime)) -> ContactOut:
    return _out(await contacts.mine(session, rt, p))


@router.put("/me/contact", response_model=ContactOut,
            summary="Choose SMS and/or e-mail for notifications (they never contain the message)")
async def put_my_contact(body: ContactIn, session: AsyncSession = Depends(db_session),
                         p: Party = Depends(deps.client), rt: Runtime = Depends(deps.current_runtime)) -> ContactOut:
    return _out(await contacts.put_mine(session, rt, p, phone=body.phone, email=body.email,
                                        channels=list(body.channels), language=body.language))


@router.delete("/me/contact", status_code=204, summary="No more notifications")
async def delete_my_contact(session: AsyncSession = Depends(db_session),
                            p: Party = Depends(deps.client)) -> Response:
    await contacts.delete_mine(session, p)
    return Response(status_code=204)


@router.put("/contacts", response_model=ContactOut,
            summary="Staff: set notifications for a client of the unit who is not digital (answered masked)")
async def put_contact_for_client(body: StaffContactIn, session: AsyncSession = Depends(db_session),
                                 principal: Principal = Depends(authenticate),
                                 p: Party = Depends(deps.staff_writer),
                                 rt: Runtime = Depends(deps.current_runtime)) -> ContactOut:
    contact = await contacts.put_for_client(session, rt, p, principal, personal_number=body.personal_number.value,
                                            phone=body.phone, email=body.email, channels=list(body.channels),
                                            language=body.language)
    return _out(contact, masked=True)
