"""The Navet adapter against the simulator over HTTPS with mutual TLS: names, addresses, co-residents, protected
identity, and a register that does not answer (never read as "not protected")."""

from __future__ import annotations

import pytest

from contracts.registers import Address, Purpose
from services.registers.integration.sources import RegisterUnavailable

ANNA, BERTIL, CECILIA, DANA = "198903149808", "199107229800", "197501029800", "198209309809"
UNKNOWN = "197909309804"


async def ask(population, *numbers: str):
    return await population.people(list(numbers), requested_by="process:protection_check",
                                   purpose=Purpose.PROTECTION_CHECK)


async def test_a_couple_see_each_other_as_residents(adapters, control):
    anna, bertil = await ask(adapters().population, ANNA, BERTIL)
    assert anna.found and not anna.protected and anna.name == "Anna Andersson"
    assert anna.address == Address(street="Storgatan 12 lgh 1102", postal_code="852 30", city="Sundsvall")
    assert anna.residents == [BERTIL] and bertil.residents == [ANNA]
    assert bertil.address == anna.address


async def test_a_protected_person_has_no_address_and_no_residents(adapters, control):
    (dana,) = await ask(adapters().population, DANA)
    assert dana.found and dana.protected and dana.address is None and dana.residents == []
    # Nor does anyone registered at her address learn of her: a protected co-resident is never listed.
    control.person(personal_number=UNKNOWN, first_name="Jonas", last_name="Jansson",
                   address={"street": "Skyddad adress 1", "postal_code": "851 00", "city": "Sundsvall"})
    (jonas,) = await ask(adapters().population, UNKNOWN)
    assert jonas.address is not None and jonas.residents == []


async def test_order_duplicates_and_people_the_register_does_not_know(adapters, control):
    records = await ask(adapters().population, CECILIA, UNKNOWN, CECILIA)
    assert [r.personal_number for r in records] == [CECILIA, UNKNOWN, CECILIA]
    assert records[1].found is False and records[1].address is None and records[1].name is None
    assert records[0].residents == []
    assert control.requests("navet")[-1]["personal_numbers"] == [CECILIA, UNKNOWN]
    assert control.requests("navet")[-1]["requested_by"] == "process:protection_check"


async def test_a_caseworker_asking_is_named_as_such(adapters, control):
    await adapters().population.people([ANNA], requested_by="karin", purpose=Purpose.CASE_HANDLING)
    assert control.requests("navet")[-1]["requested_by"] == "handlaggare:karin"


@pytest.mark.parametrize(("setting", "code"), [
    ({"mode": "failing", "status": 503}, "service_unavailable"),
    ({"mode": "fault"}, "register_fault"),
    ({"mode": "failing", "status": 500}, "http_error"),
])
async def test_navet_down_raises_register_unavailable(adapters, control, setting, code):
    control.navet(**setting)
    with pytest.raises(RegisterUnavailable) as raised:
        await ask(adapters().population, DANA)
    assert raised.value.code == code


async def test_navet_slow_times_out(adapters, control):
    control.navet(mode="slow", delay_ms=1500)
    with pytest.raises(RegisterUnavailable) as raised:
        await ask(adapters(timeout_seconds=0.1).population, ANNA)
    assert raised.value.code == "timeout"


async def test_navet_retries_503_then_answers(adapters, control):
    control.navet(fail_next=2)
    (anna,) = await ask(adapters(retries=2).population, ANNA)
    assert anna.residents == [BERTIL]
    assert [r.get("injected") for r in control.requests("navet")] == [503, 503, None]


async def test_navet_breaker_opens_and_recovers(adapters, control):
    built = adapters(breaker_failures=2, breaker_reset_seconds=5, retries=0)
    control.navet(mode="failing")
    for _ in range(2):
        with pytest.raises(RegisterUnavailable):
            await ask(built.population, ANNA)
    with pytest.raises(RegisterUnavailable) as raised:
        await ask(built.population, ANNA)
    assert raised.value.code == "circuit_open"
    assert len(control.requests("navet")) == 2
    control.navet(mode="normal")
    built.clock.advance(5)
    (anna,) = await ask(built.population, ANNA)
    assert anna.found
