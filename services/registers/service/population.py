"""Population look-ups (Navet) and the protection checks answered from them.

Each person asked of the register gets an audit row (ok, or unavailable when the register was silent). A silent
register answers 503 register-unavailable: protection is never read as "not protected" for lack of an answer.
Protection checks reuse a person's flag for a short while (the cache); only cache misses ask the register.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.protection import ProtectionAnswer, ProtectionQuery
from contracts.registers import PopulationAnswer, PopulationQuery, PopulationRecord, Purpose, SectionStatus
from services.registers.domain import population as rules
from services.registers.domain.audit import NAVET, Asker, Kind, Lookup, Outcome, answer_hash
from services.registers.domain.rules import RegisterSilent
from services.registers.integration.sources import RegisterUnavailable
from services.registers.service.runtime import Runtime
from services.registers.store import lookups as store

PROTECTION_PROCESS = "protection_check"


async def people(session: AsyncSession, rt: Runtime, client_id: str, query: PopulationQuery) -> PopulationAnswer:
    answer, rows, remember = await asked(rt, client_id, query)
    await store.add(session, rt.sealer, rows)
    await session.commit()
    if answer is None:
        raise RegisterSilent()
    remember()
    return answer


async def asked(rt: Runtime, client_id: str, query: PopulationQuery
                ) -> tuple[PopulationAnswer | None, list[Lookup], Callable[[], None]]:
    """The answer (None: the register was silent), the audit rows (not yet stored) and what to call once they are
    committed (the protection cache learns the markings only then, as on the route of its own)."""
    asked_for = [p.value for p in query.personal_numbers]
    basis = rules.legal_basis(query.legal_basis, query.purpose, protection=rt.settings.protection_legal_basis,
                              population=rt.settings.population_legal_basis)
    records, rows, remember = await _fetch(rt, Asker(client_id, query.process, query.caseworker),
                                           list(dict.fromkeys(asked_for)), purpose=query.purpose,
                                           legal_basis=basis, case_id=query.case_id, unit=query.unit)
    return (PopulationAnswer(people=[records[pnr] for pnr in asked_for]) if records is not None else None,
            rows, remember)


async def protected_among(session: AsyncSession, rt: Runtime, client_id: str,
                          query: ProtectionQuery) -> ProtectionAnswer:
    asked = list(dict.fromkeys(p.value for p in query.personal_numbers))
    known, missing = rt.protection.known(asked, rt.now())
    rt.observed.protection_checked(len(known), len(missing))
    if missing:
        records = await _ask(session, rt, Asker(client_id, f"{client_id}:{PROTECTION_PROCESS}"), missing,
                             purpose=Purpose.PROTECTION_CHECK, legal_basis=rt.settings.protection_legal_basis,
                             case_id=None, unit=None)
        known.update({pnr: record.protected for pnr, record in records.items()})
    return ProtectionAnswer(protected=[pnr for pnr in asked if known[pnr]])


async def _ask(session: AsyncSession, rt: Runtime, asker: Asker, asked: Sequence[str], *, purpose: Purpose,
               legal_basis: str, case_id: uuid.UUID | None, unit: str | None) -> dict[str, PopulationRecord]:
    records, rows, remember = await _fetch(rt, asker, asked, purpose=purpose, legal_basis=legal_basis,
                                           case_id=case_id, unit=unit)
    await store.add(session, rt.sealer, rows)
    await session.commit()
    if records is None:
        raise RegisterSilent()
    remember()
    return records


async def _fetch(rt: Runtime, asker: Asker, asked: Sequence[str], *, purpose: Purpose, legal_basis: str,
                 case_id: uuid.UUID | None, unit: str | None
                 ) -> tuple[dict[str, PopulationRecord] | None, list[Lookup], Callable[[], None]]:
    """Ask the register: (the records or None when it was silent, an audit row per person, what to do once the rows
    are committed). Each person asked gets a row: ok, or unavailable when the register was silent."""
    made_at = rt.now()

    def row(pnr: str, outcome: Outcome, sha: str | None) -> Lookup:
        return Lookup(id=uuid.uuid4(), made_at=made_at, kind=Kind.POPULATION, asker=asker, subject=pnr,
                      case_id=case_id, unit=unit, purpose=purpose, legal_basis=legal_basis, period=None,
                      outcomes=(outcome,), answer_sha256=sha)

    try:
        answered = await rt.sources.population.people(asked, requested_by=asker.requested_by, purpose=purpose)
        records = rules.matched(asked, answered)
        if records is None:
            raise RegisterUnavailable("mismatched_answer")
    except RegisterUnavailable as exc:
        silent = Outcome(NAVET, SectionStatus.UNAVAILABLE, exc.code[:100])
        rt.observed.answered([silent])
        return None, [row(pnr, silent, None) for pnr in asked], _nothing
    ok = Outcome(NAVET, SectionStatus.OK)
    rt.observed.answered([ok])
    rows = [row(pnr, ok, answer_hash(records[pnr].model_dump(mode="json"))) for pnr in asked]

    def remember() -> None:
        rt.protection.remember({pnr: record.protected for pnr, record in records.items()}, made_at)

    return records, rows, remember


def _nothing() -> None:
    return None
