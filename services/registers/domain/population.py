"""What a population look-up answers: one record per asked person, as the register has them, never more."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.registers import PopulationRecord, Purpose


def legal_basis(given: str | None, purpose: Purpose, *, protection: str, population: str) -> str:
    """The legal basis recorded for a population look-up: the caller's, else the purpose's default."""
    if given:
        return given
    return protection if purpose is Purpose.PROTECTION_CHECK else population


def matched(asked: Sequence[str], records: Sequence[PopulationRecord]) -> dict[str, PopulationRecord] | None:
    """The register's records by person, or None when they do not answer exactly who was asked (then nothing of
    the answer is trusted: a record about someone else must not be read as the asked person's)."""
    by_person = {r.personal_number: r for r in records}
    if len(records) != len(asked) or set(by_person) != set(asked):
        return None
    return {pnr: shown(by_person[pnr]) for pnr in asked}


def shown(record: PopulationRecord) -> PopulationRecord:
    """A protected person's address and co-residents are never passed on, whatever an adapter returns."""
    if record.protected and (record.address is not None or record.residents):
        return record.model_copy(update={"address": None, "residents": []})
    return record
