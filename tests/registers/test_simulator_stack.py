"""`make run`'s wiring of the registers simulator: its own process over HTTPS with mutual TLS, and the REGISTERS_*
variables the registers service gets are enough for the real adapters to reach it."""

from __future__ import annotations

import ssl

import httpx
import pytest

from contracts.registers import Purpose, SectionStatus, Source
from devstack.stack import SERVICES, Ports, Stack, free_ports
from services.registers.integration.build import build_sources
from services.registers.integration.sources import Connection, IncomeOrder

pytestmark = pytest.mark.xdist_group("e2e")


@pytest.fixture(scope="module")
def stack():
    ports = Ports(*free_ports(len(Ports.__dataclass_fields__)))
    running = Stack(dict.fromkeys(SERVICES, "postgresql+asyncpg://unused/unused"), ports)
    try:
        running.start_one("registers-sim")
        running.wait_ready(30)
        yield running
    finally:
        running.stop()


async def test_the_registers_service_env_reaches_the_simulator_over_mutual_tls(stack):
    env = stack.env()
    connection = Connection(ssbtek_url=env["REGISTERS_SSBTEK_URL"], navet_url=env["REGISTERS_NAVET_URL"],
                            org_number=env["REGISTERS_ORG_NUMBER"], ca_file=env["REGISTERS_CA_FILE"],
                            client_cert=env["REGISTERS_CLIENT_CERT"], client_key=env["REGISTERS_CLIENT_KEY"])
    assert connection.ssbtek_url.startswith("https://")
    sources = build_sources(connection)
    try:
        (anna,) = await sources.population.people(["198903149808"], requested_by="process:check",
                                                  purpose=Purpose.PROTECTION_CHECK)
        assert anna.residents == ["199107229800"]
        sections = await sources.income.fetch(IncomeOrder(
            requested_by="karin", personal_number="198903149808", case_id=None, period="2026-01",
            purpose=Purpose.CASE_HANDLING, legal_basis="SoL", sources=(Source.SKATTEVERKET,)))
        assert sections[0].status is SectionStatus.OK
    finally:
        await sources.aclose()


def test_without_our_client_certificate_the_simulator_does_not_answer(stack):
    env = stack.env()
    with httpx.Client(verify=ssl.create_default_context(cafile=env["REGISTERS_CA_FILE"])) as client, \
            pytest.raises(httpx.TransportError):
        client.get(f"https://127.0.0.1:{stack.ports.registers_sim}/livez")
