"""POST /internal/subject-access: registers' part of a client's register extract, for the applications service
only (REGISTERS_SUBJECT_ACCESS_CLIENTS); persons and other services get 403."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.subject_access import PATH, SubjectAccessAnswer, SubjectAccessRequest
from kit.auth import Principal
from kit.db import session as db_session
from services.registers.api import deps
from services.registers.service import subject_access

router = APIRouter(tags=["internal"])


@router.post(PATH, response_model=SubjectAccessAnswer,
             summary="Services only: the register look-ups made about a person, for their register extract (audited)")
async def subject_access_answer(body: SubjectAccessRequest, rt: deps.Rt, session: AsyncSession = Depends(db_session),
                                principal: Principal = Depends(deps.subject_access_caller)) -> SubjectAccessAnswer:
    return await subject_access.answer(session, rt, principal, body)
