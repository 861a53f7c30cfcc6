"""Setting protected identity (skyddade personuppgifter): applications owns the fact until the registers service
takes it over, and only a registrar sets or lifts it.

The registrar is whoever holds the ``protected_identity_registrar`` permission (in development: Adam, the
municipality administrator). Every change is audited with the reason given. A caseworker's checkbox no longer
sets it (POST /staff/applications refuses ``protected_identity: true``); a client's own token claim may still
*mark* them (tighten, never loosen). Meetings and messaging ask the same store (POST /internal/protection).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StringConstraints
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.auth import Principal
from kit.db import session as db_session
from services.applications.api import deps
from services.applications.api.schemas import _In
from services.applications.service import protection
from services.applications.service.runtime import Runtime
from values.personal_number import PersonalNumber

router = APIRouter(tags=["protected identity"])


class ProtectionIn(_In):
    # In the body, never in the URL: a personnummer does not belong in access logs.
    personal_number: PersonalNumber
    protected_identity: bool
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)] = Field(
        description="why (e.g. the Tax Agency's decision on sekretessmarkering): kept in the audit log")


class ProtectionOut(BaseModel):
    protected_identity: bool
    changed: bool = Field(description="false when the person already had that status")
    cases_updated: int = Field(description="the person's cases whose protected flag changed with it")


@router.put("/staff/people/protection", response_model=ProtectionOut,
            summary="Registrar: set or lift a person's protected identity (audited; their cases follow)")
async def set_protection(body: ProtectionIn, session: AsyncSession = Depends(db_session),
                         principal: Principal = Depends(deps.registrar),
                         rt: Runtime = Depends(deps.runtime)) -> JSONResponse:
    changed, cases = await protection.set_protection(session, rt, principal, body.personal_number.value,
                                                     body.protected_identity, body.reason)
    return JSONResponse({"protected_identity": body.protected_identity, "changed": changed, "cases_updated": cases})
