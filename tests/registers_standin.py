"""A CONTRACT STAND-IN for the registers service (contracts/registers.py and contracts/protection.py), for the
tests of the services that ask it while the real registers service and its simulator are built beside them.

It speaks the agreed wire exactly (service token required, the contract's request and answer models) and keeps
its people in memory: ``set_person`` says what the registers know about someone, ``fail`` makes a source answer
with an error or not at all. Every request it receives is kept in ``requests``. The lead replaces the inside of
``registers_standin`` with the real registers service in front of the simulator once both are merged; the
interface below stays.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from contracts import protection as protection_contract
from contracts import registers as contract
from kit.auth import TokenRejected, bearer_token
from tests.support import serve_in_thread, verifier_for


@dataclass
class Person:
    protected: bool = False
    name: str | None = None
    address: contract.Address | None = None
    residents: tuple[str, ...] = ()
    payments: list[contract.Payment] = field(default_factory=list)
    taxed_incomes: list[contract.TaxedIncome] = field(default_factory=list)
    registration: contract.Registration | None = None
    vehicles: list[contract.Vehicle] = field(default_factory=list)
    permits: list[contract.Permit] = field(default_factory=list)


class RegistersStandIn:
    def __init__(self) -> None:
        self.people: dict[str, Person] = {}
        self.failing: dict[contract.Source, contract.SectionStatus] = {}
        self.navet_down = False
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.url = ""

    def set_person(self, personal_number: str, **facts: Any) -> Person:
        person = Person(**facts)
        self.people[personal_number] = person
        return person

    def fail(self, source: contract.Source, status: contract.SectionStatus = contract.SectionStatus.UNAVAILABLE
             ) -> None:
        self.failing[source] = status

    def reset(self) -> None:
        self.people.clear()
        self.failing.clear()
        self.navet_down = False
        self.requests.clear()

    def section(self, source: contract.Source, person: Person | None, period: str) -> contract.Section:
        status = self.failing.get(source)
        if status is not None:
            code = "timeout" if status is contract.SectionStatus.UNAVAILABLE else "source_error"
            return contract.Section(source=source, status=status, error=code)
        p = person or Person()
        payments = [pay for pay in p.payments if pay.period == period and _paid_by(pay.benefit) is source]
        return contract.Section(
            source=source, status=contract.SectionStatus.OK, payments=payments,
            taxed_incomes=p.taxed_incomes if source is contract.Source.SKATTEVERKET else [],
            registration=(p.registration or contract.Registration(status=contract.RegistrationStatus.NOT_REGISTERED))
            if source is contract.Source.ARBETSFORMEDLINGEN else None,
            vehicles=p.vehicles if source is contract.Source.TRANSPORTSTYRELSEN else [],
            permits=p.permits if source is contract.Source.MIGRATIONSVERKET else [])

    def record(self, personal_number: str) -> contract.PopulationRecord:
        person = self.people.get(personal_number)
        if person is None:
            return contract.PopulationRecord(personal_number=personal_number, found=False)
        if person.protected:
            return contract.PopulationRecord(personal_number=personal_number, found=True, protected=True)
        return contract.PopulationRecord(personal_number=personal_number, found=True, name=person.name,
                                         address=person.address, residents=list(person.residents))


_PAID_BY = {
    contract.Benefit.PENSION: contract.Source.PENSIONSMYNDIGHETEN,
    contract.Benefit.STUDIEMEDEL: contract.Source.CSN,
    contract.Benefit.ARBETSLOSHETSERSATTNING: contract.Source.AKASSA,
}


def _paid_by(benefit: contract.Benefit) -> contract.Source:
    return _PAID_BY.get(benefit, contract.Source.FORSAKRINGSKASSAN)


def standin_app(issuer: Any, state: RegistersStandIn) -> FastAPI:
    verifier = verifier_for(issuer, service="registers")
    app = FastAPI()

    async def service_caller(request: Request) -> JSONResponse | None:
        try:
            principal = await verifier.verify(bearer_token(request.headers.get("authorization")) or "")
        except TokenRejected:
            return JSONResponse({"type": "urn:bistand:problem:unauthorized", "status": 401}, status_code=401)
        if "service" not in principal.roles:
            return JSONResponse({"type": "urn:bistand:problem:forbidden", "status": 403}, status_code=403)
        return None

    @app.post(contract.LOOKUP_PATH)
    async def lookups(request: Request) -> JSONResponse:
        if (refused := await service_caller(request)) is not None:
            return refused
        query = contract.LookupRequest.model_validate(await request.json())
        state.requests.append((contract.LOOKUP_PATH, query.model_dump(mode="json")))
        person = state.people.get(query.personal_number.value)
        sections = [state.section(s, person, query.period) for s in (query.sources or list(contract.Source))]
        answer = contract.LookupAnswer(lookup_id=uuid.uuid4(), made_at=dt.datetime.now(dt.UTC), period=query.period,
                                       sections=sections,
                                       complete=all(s.status is contract.SectionStatus.OK for s in sections))
        return JSONResponse(answer.model_dump(mode="json"))

    @app.post(contract.POPULATION_PATH)
    async def population(request: Request) -> JSONResponse:
        if (refused := await service_caller(request)) is not None:
            return refused
        query = contract.PopulationQuery.model_validate(await request.json())
        state.requests.append((contract.POPULATION_PATH, query.model_dump(mode="json")))
        if state.navet_down:
            return JSONResponse({"type": "urn:bistand:problem:register-unavailable", "status": 503}, status_code=503)
        answer = contract.PopulationAnswer(people=[state.record(p.value) for p in query.personal_numbers])
        return JSONResponse(answer.model_dump(mode="json"))

    @app.post(protection_contract.PATH)
    async def protection(request: Request) -> JSONResponse:
        if (refused := await service_caller(request)) is not None:
            return refused
        query = protection_contract.ProtectionQuery.model_validate(await request.json())
        state.requests.append((protection_contract.PATH, query.model_dump(mode="json")))
        if state.navet_down:
            return JSONResponse({"type": "urn:bistand:problem:register-unavailable", "status": 503}, status_code=503)
        asked = [p.value for p in query.personal_numbers]
        protected = [p for p in asked if (person := state.people.get(p)) is not None and person.protected]
        return JSONResponse(protection_contract.ProtectionAnswer(protected=protected).model_dump(mode="json"))

    return app


@contextlib.contextmanager
def registers_standin(issuer: Any) -> Iterator[RegistersStandIn]:
    """The registers, served on a free port: ``.url`` is its base URL."""
    state = RegistersStandIn()
    with serve_in_thread(standin_app(issuer, state)) as url:
        state.url = url
        yield state
