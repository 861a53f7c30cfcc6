"""The SSBTEK-shaped income look-up: one SOAP request per person and month, one section per asked source.

Each source has its own circuit breaker (a source that keeps failing is not asked until its reset time has
passed; its section says ``circuit_open``), and so has the endpoint as a whole. Whatever goes wrong ends in a
section's status and a stable code, never in an exception and never in an empty list that reads as "nothing
paid".
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from lxml import etree
from pydantic import ValidationError

from contracts.registers import (
    ActivityReport,
    Benefit,
    Payment,
    Permit,
    Registration,
    RegistrationStatus,
    Section,
    SectionStatus,
    Source,
    TaxedIncome,
    Vehicle,
)
from services.registers.integration.breaker import CircuitBreaker, Clock
from services.registers.integration.soap import CallFailed, Http, SoapFault, SoapRegister, sub, text
from services.registers.integration.sources import Connection, IncomeOrder

log = logging.getLogger(__name__)

NS = "urn:bistand:ssbtek:v1"
ACTION = f"{NS}#HamtaUppgifter"
PROCESS_PREFIX = "process:"

# The section's element name on the wire for each source.
ELEMENT: dict[Source, str] = {
    Source.FORSAKRINGSKASSAN: "Forsakringskassan",
    Source.PENSIONSMYNDIGHETEN: "Pensionsmyndigheten",
    Source.SKATTEVERKET: "Skatteverket",
    Source.CSN: "CSN",
    Source.ARBETSFORMEDLINGEN: "Arbetsformedlingen",
    Source.AKASSA: "Akassa",
    Source.TRANSPORTSTYRELSEN: "Transportstyrelsen",
    Source.MIGRATIONSVERKET: "Migrationsverket",
}
PAYING: frozenset[Source] = frozenset({Source.FORSAKRINGSKASSAN, Source.PENSIONSMYNDIGHETEN, Source.CSN,
                                       Source.AKASSA})

# A section's own error (Felkod) as our status and stable code. Unknown codes are the source's error.
FELKOD: dict[str, tuple[SectionStatus, str]] = {
    "KALLFEL": (SectionStatus.ERROR, "source_error"),
    "TEKNISKT_FEL": (SectionStatus.UNAVAILABLE, "source_unavailable"),
    "TIDSGRANS": (SectionStatus.UNAVAILABLE, "timeout"),
}
AF_STATUS = {"inskriven": RegistrationStatus.REGISTERED, "ej_inskriven": RegistrationStatus.NOT_REGISTERED,
             "avaktualiserad": RegistrationStatus.DEREGISTERED}
# Of our whole time-out, the share we let the register wait for a slow source before it answers without it.
SOURCE_WAIT_SHARE = 0.75


class UnreadableSection(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _failed(source: Source, status: SectionStatus, code: str) -> Section:
    return Section(source=source, status=status, error=code)


def _request(order: IncomeOrder, sources: list[Source], org_number: str, max_wait_ms: int) -> etree._Element:
    root = etree.Element(f"{{{NS}}}HamtaUppgifter", nsmap={"ssb": NS})
    f = sub(root, NS, "Forfragan")
    sub(f, NS, "Organisationsnummer", org_number)
    if order.requested_by.startswith(PROCESS_PREFIX):
        sub(f, NS, "Process", order.requested_by.removeprefix(PROCESS_PREFIX))
    else:
        sub(f, NS, "Handlaggare", order.requested_by)
    sub(f, NS, "Personnummer", order.personal_number)
    if order.case_id:
        sub(f, NS, "Arendeid", order.case_id)
    period = sub(f, NS, "Period")
    sub(period, NS, "From", order.period)
    sub(period, NS, "Tom", order.period)
    sub(f, NS, "Andamal", order.purpose.value)
    sub(f, NS, "Rattsligtstod", order.legal_basis)
    kallor = sub(f, NS, "Kallor")
    for source in sources:
        sub(kallor, NS, "Kalla", ELEMENT[source])
    sub(f, NS, "MaxSvarstidMs", max_wait_ms)
    return root


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _section(source: Source, element: etree._Element) -> Section:
    """One answered section as the contract's Section (raises UnreadableSection, ValueError, ValidationError)."""
    fel = element.find(f"{{{NS}}}Fel")
    if fel is not None:
        status, code = FELKOD.get(text(fel, NS, "Felkod") or "", (SectionStatus.ERROR, "source_error"))
        return _failed(source, status, code)
    if element.get("fullstandig") == "false":
        # Part of the source's data is missing: the lists would not be the whole truth for the month.
        return _failed(source, SectionStatus.ERROR, "partial_answer")
    section = Section(source=source, status=SectionStatus.OK)
    if source in PAYING:
        for u in element.findall(f"{{{NS}}}Utbetalning"):
            try:
                benefit = Benefit(text(u, NS, "Forman") or "")
            except ValueError:
                raise UnreadableSection("unknown_benefit") from None  # income we cannot name is not dropped
            section.payments.append(Payment(benefit=benefit, period=text(u, NS, "Period") or "",
                                            amount=int(text(u, NS, "Belopp") or "")))
    elif source is Source.SKATTEVERKET:
        for t in element.findall(f"{{{NS}}}Taxering"):
            section.taxed_incomes.append(TaxedIncome(year=int(text(t, NS, "Inkomstar") or ""),
                                                     amount=int(text(t, NS, "Belopp") or "")))
    elif source is Source.ARBETSFORMEDLINGEN:
        reg = element.find(f"{{{NS}}}Inskrivning")
        if reg is None:
            raise UnreadableSection("malformed_answer")
        status = AF_STATUS.get(text(reg, NS, "Status") or "")
        if status is None:
            raise UnreadableSection("malformed_answer")
        reports = [ActivityReport(period=text(r, NS, "Period") or "", submitted=text(r, NS, "Inlamnad") == "true")
                   for r in reg.iterfind(f"{{{NS}}}Aktivitetsrapporter/{{{NS}}}Aktivitetsrapport")]
        section.registration = Registration(status=status, programme=text(reg, NS, "Program"),
                                            since=_date(text(reg, NS, "InskrivenFran")), activity_reports=reports)
    elif source is Source.TRANSPORTSTYRELSEN:
        for v in element.findall(f"{{{NS}}}Fordon"):
            section.vehicles.append(Vehicle(registration=text(v, NS, "Registreringsnummer") or "",
                                            kind=text(v, NS, "Fordonsslag") or "okänt",
                                            owned_since=_date(text(v, NS, "AgareSedan"))))
    elif source is Source.MIGRATIONSVERKET:
        for p in element.findall(f"{{{NS}}}Tillstand"):
            section.permits.append(Permit(kind=text(p, NS, "Tillstandstyp") or "okänt",
                                          valid_until=_date(text(p, NS, "GiltigtTom"))))
    return section


def _read(answer: etree._Element, order: IncomeOrder, asked: list[Source]) -> dict[Source, Section]:
    if answer.tag != f"{{{NS}}}HamtaUppgifterSvar" or text(answer, NS, "Personnummer") != order.personal_number:
        raise CallFailed("malformed_answer")
    out: dict[Source, Section] = {}
    for source in asked:
        found = answer.findall(f"{{{NS}}}{ELEMENT[source]}")
        if not found:
            out[source] = _failed(source, SectionStatus.UNAVAILABLE, "no_answer")
            continue
        if len(found) > 1:
            out[source] = _failed(source, SectionStatus.ERROR, "malformed_answer")
            continue
        try:
            out[source] = _section(source, found[0])
        except UnreadableSection as e:
            out[source] = _failed(source, SectionStatus.ERROR, e.code)
        except (ValueError, ValidationError):
            out[source] = _failed(source, SectionStatus.ERROR, "malformed_answer")
    return out


class SsbtekRegisters(SoapRegister):
    """IncomeRegisters over the SSBTEK-shaped SOAP service."""

    def __init__(self, connection: Connection, *, http: Http | None = None,
                 clock: Clock = time.monotonic) -> None:
        super().__init__(connection, connection.ssbtek_url, http)
        self.endpoint = CircuitBreaker(connection.breaker_failures, connection.breaker_reset_seconds, clock)
        self.breakers = {s: CircuitBreaker(connection.breaker_failures, connection.breaker_reset_seconds, clock)
                         for s in Source}

    async def fetch(self, order: IncomeOrder) -> list[Section]:
        asked = list(dict.fromkeys(order.sources))
        if not asked:
            return []
        if not self.endpoint.allow():
            return [_failed(s, SectionStatus.UNAVAILABLE, "circuit_open") for s in order.sources]
        sections: dict[Source, Section] = {}
        to_ask = []
        for source in asked:
            if self.breakers[source].allow():
                to_ask.append(source)
            else:
                sections[source] = _failed(source, SectionStatus.UNAVAILABLE, "circuit_open")
        if not to_ask:
            self.endpoint.release()
            return [sections[s] for s in order.sources]
        max_wait_ms = max(1, int(self.connection.timeout_seconds * 1000 * SOURCE_WAIT_SHARE))
        verdict = False
        try:
            answer = await self.soap.call(_request(order, to_ask, self.connection.org_number, max_wait_ms), ACTION)
            answered = _read(answer, order, to_ask)
        except CallFailed as e:
            log.warning("ssbtek: no answer (%s)", e.code)
            self.endpoint.failure()
            sections.update({s: _failed(s, SectionStatus.UNAVAILABLE, e.code) for s in to_ask})
        except SoapFault as e:
            # A Client fault is our request's fault: the register is up. A Server fault counts against it.
            if e.fault_code == "Client":
                self.endpoint.success()
                code = "request_rejected"
            else:
                self.endpoint.failure()
                code = "register_fault"
            log.warning("ssbtek: SOAP fault %s", e.fault_code)
            sections.update({s: _failed(s, SectionStatus.ERROR, code) for s in to_ask})
        else:
            self.endpoint.success()
            for source in to_ask:
                section = answered[source]
                if section.status is SectionStatus.OK:
                    self.breakers[source].success()
                else:
                    log.info("ssbtek: %s answered %s (%s)", source.value, section.status.value, section.error)
                    self.breakers[source].failure()
                sections[source] = section
            verdict = True
        finally:
            if not verdict:  # the endpoint failed, or we were cancelled: no word on any one source
                for source in to_ask:
                    self.breakers[source].release()
                self.endpoint.release()
        return [sections[s] for s in order.sources]  # one per asked source, in the asked order
