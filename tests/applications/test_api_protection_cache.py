"""The registers' answer about protected identity is reused for up to a minute (settings.protection_cache_seconds):
a client who starts, signs and submits in one go is asked about once. Within the minute a changed marking or an
unavailable register is not seen; after it, the next check asks again and fails closed (503) when the register
cannot answer. The minute is measured by an injected clock (no sleeps)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from pydantic import ValidationError

from contracts.protection import PATH
from services.applications.integration.registers import Registers, RegistersUnavailable
from simulators.idp.personas import Persona
from tests.applications.conftest import ServiceTokens, make_app, settings_for, single
from tests.applications.test_domain_factories import pnr_for
from tests.conftest import register_down
from tests.support import app_client

pytestmark = pytest.mark.asyncio

PROBLEM = "urn:bistand:problem:"
# People of this module only (the registers' state lives as long as the test process).
QUICK = pnr_for(dt.date(1964, 4, 14))  # starts, signs and submits within the minute
SLOW = pnr_for(dt.date(1965, 5, 15))  # submits after the minute, when the register has marked her
DOWN = pnr_for(dt.date(1966, 6, 16))  # submits after the minute while the register is unavailable
DIRECT = pnr_for(dt.date(1967, 7, 17))  # asked through the integration alone
NAME = "Skyddad Sjöberg"


class Seconds:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module", autouse=True)
def people(registers):
    for pnr in (QUICK, SLOW, DOWN, DIRECT):
        registers.set_person(pnr, name="Öppen Person")


@pytest.fixture(scope="module")
def seconds() -> Seconds:
    return Seconds()


@pytest.fixture(scope="module")
async def cached(db_url, issuer, registers, seconds):
    """The app with answers reused for 60 s on the stepping clock."""
    async with app_client(make_app(db_url, issuer, registers=registers, protection_cache_seconds=60,
                                   protection_clock=seconds)) as c:
        yield c


def login(issuer, pnr: str) -> dict[str, str]:
    persona = Persona(key=f"p{pnr}", name="Testperson", roles=("client",), personal_number=pnr)
    return {"Authorization": f"Bearer {issuer.persona_token(persona)}"}


def asked_about(registers, since: int, pnr: str) -> int:
    return sum(1 for path, body in registers.requests[since:] if path == PATH and pnr in body["personal_numbers"])


async def draft(client, headers: dict[str, str], pnr: str, period: str) -> str:
    made = await client.post("/applications", json=single(pnr, period), headers=headers)
    assert made.status_code == 201, made.text
    case_id = made.json()["id"]
    assert (await client.post(f"/applications/{case_id}/signatures", headers=headers)).status_code == 201
    return case_id  # type: ignore[no-any-return]


async def test_start_sign_and_submit_within_the_minute_ask_once(cached, issuer, registers, seconds):
    before = len(registers.requests)
    headers = login(issuer, QUICK)
    case_id = await draft(cached, headers, QUICK, "2026-04")
    seconds.now += 59
    done = await cached.post(f"/applications/{case_id}/submit", headers=headers)
    assert done.status_code == 200, done.text
    assert asked_about(registers, before, QUICK) == 1


async def test_after_the_minute_a_marking_counts_at_submit(cached, issuer, as_persona, registers, seconds):
    headers = login(issuer, SLOW)
    case_id = await draft(cached, headers, SLOW, "2026-04")
    registers.set_person(SLOW, protected=True, name=NAME)
    seconds.now += 60
    before = len(registers.requests)
    done = await cached.post(f"/applications/{case_id}/submit", headers=headers)
    assert done.status_code == 200, done.text
    assert asked_about(registers, before, SLOW) == 1
    refused = await cached.get(f"/applications/{case_id}", headers=as_persona("karin"))  # not cleared
    assert refused.status_code == 404
    assert SLOW not in refused.text and SLOW[2:] not in refused.text and NAME not in refused.text
    seen = await cached.get(f"/applications/{case_id}", headers=as_persona("maja"))  # cleared
    assert seen.status_code == 200 and seen.json()["protected_identity"] is True


async def test_after_the_minute_an_unavailable_register_still_refuses(cached, issuer, registers, seconds):
    headers = login(issuer, DOWN)
    case_id = await draft(cached, headers, DOWN, "2026-04")
    seconds.now += 61
    with register_down(registers):
        refused = await cached.post(f"/applications/{case_id}/submit", headers=headers)
        assert refused.status_code == 503 and refused.json()["type"] == PROBLEM + "protection-check-unavailable"
        assert DOWN not in refused.text
    mine = await cached.get(f"/applications/{case_id}", headers=headers)
    assert mine.status_code == 200 and mine.json()["status"] == "draft"  # nothing was written
    done = await cached.post(f"/applications/{case_id}/submit", headers=headers)
    assert done.status_code == 200, done.text


async def test_the_integration_reuses_answers_only_within_the_ttl(registers, issuer):
    seconds = Seconds()
    async with httpx.AsyncClient(base_url=registers.url,
                                 headers={"Authorization": f"Bearer {await ServiceTokens(issuer).token()}"}) as http:
        reg = Registers(http, ttl_seconds=30, clock=seconds)
        assert await reg.protected_among([DIRECT]) == frozenset()
        registers.set_person(DIRECT, protected=True, name=NAME)
        with register_down(registers):
            seconds.now += 29.9
            assert await reg.protected_among([DIRECT]) == frozenset()  # the answer of 29.9 s ago
            seconds.now += 0.1
            with pytest.raises(RegistersUnavailable):  # no answer younger than the TTL: fail closed
                await reg.protected_among([DIRECT])
        assert await reg.protected_among([DIRECT]) == frozenset({DIRECT})
        # "Protected" is reused as well (it can only keep a case protected), and a failure caches nothing.
        registers.set_person(DIRECT, name="Öppen Person")
        seconds.now += 10
        assert await reg.protected_among([DIRECT]) == frozenset({DIRECT})
        seconds.now += 20
        assert await reg.protected_among([DIRECT]) == frozenset()

        never = Registers(http, ttl_seconds=0, clock=seconds)  # 0: every question is asked
        assert await never.protected_among([DIRECT]) == frozenset()
        with register_down(registers), pytest.raises(RegistersUnavailable):
            await never.protected_among([DIRECT])


async def test_the_setting_allows_at_most_a_minute(db_url):
    with pytest.raises(ValidationError):
        settings_for(db_url, protection_cache_seconds=61)
    assert settings_for(db_url, protection_cache_seconds=60).protection_cache_seconds == 60
