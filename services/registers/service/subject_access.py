"""The client's register extract (registerutdrag, GDPR art. 15): registers' part, for the applications service.

Registers keeps no register data, only the audit row of each look-up. The person is told what GET /me/lookups tells
them, every row however old: when, which kind, purpose, legal basis, period, case, each source asked and how it
answered, and who asked as a category (caseworker / automated process). Never the caseworker's id, the asking
service's process, the answer's hash, nor anyone else looked up alongside them (each row is about one person).
The export itself is audited with the person as the store keeps them: a keyed fingerprint, never in the clear.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.subject_access import (
    Item,
    Section,
    SubjectAccessAnswer,
    SubjectAccessRequest,
    entry,
    local_time,
    text,
)
from kit import audit
from kit.auth import Principal
from services.registers.domain.audit import Kind, LookupRow, Outcome
from services.registers.service.runtime import Runtime
from services.registers.store import lookups as store

MAX_LOOKUPS = 100_000  # every look-up about the person, not a page of them
_KIND = {Kind.INCOME: ("Inkomstförfrågan", "Income look-up"),
         Kind.POPULATION: ("Folkbokföringsuppgifter", "Population register look-up")}


def _source(o: Outcome) -> Item:
    return Item(heading=text(f"Källa {o.source}", f"Source {o.source}"), entries=[
        entry("source", "Källa", "Source", o.source), entry("status", "Utfall", "Outcome", o.status.value),
        entry("error", "Felkod", "Error code", o.error)])


def _lookup(row: LookupRow) -> Item:
    sv, en = _KIND[row.kind]
    return Item(id=str(row.id), heading=text(sv, en), entries=[
        entry("made_at", "Tid", "Time", local_time(row.made_at), "time"),
        entry("kind", "Slag", "Kind", row.kind.value),
        entry("purpose", "Syfte", "Purpose", row.purpose.value),
        entry("legal_basis", "Rättslig grund", "Legal basis", row.legal_basis),
        entry("period", "Period", "Period", row.period),
        entry("case_id", "Ärende", "Case", str(row.case_id) if row.case_id else None),
        entry("who", "Vem frågade (handläggare / automatisk process)", "Who asked (caseworker / automated process)",
              row.who.value),
    ], items=[_source(o) for o in row.outcomes])


async def answer(session: AsyncSession, rt: Runtime, principal: Principal,
                 request: SubjectAccessRequest) -> SubjectAccessAnswer:
    pnr = request.personal_number.value
    now = rt.now()
    rows = await store.about(session, rt.sealer, pnr, MAX_LOOKUPS)
    audit.record(session, principal, "export", "subject_access", str(request.request_id),
                 subject=rt.sealer.fingerprint(pnr), purpose="registerutdrag",
                 details={"requested_by": request.requested_by, "lookups": len(rows)})
    await session.commit()
    return SubjectAccessAnswer(service="registers", generated_at=now, sections=[
        Section(key="lookups", title=text("Uppslag i register om dig", "Register look-ups about you"),
                items=[_lookup(r) for r in rows],
                note=text("Registers sparar inga registeruppgifter, bara att och varför de hämtades. Vem som frågade "
                          "anges som handläggare eller automatisk process.",
                          "Registers keeps no register data, only that and why it was fetched. Who asked is shown "
                          "as caseworker or automated process."))])
