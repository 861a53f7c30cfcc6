"""Service-to-service reads that make applications the one owner of protected identity.

Meetings and messaging show people; before they do, they ask here whether any of them has protected
identity (skyddade personuppgifter). Only the service clients configured in ``protection_readers`` may
ask, and the answer names only the protected ones among those asked about: nothing else of a person.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.auth import Principal, require_service_client
from kit.db import session as db_session
from services.applications import store
from services.applications.domain.personal_number import PersonalNumber

log = logging.getLogger("applications.internal")

router = APIRouter(tags=["internal"])


class ProtectionQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    personal_numbers: list[PersonalNumber] = Field(min_length=1, max_length=100,
                                                   description="The people about to be shown (12 or 10 digits).")


class ProtectionAnswer(BaseModel):
    protected: list[str] = Field(description="Those asked about who have protected identity (12 digits).")


# Only the services that show people (APPLICATIONS_PROTECTION_READERS); persons and other services get 403.
protection_reader = require_service_client(setting="protection_readers")


@router.post("/internal/protection", response_model=ProtectionAnswer,
             summary="Services only: which of these people have protected identity (the owner's answer)")
async def protection(query: ProtectionQuery, session: AsyncSession = Depends(db_session),
                     principal: Principal = Depends(protection_reader)) -> ProtectionAnswer:
    asked = sorted({p.value for p in query.personal_numbers})
    protected = await store.protected_among(session, asked)
    log.info("protection asked", extra={"client_id": principal.client_id, "asked": len(asked),
                                        "protected": len(protected)})
    return ProtectionAnswer(protected=protected)
