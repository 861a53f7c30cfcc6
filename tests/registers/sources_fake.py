"""A FAKE of the register adapters (services/registers/integration/sources.py protocols), in memory, for the
registers service's own tests while the real adapters and the simulator are built beside it. The lead swaps this
one file for the real adapters in front of the simulator once both are merged (``fake_sources`` stays the entry).

``set_person`` says what the registers know about someone; ``fail`` makes an income source answer with an error
or not at all; ``navet_down`` makes the population register silent; ``calls`` keeps every order received.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from contracts import registers as c
from services.registers.integration.sources import IncomeOrder, RegisterUnavailable, Sources


@dataclass
class Person:
    protected: bool = False
    name: str | None = None
    address: c.Address | None = None
    residents: tuple[str, ...] = ()
    payments: list[c.Payment] = field(default_factory=list)
    taxed_incomes: list[c.TaxedIncome] = field(default_factory=list)


_PAID_BY = {c.Benefit.PENSION: c.Source.PENSIONSMYNDIGHETEN, c.Benefit.STUDIEMEDEL: c.Source.CSN,
            c.Benefit.ARBETSLOSHETSERSATTNING: c.Source.AKASSA}


class FakeRegisters:
    def __init__(self) -> None:
        self.people: dict[str, Person] = {}
        self.failing: dict[c.Source, c.SectionStatus] = {}
        self.navet_down = False
        self.income_calls: list[IncomeOrder] = []
        self.population_calls: list[tuple[list[str], str, c.Purpose]] = []
        self.leak_address_of_protected = False  # a broken adapter, to show the service never passes it on
        self.answer_for_someone_else = False
        self.closed = False

    def set_person(self, personal_number: str, **facts: Any) -> Person:
        self.people[personal_number] = person = Person(**facts)
        return person

    def fail(self, source: c.Source, status: c.SectionStatus = c.SectionStatus.UNAVAILABLE) -> None:
        self.failing[source] = status

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]

    # --- IncomeRegisters ---------------------------------------------------------------------------------------
    async def fetch(self, order: IncomeOrder) -> list[c.Section]:
        self.income_calls.append(order)
        person = self.people.get(order.personal_number) or Person()
        return [self._section(s, person, order.period) for s in order.sources]

    def _section(self, source: c.Source, person: Person, period: str) -> c.Section:
        status = self.failing.get(source)
        if status is not None:
            code = "timeout" if status is c.SectionStatus.UNAVAILABLE else "source_error"
            return c.Section(source=source, status=status, error=code)
        payments = [p for p in person.payments
                    if p.period == period and _PAID_BY.get(p.benefit, c.Source.FORSAKRINGSKASSAN) is source]
        return c.Section(source=source, status=c.SectionStatus.OK, payments=payments,
                         taxed_incomes=person.taxed_incomes if source is c.Source.SKATTEVERKET else [])

    # --- PopulationRegister ------------------------------------------------------------------------------------
    async def people_of(self, personal_numbers: Sequence[str], requested_by: str,
                        purpose: c.Purpose) -> list[c.PopulationRecord]:
        self.population_calls.append((list(personal_numbers), requested_by, purpose))
        if self.navet_down:
            raise RegisterUnavailable("timeout")
        records = [self._record(p) for p in personal_numbers]
        if self.answer_for_someone_else and records:
            records[0] = records[0].model_copy(update={"personal_number": "190001019800"})
        return records

    def _record(self, pnr: str) -> c.PopulationRecord:
        person = self.people.get(pnr)
        if person is None:
            return c.PopulationRecord(personal_number=pnr, found=False)
        if person.protected and not self.leak_address_of_protected:
            return c.PopulationRecord(personal_number=pnr, found=True, protected=True, name=person.name)
        return c.PopulationRecord(personal_number=pnr, found=True, protected=person.protected, name=person.name,
                                  address=person.address, residents=list(person.residents))

    async def aclose(self) -> None:
        self.closed = True


class _Population:
    def __init__(self, fake: FakeRegisters) -> None:
        self.fake = fake

    async def people(self, personal_numbers: Sequence[str], *, requested_by: str,
                     purpose: c.Purpose) -> list[c.PopulationRecord]:
        return await self.fake.people_of(personal_numbers, requested_by, purpose)


def fake_sources() -> tuple[Sources, FakeRegisters]:
    """The adapters to give ``create_app(sources=...)`` and the fake behind them."""
    fake = FakeRegisters()
    return Sources(income=fake, population=_Population(fake)), fake
