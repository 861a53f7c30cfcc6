"""The look-up audit: the person looked up sees every look-up about them; team leads and admins follow up."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.db import session as db_session
from services.registers.api import deps
from services.registers.api.schemas import MyLookupOut, StaffLookupOut, mine, staff
from services.registers.domain.access import AuditScope
from services.registers.service import audit

router = APIRouter(tags=["audit"])
# A month of the audit: 1900-2199 (a year the calendar and the table can hold; 0000-01 is no month).
MONTH_PATTERN = r"^(19|2[01])\d{2}-(0[1-9]|1[0-2])$"


@router.get("/me/lookups", response_model=list[MyLookupOut],
            summary="Client: the register look-ups made about me (when, why, which sources, by whom as a category)")
async def my_lookups(rt: deps.Rt, session: AsyncSession = Depends(db_session),
                     personal_number: str = Depends(deps.person_looked_up)) -> list[MyLookupOut]:
    return [mine(row) for row in await audit.about_me(session, rt, personal_number)]


@router.get("/lookups", response_model=list[StaffLookupOut],
            summary="Team lead (own units) or admin: the look-up audit, newest first")
async def search(rt: deps.Rt, case_id: uuid.UUID | None = None,
                 month: Annotated[str | None, Query(pattern=MONTH_PATTERN,
                                                    description="Look-ups made in this month (YYYY-MM).")] = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 100,
                 session: AsyncSession = Depends(db_session),
                 scope: AuditScope = Depends(deps.auditor)) -> list[StaffLookupOut]:
    rows = await audit.search(session, rt, scope, case_id=case_id, month=month, limit=limit)
    return [staff(row) for row in rows]


@router.get("/lookups/{lookup_id}", response_model=StaffLookupOut,
            summary="Team lead (own units) or admin: one look-up of the audit")
async def one(lookup_id: uuid.UUID, session: AsyncSession = Depends(db_session),
              scope: AuditScope = Depends(deps.auditor)) -> StaffLookupOut:
    return staff(await audit.one(session, scope, lookup_id))
