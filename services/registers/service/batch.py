"""The look-ups one process needs at once (a decision proposal: incomes of the applicant and partner, the
applicant's population record), in one request: the registers are asked at the same time, each look-up gets the
audit row it gets on its own route, and all the rows are stored in one statement and one commit before anything is
answered. A silent population register is that part's None here (alone, it is a 503), with its rows audited."""

from __future__ import annotations

import asyncio

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.registers import LookupBatch, LookupBatchAnswer, PopulationAnswer
from services.registers.domain.audit import Lookup
from services.registers.service import lookups, population
from services.registers.service.runtime import Runtime
from services.registers.store import lookups as store


async def _nobody() -> tuple[PopulationAnswer | None, list[Lookup], None]:
    return None, [], None


async def batch(session: AsyncSession, rt: Runtime, client_id: str, query: LookupBatch) -> LookupBatchAnswer:
    asked = [lookups.asked(rt, client_id, r) for r in query.lookups]
    people = population.asked(rt, client_id, query.population) if query.population is not None else _nobody()
    *incomes, (found, population_rows, remember) = await asyncio.gather(*asked, people)
    await store.add(session, rt.sealer, [*(row for _, row in incomes), *population_rows])
    await session.commit()
    if found is not None and remember is not None:
        remember()
    return LookupBatchAnswer(lookups=[answer for answer, _ in incomes], population=found)
