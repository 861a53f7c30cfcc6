"""Service-to-service reads that make applications the one owner of protected identity.

Meetings and messaging show people; before they do, they ask here whether any of them has protected
identity (skyddade personuppgifter). Only the service clients configured in ``protection_readers`` may
ask, and the answer names only the protected ones among those asked about: nothing else of a person.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.protection import PATH, ProtectionAnswer, ProtectionQuery
from kit.auth import Principal, require_service_client
from kit.db import session as db_session
from services.applications import store

log = logging.getLogger("applications.internal")

router = APIRouter(tags=["internal"])


# Only the services that show people (APPLICATIONS_PROTECTION_READERS); persons and other services get 403.
protection_reader = require_service_client(setting="protection_readers")


@router.post(PATH, response_model=ProtectionAnswer,
             summary="Services only: which of these people have protected identity (the owner's answer)")
async def protection(query: ProtectionQuery, session: AsyncSession = Depends(db_session),
                     principal: Principal = Depends(protection_reader)) -> ProtectionAnswer:
    asked = sorted({p.value for p in query.personal_numbers})
    protected = await store.protected_among(session, asked)
    log.info("protection asked", extra={"client_id": principal.client_id, "asked": len(asked),
                                        "protected": len(protected)})
    return ProtectionAnswer(protected=protected)
