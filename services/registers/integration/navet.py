"""The Navet-shaped population look-up: name, address, who else is registered there, protected identity.

Silence is never read as "not protected": any failure raises RegisterUnavailable with a stable code, and a
protected person's record never carries an address or co-residents, whatever the register sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from lxml import etree
from pydantic import ValidationError

from contracts.registers import MAX_PEOPLE, Address, PopulationRecord, Purpose
from services.registers.integration.breaker import CircuitBreaker, Clock
from services.registers.integration.soap import CallFailed, Http, SoapFault, SoapRegister, sub, text
from services.registers.integration.sources import Connection, RegisterUnavailable

log = logging.getLogger(__name__)

NS = "urn:bistand:navet:v1"
ACTION = f"{NS}#HamtaPersoner"
PROCESS_PREFIX = "process:"
BOOLEAN = {"true": True, "false": False}


def _request(numbers: Sequence[str], requested_by: str, purpose: Purpose, org_number: str) -> etree._Element:
    root = etree.Element(f"{{{NS}}}HamtaPersoner", nsmap={"nav": NS})
    orderer = sub(root, NS, "Bestallare")
    sub(orderer, NS, "Organisationsnummer", org_number)
    if requested_by.startswith(PROCESS_PREFIX):
        sub(orderer, NS, "Process", requested_by.removeprefix(PROCESS_PREFIX))
    else:
        sub(orderer, NS, "Handlaggare", requested_by)
    sub(orderer, NS, "Andamal", purpose.value)
    for number in numbers:
        sub(root, NS, "Personnummer", number)
    return root


def _flag(element: etree._Element, tag: str) -> bool:
    value = BOOLEAN.get(text(element, NS, tag) or "")
    if value is None:
        raise ValueError(tag)
    return value


def _record(person: etree._Element) -> PopulationRecord:
    number = text(person, NS, "Personnummer") or ""
    if not _flag(person, "Hittad"):
        return PopulationRecord(personal_number=number, found=False)
    protected = _flag(person, "Skyddad")
    namn = person.find(f"{{{NS}}}Namn")
    name = " ".join(p for p in (text(namn, NS, "Fornamn"), text(namn, NS, "Efternamn")) if p) \
        if namn is not None else None
    if protected:
        return PopulationRecord(personal_number=number, found=True, protected=True, name=name or None)
    adress = person.find(f"{{{NS}}}Folkbokforingsadress")
    address = Address(street=text(adress, NS, "Utdelningsadress") or "",
                      postal_code=text(adress, NS, "Postnummer") or "",
                      city=text(adress, NS, "Postort") or "") if adress is not None else None
    residents = [e.text.strip() for e in person.iterfind(f"{{{NS}}}Boende/{{{NS}}}Personnummer")
                 if e.text and e.text.strip()]
    return PopulationRecord(personal_number=number, found=True, protected=False, name=name or None,
                            address=address, residents=residents)


class NavetRegister(SoapRegister):
    """PopulationRegister over the Navet-shaped SOAP service."""

    def __init__(self, connection: Connection, *, http: Http | None = None,
                 clock: Clock = time.monotonic) -> None:
        super().__init__(connection, connection.navet_url, http)
        self.breaker = CircuitBreaker(connection.breaker_failures, connection.breaker_reset_seconds, clock)

    async def people(self, personal_numbers: Sequence[str], *, requested_by: str,
                     purpose: Purpose) -> list[PopulationRecord]:
        if not personal_numbers:
            return []
        found: dict[str, PopulationRecord] = {}
        unique = list(dict.fromkeys(personal_numbers))
        for start in range(0, len(unique), MAX_PEOPLE):
            found.update(await self._batch(unique[start:start + MAX_PEOPLE], requested_by, purpose))
        return [found[n] for n in personal_numbers]

    async def _batch(self, numbers: list[str], requested_by: str, purpose: Purpose) -> dict[str, PopulationRecord]:
        if not self.breaker.allow():
            raise RegisterUnavailable("circuit_open")
        verdict = False
        try:
            answer = await self.soap.call(_request(numbers, requested_by, purpose, self.connection.org_number),
                                          ACTION)
            records = self._read(answer, numbers)
        except CallFailed as e:
            log.warning("navet: no answer (%s)", e.code)
            self.breaker.failure()
            verdict = True
            raise RegisterUnavailable(e.code) from None
        except SoapFault as e:
            if e.fault_code == "Client":
                self.breaker.success()
                code = "request_rejected"
            else:
                self.breaker.failure()
                code = "register_fault"
            log.warning("navet: SOAP fault %s", e.fault_code)
            verdict = True
            raise RegisterUnavailable(code) from None
        finally:
            if not verdict:
                self.breaker.release()
        self.breaker.success()
        return records

    @staticmethod
    def _read(answer: etree._Element, numbers: list[str]) -> dict[str, PopulationRecord]:
        if answer.tag != f"{{{NS}}}HamtaPersonerSvar":
            raise CallFailed("malformed_answer")
        records: dict[str, PopulationRecord] = {}
        try:
            for person in answer.findall(f"{{{NS}}}Person"):
                record = _record(person)
                records[record.personal_number] = record
        except (ValueError, ValidationError):
            raise CallFailed("malformed_answer") from None
        if any(n not in records for n in numbers):
            raise CallFailed("malformed_answer")  # a person left out is not a person "not found"
        return records
