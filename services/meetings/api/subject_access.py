"""POST /internal/subject-access: meetings' part of a client's register extract, for the applications service
only (MEETINGS_SUBJECT_ACCESS_CLIENTS); persons and other services get 403."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.subject_access import PATH, SubjectAccessAnswer, SubjectAccessRequest
from kit.auth import Principal, require_service_client
from kit.db import session as db_session
from services.meetings.api.deps import Rt
from services.meetings.service import subject_access

router = APIRouter(tags=["internal"])

asker = require_service_client(setting="subject_access_clients")


@router.post(PATH, response_model=SubjectAccessAnswer,
             summary="Services only: what meetings holds about a person, for their register extract (audited)")
async def subject_access_answer(body: SubjectAccessRequest, rt: Rt, session: AsyncSession = Depends(db_session),
                                principal: Principal = Depends(asker)) -> SubjectAccessAnswer:
    return await subject_access.answer(session, rt, principal, body)
