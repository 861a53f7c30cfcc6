"""The look-ups services ask for: incomes (SSBTEK), the population register (Navet) and protection checks.

Service tokens only, each route for the clients its setting names. Each look-up is audited by the service layer.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import protection
from contracts.registers import (
    LOOKUP_PATH,
    LOOKUPS_BATCH_PATH,
    POPULATION_PATH,
    LookupAnswer,
    LookupBatch,
    LookupBatchAnswer,
    LookupRequest,
    PopulationAnswer,
    PopulationQuery,
)
from kit.auth import Principal
from kit.db import session as db_session
from services.registers.api import deps
from services.registers.service import batch, lookups, population

router = APIRouter(tags=["internal"])
UNAVAILABLE = {503: {"description": "The population register did not answer (register-unavailable): fail closed."}}


@router.post(LOOKUP_PATH, response_model=LookupAnswer,
             summary="Services only: one person's incomes and benefits for a month, one section per source")
async def lookup(request: LookupRequest, rt: deps.Rt, session: AsyncSession = Depends(db_session),
                 caller: Principal = Depends(deps.lookup_caller)) -> LookupAnswer:
    return await lookups.income(session, rt, caller.client_id, request)


@router.post(LOOKUPS_BATCH_PATH, response_model=LookupBatchAnswer,
             summary="Services only: several income look-ups and a population look-up at once, each audited")
async def lookups_at_once(query: LookupBatch, rt: deps.Rt, session: AsyncSession = Depends(db_session),
                          caller: Principal = Depends(deps.lookup_caller),
                          also: Principal = Depends(deps.population_caller)) -> LookupBatchAnswer:
    # Both settings name the caller: the batch carries both kinds of look-up (an empty part is still asked for).
    return await batch.batch(session, rt, caller.client_id, query)


@router.post(POPULATION_PATH, response_model=PopulationAnswer, responses=UNAVAILABLE,
             summary="Services only: people as the population register has them")
async def people(query: PopulationQuery, rt: deps.Rt, session: AsyncSession = Depends(db_session),
                 caller: Principal = Depends(deps.population_caller)) -> PopulationAnswer:
    return await population.people(session, rt, caller.client_id, query)


@router.post(protection.PATH, response_model=protection.ProtectionAnswer, responses=UNAVAILABLE,
             summary="Services only: which of these people have protected identity (the population register's answer)")
async def protected(query: protection.ProtectionQuery, rt: deps.Rt, session: AsyncSession = Depends(db_session),
                    caller: Principal = Depends(deps.protection_caller)) -> protection.ProtectionAnswer:
    return await population.protected_among(session, rt, caller.client_id, query)
