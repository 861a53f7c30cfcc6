"""An income look-up (SSBTEK): ask the sources, keep the audit row with the answer's hash, answer it.

A source that fails is its section's status (error or unavailable), never an exception and never "nothing paid";
an adapter that breaks that promise, or leaves a section out, is read as that source being unavailable.
"""

from __future__ import annotations

import logging
import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.registers import LookupAnswer, LookupRequest, Section, SectionStatus, Source
from services.registers.domain import rules
from services.registers.domain.audit import Asker, Kind, Lookup, Outcome, answer_hash
from services.registers.integration.sources import IncomeOrder, RegisterUnavailable
from services.registers.service.runtime import Runtime
from services.registers.store import lookups as store

log = logging.getLogger("registers.lookups")


async def income(session: AsyncSession, rt: Runtime, client_id: str, request: LookupRequest) -> LookupAnswer:
    answer, row = await asked(rt, client_id, request)
    await store.add(session, rt.sealer, [row])
    await session.commit()
    return answer


async def asked(rt: Runtime, client_id: str, request: LookupRequest) -> tuple[LookupAnswer, Lookup]:
    """The answer and its audit row, not yet stored (the caller stores and commits it before answering)."""
    sources = rules.income_sources(request.purpose, request.sources)
    asker = Asker(client_id, request.process, request.caseworker)
    order = IncomeOrder(requested_by=asker.requested_by, personal_number=request.personal_number.value,
                        case_id=str(request.case_id) if request.case_id else None, period=request.period,
                        purpose=request.purpose, legal_basis=request.legal_basis, sources=sources)
    sections = await _ask(rt, order)
    outcomes = tuple(Outcome(s.source.value, s.status, s.error) for s in sections)
    rt.observed.answered(outcomes)
    answer = LookupAnswer(lookup_id=uuid.uuid4(), made_at=rt.now(), period=request.period, sections=sections,
                          complete=all(s.status is SectionStatus.OK for s in sections))
    return answer, Lookup(
        id=answer.lookup_id, made_at=answer.made_at, kind=Kind.INCOME, asker=asker,
        subject=request.personal_number.value, case_id=request.case_id, unit=request.unit, purpose=request.purpose,
        legal_basis=request.legal_basis, period=request.period,
        outcomes=outcomes,
        answer_sha256=answer_hash(answer.model_dump(mode="json")))


async def _ask(rt: Runtime, order: IncomeOrder) -> list[Section]:
    try:
        given = await rt.sources.income.fetch(order)
    except RegisterUnavailable as exc:
        return [_unavailable(s, exc.code) for s in order.sources]
    by_source: dict[Source, Section] = {}
    for section in given:
        by_source.setdefault(section.source, section)
    missing = [s for s in order.sources if s not in by_source]
    if missing:
        log.warning("income adapter left sources out", extra={"sources": [s.value for s in missing]})
    return [by_source.get(s) or _unavailable(s, "no_section") for s in order.sources]


def _unavailable(source: Source, code: str) -> Section:
    return Section(source=source, status=SectionStatus.UNAVAILABLE, error=code[:100])
