"""The municipality administrator's settings of this service: the automation policy."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.auth import Principal
from kit.db import session as db_session
from kit.responses import JSONResponse
from services.applications.api import deps, schemas
from services.applications.service import automation
from services.applications.service.runtime import Runtime

router = APIRouter(tags=["administration"])


@router.get("/admin/automation", response_model=schemas.AutomationPolicyOut,
            summary="Admin: the automation policy (off unless switched on)")
async def get_policy(session: AsyncSession = Depends(db_session),
                     principal: Principal = Depends(deps.admin_principal)) -> JSONResponse:
    return JSONResponse(await automation.read_policy(session))


@router.put("/admin/automation", response_model=schemas.AutomationPolicyOut,
            summary="Admin: switch automated approval of unchanged monthly re-applications on or off (audited)")
async def put_policy(body: schemas.AutomationPolicyIn, session: AsyncSession = Depends(db_session),
                     principal: Principal = Depends(deps.admin_principal),
                     rt: Runtime = Depends(deps.runtime)) -> JSONResponse:
    return JSONResponse(await automation.set_policy(session, rt, principal, enabled=body.enabled,
                                                    delegation=body.delegation))
