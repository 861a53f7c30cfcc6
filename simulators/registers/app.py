"""The registers simulator: an SSBTEK-shaped and a Navet-shaped SOAP service over synthetic people.

Two SOAP 1.1 endpoints (POST /ssbtek/v1, POST /navet/v1) and JSON control endpoints under /control that make a
source slow, silent, failing or partial, the whole endpoint fail or answer late, and add people. The wire format is
described, with examples, in README.md beside this file. Served with mutual TLS by ``python -m simulators.registers``
and ``make run``; the tests serve it in a thread the same way.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Path, Request, Response
from lxml import etree
from personnummer import personnummer as _pnr
from pydantic import BaseModel, Field

from kit.problems import Problem, install_problem_handlers
from simulators.registers.people import PAYER, Kalla, Person, seed
from simulators.registers.soap import (
    CONTENT_TYPE,
    NAVET_NS,
    SSBTEK_NS,
    BadRequest,
    envelope,
    fault,
    parse_body,
    sub,
    text_of,
)

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
ORG_NUMBER = re.compile(r"^\d{6}-?\d{4}$")
MAX_NAVET_PEOPLE = 100
KEPT_REQUESTS = 200

# The control API names sources as the registers contract does (lower case, no diacritics).
SOURCE_NAMES: dict[str, Kalla] = {k.name.lower(): k for k in Kalla}

SourceMode = Literal["normal", "slow", "missing", "failing", "partial", "error"]
EndpointMode = Literal["normal", "slow", "failing", "fault"]
NavetQuirk = Literal["none", "leak_protected_address", "someone_else"]


class SourceControl(BaseModel):
    """normal: data; slow: answer after delay_ms (past the caller's MaxSvarstidMs: a TIDSGRANS error); missing: the
    section is left out; failing: the section's error TEKNISKT_FEL; error: the section's error KALLFEL; partial: data
    marked fullstandig="false"."""

    mode: SourceMode = "normal"
    delay_ms: int = Field(default=0, ge=0, le=60_000)


class EndpointControl(BaseModel):
    """normal; slow: the whole answer after delay_ms; failing: HTTP ``status`` for every call; fault: a SOAP Fault
    (soap:Server). ``fail_next``: the next N calls answer HTTP ``status``, then the mode applies again."""

    mode: EndpointMode = "normal"
    delay_ms: int = Field(default=0, ge=0, le=60_000)
    fail_next: int = Field(default=0, ge=0, le=1000)
    status: Literal[500, 502, 503, 504] = 503


class NavetControl(EndpointControl):
    """Navet also misbehaves the way a broken register or adapter could, so the registers service's own guards are
    tested over the wire: ``leak_protected_address`` gives a protected person's address and co-residents anyway;
    ``someone_else`` answers the first person asked with another personnummer."""

    quirk: NavetQuirk = "none"


class ResetControl(BaseModel):
    """``people``: "seed" (the people of README.md) or "none" (nobody: every personnummer is unknown)."""

    people: Literal["seed", "none"] = "seed"


@dataclass
class State:
    today: dt.date
    people: dict[str, Person] = field(default_factory=dict)
    sources: dict[Kalla, SourceControl] = field(default_factory=dict)
    ssbtek: EndpointControl = field(default_factory=EndpointControl)
    navet: NavetControl = field(default_factory=NavetControl)
    requests: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=KEPT_REQUESTS))

    def reset(self, people: str = "seed") -> None:
        self.people = {p.personal_number: p for p in seed(self.today)} if people == "seed" else {}
        self.sources = {k: SourceControl() for k in Kalla}
        self.ssbtek = EndpointControl()
        self.navet = NavetControl()
        self.requests.clear()


def _personal_number(raw: str | None) -> str:
    try:
        return _pnr.Personnummer(raw or "").format(long_format=True)
    except _pnr.PersonnummerException:
        raise BadRequest("Personnummer is not valid") from None


def _requester(parent: etree._Element, ns: str) -> str:
    caseworker = text_of(parent, ns, "Handlaggare", required=False)
    process = text_of(parent, ns, "Process", required=False)
    if bool(caseworker) == bool(process):
        raise BadRequest("exactly one of Handlaggare and Process is required")
    return f"handlaggare:{caseworker}" if caseworker else f"process:{process}"


def _org_number(parent: etree._Element, ns: str) -> str:
    org = text_of(parent, ns, "Organisationsnummer") or ""
    if not ORG_NUMBER.match(org):
        raise BadRequest("Organisationsnummer is not valid")
    return org


@dataclass(frozen=True)
class SsbtekOrder:
    organisation: str
    requested_by: str
    personal_number: str
    case_id: str | None
    period_from: str
    period_to: str
    purpose: str
    legal_basis: str
    sources: tuple[Kalla, ...]
    max_wait_ms: int | None


def _ssbtek_order(payload: etree._Element) -> SsbtekOrder:
    ns = SSBTEK_NS
    if payload.tag != f"{{{ns}}}HamtaUppgifter":
        raise BadRequest("expected HamtaUppgifter")
    f = payload.find(f"{{{ns}}}Forfragan")
    if f is None:
        raise BadRequest("Forfragan is required")
    period = f.find(f"{{{ns}}}Period")
    if period is None:
        raise BadRequest("Period is required")
    start, end = text_of(period, ns, "From") or "", text_of(period, ns, "Tom") or ""
    if not (PERIOD.match(start) and PERIOD.match(end)) or start > end:
        raise BadRequest("Period must be From <= Tom, both YYYY-MM")
    asked: list[Kalla] = []
    kallor = f.find(f"{{{ns}}}Kallor")
    for element in kallor.findall(f"{{{ns}}}Kalla") if kallor is not None else ():
        try:
            kalla = Kalla((element.text or "").strip())
        except ValueError:
            raise BadRequest("unknown Kalla") from None
        if kalla not in asked:
            asked.append(kalla)
    wait = text_of(f, ns, "MaxSvarstidMs", required=False)
    if wait is not None and not wait.isdigit():
        raise BadRequest("MaxSvarstidMs must be a whole number")
    case_id = text_of(f, ns, "Arendeid", required=False)
    if case_id is not None and len(case_id) > 100:
        raise BadRequest("Arendeid is too long")
    return SsbtekOrder(
        organisation=_org_number(f, ns), requested_by=_requester(f, ns),
        personal_number=_personal_number(text_of(f, ns, "Personnummer")), case_id=case_id,
        period_from=start, period_to=end, purpose=text_of(f, ns, "Andamal") or "",
        legal_basis=text_of(f, ns, "Rattsligtstod") or "", sources=tuple(asked) or tuple(Kalla),
        max_wait_ms=int(wait) if wait is not None else None)


def _error(section: etree._Element, code: str, text: str) -> None:
    fel = sub(section, SSBTEK_NS, "Fel")
    sub(fel, SSBTEK_NS, "Felkod", code)
    sub(fel, SSBTEK_NS, "Feltext", text)


def _section_data(section: etree._Element, kalla: Kalla, person: Person | None, order: SsbtekOrder) -> None:
    ns = SSBTEK_NS

    def within(period: str) -> bool:
        return order.period_from <= period <= order.period_to

    if kalla is Kalla.SKATTEVERKET:
        for income in (person.taxed_incomes if person else []):
            if income.year <= int(order.period_to[:4]):
                t = sub(section, ns, "Taxering")
                sub(t, ns, "Inkomstar", income.year)
                sub(t, ns, "Belopp", income.amount)
    elif kalla is Kalla.ARBETSFORMEDLINGEN:
        af = person.af if person else None
        reg = sub(section, ns, "Inskrivning")
        sub(reg, ns, "Status", af.status if af else "ej_inskriven")
        if af and af.programme:
            sub(reg, ns, "Program", af.programme)
        if af and af.since:
            sub(reg, ns, "InskrivenFran", af.since.isoformat())
        reports = [r for r in af.activity_reports if within(r.period)] if af else []
        if reports:
            container = sub(reg, ns, "Aktivitetsrapporter")
            for r in reports:
                rapport = sub(container, ns, "Aktivitetsrapport")
                sub(rapport, ns, "Period", r.period)
                sub(rapport, ns, "Inlamnad", "true" if r.submitted else "false")
    elif kalla is Kalla.TRANSPORTSTYRELSEN:
        for v in (person.vehicles if person else []):
            fordon = sub(section, ns, "Fordon")
            sub(fordon, ns, "Registreringsnummer", v.registration)
            sub(fordon, ns, "Fordonsslag", v.kind)
            if v.owned_since:
                sub(fordon, ns, "AgareSedan", v.owned_since.isoformat())
    elif kalla is Kalla.MIGRATIONSVERKET:
        for p in (person.permits if person else []):
            tillstand = sub(section, ns, "Tillstand")
            sub(tillstand, ns, "Tillstandstyp", p.kind)
            if p.valid_until:
                sub(tillstand, ns, "GiltigtTom", p.valid_until.isoformat())
    else:
        for pay in (person.payments if person else []):
            if PAYER[pay.benefit] is kalla and within(pay.period):
                u = sub(section, ns, "Utbetalning")
                sub(u, ns, "Forman", pay.benefit)
                sub(u, ns, "Period", pay.period)
                sub(u, ns, "Belopp", pay.amount)


async def _ssbtek_answer(state: State, order: SsbtekOrder) -> bytes:
    ns = SSBTEK_NS
    person = state.people.get(order.personal_number)
    answer = etree.Element(f"{{{ns}}}HamtaUppgifterSvar", nsmap={"ssb": ns})
    sub(answer, ns, "Svarsid", uuid.uuid4())
    sub(answer, ns, "Personnummer", order.personal_number)
    period = sub(answer, ns, "Period")
    sub(period, ns, "From", order.period_from)
    sub(period, ns, "Tom", order.period_to)
    wait_ms = 0
    for kalla in order.sources:
        control = state.sources[kalla]
        if control.mode == "missing":
            continue
        section = sub(answer, ns, kalla.value)
        if control.mode == "slow":
            if order.max_wait_ms is not None and control.delay_ms > order.max_wait_ms:
                wait_ms = max(wait_ms, order.max_wait_ms)
                _error(section, "TIDSGRANS", "Källan svarade inte inom tidsgränsen.")
                continue
            wait_ms = max(wait_ms, control.delay_ms)
        if control.mode == "failing":
            _error(section, "TEKNISKT_FEL", "Källan är inte tillgänglig.")
        elif control.mode == "error":
            _error(section, "KALLFEL", "Källan kunde inte besvara frågan.")
        else:
            if control.mode == "partial":
                section.set("fullstandig", "false")
            _section_data(section, kalla, person, order)
    if wait_ms:
        await asyncio.sleep(wait_ms / 1000)  # the simulated sources' latency
    return envelope(answer)


SOMEONE_ELSE = "190001019800"  # no one asked for this person: what a confused register might answer with


def _navet_answer(state: State, numbers: list[str]) -> bytes:
    ns = NAVET_NS
    quirk = state.navet.quirk
    answer = etree.Element(f"{{{ns}}}HamtaPersonerSvar", nsmap={"nav": ns})
    for index, number in enumerate(numbers):
        person = state.people.get(number)
        p = sub(answer, ns, "Person")
        sub(p, ns, "Personnummer", SOMEONE_ELSE if quirk == "someone_else" and index == 0 else number)
        sub(p, ns, "Hittad", "true" if person else "false")
        if person is None:
            continue
        sub(p, ns, "Skyddad", "true" if person.protected else "false")
        namn = sub(p, ns, "Namn")
        sub(namn, ns, "Fornamn", person.first_name)
        sub(namn, ns, "Efternamn", person.last_name)
        leak = quirk == "leak_protected_address"
        if (person.protected and not leak) or person.address is None:
            continue  # a protected person's address, and so who lives there, is never given out
        a = person.address
        adress = sub(p, ns, "Folkbokforingsadress")
        sub(adress, ns, "Utdelningsadress", a.street)
        sub(adress, ns, "Postnummer", a.postal_code)
        sub(adress, ns, "Postort", a.city)
        others = person.residents if person.residents is not None else [
            o.personal_number for o in state.people.values()
            if o.address == a and o.personal_number != number and not o.protected]
        if others:
            boende = sub(p, ns, "Boende")
            for other in others:
                sub(boende, ns, "Personnummer", other)
    return envelope(answer)


def _navet_numbers(payload: etree._Element) -> tuple[str, str, str, list[str]]:
    ns = NAVET_NS
    if payload.tag != f"{{{ns}}}HamtaPersoner":
        raise BadRequest("expected HamtaPersoner")
    orderer = payload.find(f"{{{ns}}}Bestallare")
    if orderer is None:
        raise BadRequest("Bestallare is required")
    org = _org_number(orderer, ns)
    requester = _requester(orderer, ns)
    purpose = text_of(orderer, ns, "Andamal") or ""
    numbers = [_personal_number(e.text) for e in payload.findall(f"{{{ns}}}Personnummer")]
    if not 1 <= len(numbers) <= MAX_NAVET_PEOPLE:
        raise BadRequest(f"between 1 and {MAX_NAVET_PEOPLE} Personnummer")
    return org, requester, purpose, numbers


async def _endpoint_gate(state: State, endpoint: str) -> Response | None:
    """The whole endpoint's injected behaviour: an HTTP error, a fault or a delay before the answer. Every
    injected failure is logged too, so a test can count the caller's attempts."""
    control: EndpointControl = getattr(state, endpoint)
    if control.fail_next > 0 or control.mode == "failing":
        control.fail_next = max(0, control.fail_next - 1)
        state.requests.append({"endpoint": endpoint, "injected": control.status})
        return Response("Service Unavailable", status_code=control.status, media_type="text/plain")
    if control.mode == "fault":
        state.requests.append({"endpoint": endpoint, "injected": "fault"})
        return Response(fault("Server", "Internt fel i tjänsten."), status_code=500, media_type=CONTENT_TYPE)
    if control.mode == "slow" and control.delay_ms:
        await asyncio.sleep(control.delay_ms / 1000)  # the simulated service's latency
    return None


def _client_fault(message: str) -> Response:
    return Response(fault("Client", message), status_code=500, media_type=CONTENT_TYPE)


def create_app(*, today: dt.date | None = None) -> FastAPI:
    app = FastAPI(title="Registers simulator (SSBTEK- and Navet-shaped)", version="0.1.0")
    install_problem_handlers(app)
    state = State(today=today or dt.date.today())
    state.reset()
    app.state.registers = state

    @app.get("/livez")
    async def livez() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/ssbtek/v1")
    async def ssbtek(request: Request) -> Response:
        gate = await _endpoint_gate(state, "ssbtek")
        if gate is not None:
            return gate
        try:
            order = _ssbtek_order(parse_body(await request.body()))
        except BadRequest as e:
            return _client_fault(str(e))
        state.requests.append({"endpoint": "ssbtek", "organisation_number": order.organisation,
                               "requested_by": order.requested_by, "personal_number": order.personal_number,
                               "case_id": order.case_id, "period_from": order.period_from,
                               "period_to": order.period_to, "purpose": order.purpose,
                               "legal_basis": order.legal_basis,
                               "sources": [k.name.lower() for k in order.sources],
                               "max_wait_ms": order.max_wait_ms})
        return Response(await _ssbtek_answer(state, order), media_type=CONTENT_TYPE)

    @app.post("/navet/v1")
    async def navet(request: Request) -> Response:
        gate = await _endpoint_gate(state, "navet")
        if gate is not None:
            return gate
        try:
            org, requester, purpose, numbers = _navet_numbers(parse_body(await request.body()))
        except BadRequest as e:
            return _client_fault(str(e))
        state.requests.append({"endpoint": "navet", "organisation_number": org, "requested_by": requester,
                               "purpose": purpose, "personal_numbers": numbers})
        return Response(_navet_answer(state, numbers), media_type=CONTENT_TYPE)

    # Control: JSON, for tests and demos only (reachable only with a client certificate under `make run`).
    @app.post("/control/people")
    async def put_person(person: Person) -> dict[str, bool]:
        replaced = person.personal_number in state.people
        state.people[person.personal_number] = person
        return {"replaced": replaced}

    @app.post("/control/sources/{source}")
    async def control_source(source: Annotated[str, Path(max_length=40)], control: SourceControl) -> SourceControl:
        kalla = SOURCE_NAMES.get(source)
        if kalla is None:
            raise Problem(404, "unknown-source", "Unknown source", "One of: " + ", ".join(SOURCE_NAMES))
        state.sources[kalla] = control
        return control

    @app.post("/control/ssbtek")
    async def control_ssbtek(control: EndpointControl) -> EndpointControl:
        state.ssbtek = control
        return control

    @app.post("/control/navet")
    async def control_navet(control: NavetControl) -> NavetControl:
        state.navet = control
        return control

    @app.get("/control/requests")
    async def requests() -> list[dict[str, Any]]:
        return list(state.requests)

    @app.post("/control/reset", status_code=204)
    async def reset(control: ResetControl | None = None) -> None:
        state.reset((control or ResetControl()).people)

    return app
