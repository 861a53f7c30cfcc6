"""How the adapters read answers, without a server: a section they cannot read fully is that section's error
(never a partial list that reads as the whole truth), a protected person never carries an address, and no input
makes either parser raise anything but its own failures."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.registers import Purpose, SectionStatus, Source
from services.registers.integration import navet, ssbtek
from services.registers.integration.soap import CallFailed, SoapFault, parse_answer
from services.registers.integration.sources import IncomeOrder
from simulators.registers import soap as sim_soap

ANNA = "198903149808"
ORDER = IncomeOrder(requested_by="karin", personal_number=ANNA, case_id=None, period="2026-10",
                    purpose=Purpose.CASE_HANDLING, legal_basis="SoL", sources=tuple(Source))


def wrap(inner: str) -> bytes:
    return (f'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>{inner}'
            f'</soap:Body></soap:Envelope>').encode()


def ssbtek_answer(sections: str, pnr: str = ANNA) -> dict:
    raw = wrap(f'<s:HamtaUppgifterSvar xmlns:s="{ssbtek.NS}"><s:Personnummer>{pnr}</s:Personnummer>{sections}'
               f'</s:HamtaUppgifterSvar>')
    return ssbtek._read(parse_answer(raw), ORDER, list(Source))


def pay(benefit: str, amount: str, period: str = "2026-10") -> str:
    return (f"<s:Utbetalning><s:Forman>{benefit}</s:Forman><s:Period>{period}</s:Period>"
            f"<s:Belopp>{amount}</s:Belopp></s:Utbetalning>")


@pytest.mark.parametrize(("section", "code"), [
    (f"<s:Forsakringskassan>{pay('bostadsbidrag', '1850')}{pay('lotteri', '100')}</s:Forsakringskassan>",
     "unknown_benefit"),
    (f"<s:Forsakringskassan>{pay('bostadsbidrag', '12.5')}</s:Forsakringskassan>", "malformed_answer"),
    (f"<s:Forsakringskassan>{pay('bostadsbidrag', '-100')}</s:Forsakringskassan>", "malformed_answer"),
    (f"<s:Forsakringskassan>{pay('bostadsbidrag', '100', '2026-13')}</s:Forsakringskassan>", "malformed_answer"),
    ("<s:Forsakringskassan/><s:Forsakringskassan/>", "malformed_answer"),
    ("<s:Forsakringskassan><s:Fel><s:Felkod>NYTT_FEL</s:Felkod></s:Fel></s:Forsakringskassan>", "source_error"),
])
def test_a_section_read_in_part_is_an_error_not_data(section, code):
    sections = ssbtek_answer(section + "<s:CSN/>")
    fk = sections[Source.FORSAKRINGSKASSAN]
    assert (fk.status, fk.error, fk.payments) == (SectionStatus.ERROR, code, [])
    assert sections[Source.CSN].status is SectionStatus.OK
    assert sections[Source.AKASSA].error == "no_answer"


def test_arbetsformedlingen_without_a_status_we_know_is_malformed():
    sections = ssbtek_answer("<s:Arbetsformedlingen><s:Inskrivning><s:Status>kanske</s:Status></s:Inskrivning>"
                             "</s:Arbetsformedlingen>")
    assert sections[Source.ARBETSFORMEDLINGEN].error == "malformed_answer"


def test_an_answer_about_someone_else_is_not_used():
    with pytest.raises(CallFailed) as raised:
        ssbtek_answer("<s:CSN/>", pnr="199107229800")
    assert raised.value.code == "malformed_answer"


def navet_answer(people: str, asked: list[str]) -> dict:
    raw = wrap(f'<n:HamtaPersonerSvar xmlns:n="{navet.NS}">{people}</n:HamtaPersonerSvar>')
    return navet.NavetRegister._read(parse_answer(raw), asked)


def test_a_protected_person_never_carries_an_address_even_if_the_register_sends_one():
    records = navet_answer(
        f"<n:Person><n:Personnummer>{ANNA}</n:Personnummer><n:Hittad>true</n:Hittad><n:Skyddad>true</n:Skyddad>"
        "<n:Folkbokforingsadress><n:Utdelningsadress>Gatan 1</n:Utdelningsadress><n:Postnummer>11122"
        "</n:Postnummer><n:Postort>Ort</n:Postort></n:Folkbokforingsadress>"
        "<n:Boende><n:Personnummer>199107229800</n:Personnummer></n:Boende></n:Person>", [ANNA])
    assert records[ANNA].protected and records[ANNA].address is None and records[ANNA].residents == []


@pytest.mark.parametrize("people", [
    "",  # the asked person left out
    f"<n:Person><n:Personnummer>{ANNA}</n:Personnummer><n:Hittad>true</n:Hittad></n:Person>",  # no Skyddad
    f"<n:Person><n:Personnummer>{ANNA}</n:Personnummer><n:Hittad>ja</n:Hittad></n:Person>",
])
def test_a_navet_answer_that_does_not_say_whether_someone_is_protected_is_refused(people):
    with pytest.raises(CallFailed) as raised:
        navet_answer(people, [ANNA])
    assert raised.value.code == "malformed_answer"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400).map(lambda t: wrap(t)),
                 st.text(max_size=200).map(lambda t: b"<!DOCTYPE x [" + t.encode() + b"]>" + wrap(""))))
def test_no_input_makes_the_parsers_raise_anything_else(raw):
    with contextlib.suppress(CallFailed, SoapFault):
        parse_answer(raw)
    with contextlib.suppress(sim_soap.BadRequest):
        sim_soap.parse_body(raw)
