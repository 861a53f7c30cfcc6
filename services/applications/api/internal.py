"""Service-to-service reads that make applications the one owner of protected identity.

Meetings and messaging show people; before they do, they ask here whether any of them has protected
identity (skyddade personuppgifter). Only the service clients configured in ``protection_readers`` may
ask, and the answer names only the protected ones among those asked about: nothing else of a person.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.protection import PATH, ProtectionAnswer, ProtectionQuery
from kit.auth import Principal
from kit.db import session as db_session
from services.applications.api import deps
from services.applications.service import protection as protection_service

router = APIRouter(tags=["internal"])


@router.post(PATH, response_model=ProtectionAnswer,
             summary="Services only: which of these people have protected identity (the owner's answer)")
async def protection(query: ProtectionQuery, session: AsyncSession = Depends(db_session),
                     principal: Principal = Depends(deps.protection_reader)) -> ProtectionAnswer:
    asked = [p.value for p in query.personal_numbers]
    return ProtectionAnswer(protected=await protection_service.protected_among(session, principal, asked))
