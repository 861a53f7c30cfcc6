"""The SSBTEK adapter against the simulator over HTTPS with mutual TLS: every source's data, each source failing in
turn, a partial answer, retries on 503 and never on a fault, and the circuit breakers (a clock moved by hand)."""

from __future__ import annotations

import datetime as dt

import pytest

from contracts.registers import (
    ActivityReport,
    Benefit,
    Payment,
    Permit,
    Purpose,
    RegistrationStatus,
    SectionStatus,
    Source,
    TaxedIncome,
    Vehicle,
)
from services.registers.integration.sources import IncomeOrder
from tests.registers.conftest import ORG_NUMBER, TODAY

ANNA, BERTIL, CECILIA, DANA = "198903149808", "199107229800", "197501029800", "198209309809"
ERIK, FARAH, GUSTAV, HILDA, IDA = "196804119805", "198706059808", "199502179808", "195208239805", "200103129805"
ALL = tuple(Source)


def order(pnr: str, period: str = "2026-10", sources: tuple[Source, ...] = ALL, **kw: object) -> IncomeOrder:
    fields = {"requested_by": "karin", "personal_number": pnr, "case_id": "6f1c0e7a-2d1b-4f7e-9a51-0c2d3e4f5a6b",
              "period": period, "purpose": Purpose.CASE_HANDLING,
              "legal_basis": "SoL (2025:400) 11 kap. och SFS 2008:975", "sources": sources, **kw}
    return IncomeOrder(**fields)  # type: ignore[arg-type]


def by_source(sections):
    return {s.source: s for s in sections}


async def test_every_source_answers_and_is_read(adapters, control):
    income = adapters().income
    anna = by_source(await income.fetch(order(ANNA)))
    assert [s.status for s in anna.values()] == [SectionStatus.OK] * len(ALL)
    assert anna[Source.FORSAKRINGSKASSAN].payments == [Payment(benefit=Benefit.BOSTADSBIDRAG, period="2026-10",
                                                               amount=1850)]
    assert anna[Source.SKATTEVERKET].taxed_incomes == [TaxedIncome(year=2025, amount=96_400)]
    registration = anna[Source.ARBETSFORMEDLINGEN].registration
    assert registration is not None and registration.status is RegistrationStatus.REGISTERED
    assert registration.programme == "Jobb- och utvecklingsgarantin"
    assert registration.activity_reports == [ActivityReport(period="2026-10", submitted=True)]
    # Nothing known is an answer too: an ok section with empty lists (the person has no vehicle).
    assert anna[Source.TRANSPORTSTYRELSEN].vehicles == [] and anna[Source.CSN].payments == []

    cecilia = by_source(await income.fetch(order(CECILIA, sources=(Source.FORSAKRINGSKASSAN,))))
    assert {(p.benefit, p.amount) for p in cecilia[Source.FORSAKRINGSKASSAN].payments} == {
        (Benefit.SJUKERSATTNING, 11_240), (Benefit.UNDERHALLSSTOD, 1_673), (Benefit.BOSTADSBIDRAG, 2_100)}
    bertil = by_source(await income.fetch(order(BERTIL, sources=(Source.FORSAKRINGSKASSAN,))))
    assert bertil[Source.FORSAKRINGSKASSAN].payments[0].benefit is Benefit.SJUKPENNING
    dana = by_source(await income.fetch(order(DANA, sources=(Source.FORSAKRINGSKASSAN,))))
    assert dana[Source.FORSAKRINGSKASSAN].payments[0].benefit is Benefit.FORALDRAPENNING

    hilda = by_source(await income.fetch(order(HILDA, sources=(Source.PENSIONSMYNDIGHETEN,))))
    assert hilda[Source.PENSIONSMYNDIGHETEN].payments == [Payment(benefit=Benefit.PENSION, period="2026-10",
                                                                  amount=12_870)]
    ida = by_source(await income.fetch(order(IDA, sources=(Source.CSN,))))
    assert ida[Source.CSN].payments == [Payment(benefit=Benefit.STUDIEMEDEL, period="2026-10", amount=3_496)]

    erik = by_source(await income.fetch(order(ERIK, sources=(Source.AKASSA, Source.TRANSPORTSTYRELSEN))))
    assert erik[Source.AKASSA].payments == [Payment(benefit=Benefit.ARBETSLOSHETSERSATTNING, period="2026-10",
                                                    amount=14_300)]
    assert erik[Source.TRANSPORTSTYRELSEN].vehicles == [
        Vehicle(registration="ABC123", kind="personbil", owned_since=dt.date(2019, 5, 2)),
        Vehicle(registration="XYZ98K", kind="motorcykel", owned_since=dt.date(2023, 6, 14))]

    farah = by_source(await income.fetch(order(FARAH, sources=(Source.FORSAKRINGSKASSAN, Source.MIGRATIONSVERKET))))
    assert farah[Source.FORSAKRINGSKASSAN].payments[0].benefit is Benefit.ETABLERINGSERSATTNING
    assert farah[Source.MIGRATIONSVERKET].permits == [
        Permit(kind="Tidsbegränsat uppehållstillstånd", valid_until=TODAY + dt.timedelta(days=45))]

    gustav = by_source(await income.fetch(order(GUSTAV, sources=(Source.ARBETSFORMEDLINGEN,
                                                                 Source.FORSAKRINGSKASSAN))))
    af = gustav[Source.ARBETSFORMEDLINGEN].registration
    assert af is not None and af.programme == "Arbetsmarknadsutbildning"
    assert af.activity_reports == [ActivityReport(period="2026-10", submitted=False)]
    # His aktivitetsstöd stopped with the missed reports: none paid for October.
    assert gustav[Source.FORSAKRINGSKASSAN].payments == []
    august = by_source(await income.fetch(order(GUSTAV, period="2026-08", sources=(Source.FORSAKRINGSKASSAN,))))
    assert august[Source.FORSAKRINGSKASSAN].payments == [Payment(benefit=Benefit.AKTIVITETSSTOD,
                                                                 period="2026-08", amount=5_720)]


async def test_the_request_carries_who_why_and_for_which_case(adapters, control):
    income = adapters().income
    await income.fetch(order(ANNA, sources=(Source.CSN, Source.FORSAKRINGSKASSAN)))
    await income.fetch(order(ANNA, requested_by="process:decision_proposal", case_id=None,
                             purpose=Purpose.DECISION_PROPOSAL, sources=(Source.CSN,)))
    first, second = control.requests("ssbtek")
    assert first == {"endpoint": "ssbtek", "organisation_number": ORG_NUMBER, "requested_by": "handlaggare:karin",
                     "personal_number": ANNA, "case_id": "6f1c0e7a-2d1b-4f7e-9a51-0c2d3e4f5a6b",
                     "period_from": "2026-10", "period_to": "2026-10", "purpose": "case_handling",
                     "legal_basis": "SoL (2025:400) 11 kap. och SFS 2008:975",
                     "sources": ["csn", "forsakringskassan"], "max_wait_ms": 2250}
    assert second["requested_by"] == "process:decision_proposal" and second["case_id"] is None
    assert second["purpose"] == "decision_proposal"


async def test_sections_come_back_in_the_asked_order(adapters, control):
    asked = (Source.MIGRATIONSVERKET, Source.CSN, Source.FORSAKRINGSKASSAN)
    sections = await adapters().income.fetch(order(ANNA, sources=asked))
    assert tuple(s.source for s in sections) == asked


FAILURES = {
    "error": (SectionStatus.ERROR, "source_error"),
    "failing": (SectionStatus.UNAVAILABLE, "source_unavailable"),
    "missing": (SectionStatus.UNAVAILABLE, "no_answer"),
    "partial": (SectionStatus.ERROR, "partial_answer"),
    "slow": (SectionStatus.UNAVAILABLE, "timeout"),  # 5 s, where we wait 0.2 s (the register 150 ms of it)
}


@pytest.mark.parametrize("source", ALL, ids=[s.value for s in ALL])
@pytest.mark.parametrize("mode", FAILURES)
async def test_each_source_failing_in_turn_is_its_own_section(adapters, control, source, mode):
    control.source(source.value, mode, delay_ms=5000 if mode == "slow" else 0)
    income = adapters(timeout_seconds=0.2 if mode == "slow" else 3.0).income
    sections = by_source(await income.fetch(order(CECILIA)))
    status, code = FAILURES[mode]
    failed = sections.pop(source)
    # No data from a failed source: nothing that could read as "nothing paid".
    assert (failed.status, failed.error) == (status, code)
    assert failed.payments == [] and failed.registration is None and failed.taxed_incomes == []
    assert all(s.status is SectionStatus.OK and s.error is None for s in sections.values())


async def test_a_slow_source_times_out_on_its_own_and_the_rest_answer(adapters, control):
    # Our time-out is 0.2 s; the register is told to wait at most 150 ms for a source, and the slow source
    # would take 5 s. The simulator answers at 150 ms with that source's time-out.
    control.source("skatteverket", "slow", delay_ms=5000)
    control.source("csn", "slow", delay_ms=20)
    sections = by_source(await adapters(timeout_seconds=0.2).income.fetch(order(IDA)))
    assert (sections[Source.SKATTEVERKET].status, sections[Source.SKATTEVERKET].error) == (
        SectionStatus.UNAVAILABLE, "timeout")
    assert sections[Source.CSN].status is SectionStatus.OK and sections[Source.CSN].payments
    assert control.requests("ssbtek")[0]["max_wait_ms"] == 150


async def test_a_slow_endpoint_times_out_every_section(adapters, control):
    control.ssbtek(mode="slow", delay_ms=1500)
    sections = await adapters(timeout_seconds=0.1).income.fetch(order(ANNA, sources=(Source.CSN, Source.AKASSA)))
    assert [(s.status, s.error) for s in sections] == [(SectionStatus.UNAVAILABLE, "timeout")] * 2


async def test_a_partial_answer_keeps_what_answered(adapters, control):
    control.source("forsakringskassan", "missing")
    control.source("arbetsformedlingen", "error")
    sections = by_source(await adapters().income.fetch(order(ANNA)))
    assert sections[Source.FORSAKRINGSKASSAN].error == "no_answer"
    assert sections[Source.ARBETSFORMEDLINGEN].error == "source_error"
    assert sections[Source.SKATTEVERKET].taxed_incomes == [TaxedIncome(year=2025, amount=96_400)]
    assert sum(s.status is SectionStatus.OK for s in sections.values()) == len(ALL) - 2


async def test_503_is_retried_until_it_answers(adapters, control):
    control.ssbtek(fail_next=2, status=503)
    sections = await adapters(retries=2).income.fetch(order(ANNA, sources=(Source.FORSAKRINGSKASSAN,)))
    assert sections[0].status is SectionStatus.OK and sections[0].payments
    assert [r.get("injected") for r in control.requests("ssbtek")] == [503, 503, None]


@pytest.mark.parametrize("status", [502, 504])
async def test_gateway_errors_past_the_retries_leave_every_section_unavailable(adapters, control, status):
    control.ssbtek(fail_next=3, status=status)
    sections = await adapters(retries=2).income.fetch(order(ANNA, sources=(Source.CSN, Source.AKASSA)))
    assert [(s.status, s.error) for s in sections] == [(SectionStatus.UNAVAILABLE, "service_unavailable")] * 2
    assert len(control.requests("ssbtek")) == 3


async def test_a_soap_fault_is_not_retried(adapters, control):
    control.ssbtek(mode="fault")
    sections = await adapters(retries=3).income.fetch(order(ANNA, sources=(Source.CSN,)))
    assert (sections[0].status, sections[0].error) == (SectionStatus.ERROR, "register_fault")
    assert len(control.requests("ssbtek")) == 1


async def test_a_500_without_a_fault_is_not_retried_either(adapters, control):
    control.ssbtek(mode="failing", status=500)
    sections = await adapters(retries=3).income.fetch(order(ANNA, sources=(Source.CSN,)))
    assert (sections[0].status, sections[0].error) == (SectionStatus.UNAVAILABLE, "http_error")
    assert len(control.requests("ssbtek")) == 1


async def test_a_source_breaker_opens_after_repeated_failures_and_recovers(adapters, control):
    built = adapters(breaker_failures=3, breaker_reset_seconds=30)
    control.source("csn", "failing")
    asked = (Source.CSN, Source.FORSAKRINGSKASSAN)
    for _ in range(3):
        sections = by_source(await built.income.fetch(order(IDA, sources=asked)))
        assert sections[Source.CSN].error == "source_unavailable"
    # Open: CSN is no longer asked, the others still are.
    sections = by_source(await built.income.fetch(order(IDA, sources=asked)))
    assert (sections[Source.CSN].status, sections[Source.CSN].error) == (SectionStatus.UNAVAILABLE, "circuit_open")
    assert sections[Source.FORSAKRINGSKASSAN].status is SectionStatus.OK
    assert control.requests("ssbtek")[-1]["sources"] == ["forsakringskassan"]

    control.source("csn", "normal")
    built.clock.advance(29)
    assert by_source(await built.income.fetch(order(IDA, sources=asked)))[Source.CSN].error == "circuit_open"
    # After the reset time one trial goes out; it fails, so the circuit opens again at once.
    control.source("csn", "error")
    built.clock.advance(1)
    assert by_source(await built.income.fetch(order(IDA, sources=asked)))[Source.CSN].error == "source_error"
    assert by_source(await built.income.fetch(order(IDA, sources=asked)))[Source.CSN].error == "circuit_open"
    # The next trial succeeds and closes it.
    control.source("csn", "normal")
    built.clock.advance(30)
    for _ in range(2):
        csn = by_source(await built.income.fetch(order(IDA, sources=asked)))[Source.CSN]
        assert csn.status is SectionStatus.OK and csn.payments[0].amount == 3_496
    assert control.requests("ssbtek")[-1]["sources"] == ["csn", "forsakringskassan"]


async def test_the_endpoint_breaker_stops_calling_a_register_that_is_down(adapters, control):
    built = adapters(breaker_failures=2, breaker_reset_seconds=10, retries=0)
    control.ssbtek(mode="failing", status=503)
    for _ in range(2):
        sections = await built.income.fetch(order(ANNA, sources=(Source.CSN,)))
        assert sections[0].error == "service_unavailable"
    sections = await built.income.fetch(order(ANNA, sources=(Source.CSN, Source.AKASSA)))
    assert [(s.status, s.error) for s in sections] == [(SectionStatus.UNAVAILABLE, "circuit_open")] * 2
    assert len(control.requests("ssbtek")) == 2  # the third look-up never left
    control.ssbtek(mode="normal")
    built.clock.advance(10)
    sections = await built.income.fetch(order(ANNA, sources=(Source.CSN,)))
    assert sections[0].status is SectionStatus.OK


async def test_an_unreachable_register_is_unavailable_not_an_exception(adapters, control):
    built = adapters(ssbtek_url="https://127.0.0.1:9/ssbtek/v1", retries=1)
    sections = await built.income.fetch(order(ANNA, sources=(Source.CSN,)))
    assert (sections[0].status, sections[0].error) == (SectionStatus.UNAVAILABLE, "unreachable")


async def test_a_person_added_through_control_is_answered(adapters, control):
    pnr = "197909309804"
    assert control.person(personal_number=pnr, first_name="Jonas", last_name="Jansson",
                          payments=[{"benefit": "sjukpenning", "period": "2026-10", "amount": 8_000}],
                          vehicles=[{"registration": "JNS001"}]) == {"replaced": False}
    sections = by_source(await adapters().income.fetch(order(pnr, sources=(Source.FORSAKRINGSKASSAN,
                                                                           Source.TRANSPORTSTYRELSEN))))
    assert sections[Source.FORSAKRINGSKASSAN].payments == [Payment(benefit=Benefit.SJUKPENNING, period="2026-10",
                                                                   amount=8_000)]
    assert [v.registration for v in sections[Source.TRANSPORTSTYRELSEN].vehicles] == ["JNS001"]
