"""Registers test helpers.

The service: the app on a fresh database with its real adapters talking to the simulator below (HTTPS, mutual
TLS), a stepping clock, service tokens and request builders. ``registers`` (a Control on a simulator that knows
nobody) is what the service tests drive: ``set_person``, ``fail``, ``down``, ``quirk``, ``asked``.

The adapters: against the real simulator: HTTPS with mutual TLS, in a thread, one per test worker.

``simulator`` serves simulators.registers over HTTPS and requires a client certificate from the test CA;
``control`` drives its JSON control endpoints (with that certificate); every test starts from a reset simulator.
``adapters(**overrides)`` builds the real SSBTEK and Navet adapters on a Connection to it, with a clock the test
moves by hand (the circuit breakers' reset time) and retries without back-off.

"""

from __future__ import annotations

import contextlib
import datetime as dt
import ssl
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from contracts import registers as c
from devstack import certs
from kit.db import async_url
from services.registers.app import create_app
from services.registers.integration.navet import NavetRegister
from services.registers.integration.sources import Connection
from services.registers.integration.ssbtek import SsbtekRegisters
from services.registers.settings import RegistersSettings
from simulators.idp.personas import PERSONAS, Persona
from simulators.registers.app import create_app as create_simulator
from tests.registers_standin import Person as RegisterPerson
from tests.registers_standin import simulator_person
from tests.support import app_client, fresh_database, serve_in_thread, verifier_for

ANNA = PERSONAS["anna"].personal_number
BERTIL = PERSONAS["bertil"].personal_number
CECILIA = PERSONAS["cecilia"].personal_number
DANA = PERSONAS["dana"].personal_number
KARIN = PERSONAS["karin"].sub
T0 = dt.datetime(2026, 3, 16, 8, 0, tzinfo=dt.UTC)
CASE_NORD = uuid.UUID("11111111-1111-4111-8111-111111111111")
CASE_SYD = uuid.UUID("22222222-2222-4222-8222-222222222222")
# A team lead of another unit than Tove's (no such demo persona): her token is made by the test issuer.
TURE = Persona("ture", "Ture Tegnér", ("team_lead",), unit="syd", description="Team lead of unit Syd (tests).")


class Clock:
    def __init__(self, start: dt.datetime = T0) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def make_app(db_url: str, issuer: Any, simulator: Simulator | None = None, clock: Clock | None = None,
             **overrides: Any) -> Any:
    """The registers app; with ``simulator`` its adapters (made at start-up from the settings) talk to it."""
    wiring = simulator_settings(simulator) if simulator is not None else {}
    settings = RegistersSettings(database_url=db_url, housekeeping_enabled=False, **{**wiring, **overrides})
    return create_app(settings, clock=clock or Clock(), verifier=verifier_for(issuer))


def simulator_settings(simulator: Simulator) -> dict[str, Any]:
    # No retries (a failure is seen at once); the breakers as in production unless a test says otherwise.
    return {"ssbtek_url": simulator.ssbtek_url, "navet_url": simulator.navet_url, "org_number": ORG_NUMBER,
            "ca_file": simulator.certs.ca, "client_cert": simulator.certs.client_cert,
            "client_key": simulator.certs.client_key, "timeout_seconds": 3.0, "retries": 0}


@contextlib.asynccontextmanager
async def running(issuer: Any, registers: Control, **overrides: Any) -> AsyncIterator[tuple[Any, Control, Clock, str]]:
    """(client, the simulator's control, clock, database URL) of an app on its own fresh database, its adapters
    talking to the simulator (which is reset to know nobody first)."""
    registers.reset(people="none")
    clock = Clock()
    async with fresh_database("registers") as url, \
            app_client(make_app(url, issuer, registers.simulator, clock, **overrides)) as client:
        yield client, registers, clock, url


@pytest.fixture(scope="session")
def service_headers(issuer):
    def headers(client_id: str = "applications") -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.service_token(client_id, 'bistand:registers')}"}
    return headers


@pytest.fixture(scope="session")
def headers_of(issuer, as_persona, service_headers):
    """Authorization for a persona, "ture", "service" (applications), "meetings", "messaging", "anon"."""
    def headers(who: str) -> dict[str, str]:
        if who == "anon":
            return {}
        if who == "ture":
            return {"Authorization": f"Bearer {issuer.persona_token(TURE)}"}
        if who == "service":
            return service_headers("applications")
        if who in ("meetings", "messaging", "payments", "calculation"):
            return service_headers(who)
        return as_persona(who)
    return headers


def income(pnr: str = ANNA, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"personal_number": pnr, "case_id": str(CASE_NORD), "period": "2026-02",
                            "purpose": "decision_proposal", "legal_basis": "SoL (2025:400) 11 kap.",
                            "process": "applications:decision_proposal", "unit": "nord"}
    body.update(over)
    return body


def population(*pnrs: str, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"personal_numbers": list(pnrs), "purpose": "case_handling",
                            "case_id": str(CASE_NORD), "process": "applications:household"}
    body.update(over)
    return body


async def rows(url: str, sql: str = "SELECT * FROM lookups ORDER BY made_at, id",
               **params: Any) -> list[Any]:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())
    finally:
        await engine.dispose()


TODAY = dt.date(2026, 11, 15)  # the simulator's people have incomes for 2026-05 … 2026-10
ORG_NUMBER = "2120002411"


class StepClock:
    """The breakers' clock: time moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Simulator:
    url: str
    certs: certs.CertSet

    @property
    def ssbtek_url(self) -> str:
        return f"{self.url}/ssbtek/v1"

    @property
    def navet_url(self) -> str:
        return f"{self.url}/navet/v1"


@pytest.fixture(scope="session")
def test_certs(tmp_path_factory: pytest.TempPathFactory) -> certs.CertSet:
    return certs.ensure(tmp_path_factory.mktemp("certs") / "ours")


@pytest.fixture(scope="session")
def other_certs(tmp_path_factory: pytest.TempPathFactory) -> certs.CertSet:
    """A second, unrelated CA with its own server and client certificates."""
    return certs.ensure(tmp_path_factory.mktemp("certs") / "theirs", org="Elsewhere")


@pytest.fixture(scope="session")
def simulator(test_certs: certs.CertSet) -> Iterator[Simulator]:
    with serve_in_thread(create_simulator(today=TODAY), ssl_certfile=test_certs.server_cert,
                         ssl_keyfile=test_certs.server_key, ssl_ca_certs=test_certs.ca,
                         ssl_cert_reqs=ssl.CERT_REQUIRED) as url:
        yield Simulator(url, test_certs)


@pytest.fixture(scope="session")
def control_client(simulator: Simulator) -> Iterator[httpx.Client]:
    context = ssl.create_default_context(cafile=simulator.certs.ca)
    context.load_cert_chain(simulator.certs.client_cert, simulator.certs.client_key)
    with httpx.Client(base_url=simulator.url, verify=context, timeout=5.0) as client:
        yield client


class Control:
    def __init__(self, client: httpx.Client, simulator: Simulator) -> None:
        self.client = client
        self.simulator = simulator

    def _post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        response = self.client.post(path, json=body)
        assert response.status_code < 300, response.text
        return response

    def source(self, source: str, mode: str, delay_ms: int = 0) -> None:
        self._post(f"/control/sources/{source}", {"mode": mode, "delay_ms": delay_ms})

    def ssbtek(self, **body: Any) -> None:
        self._post("/control/ssbtek", body)

    def navet(self, **body: Any) -> None:
        self._post("/control/navet", body)

    def person(self, **body: Any) -> dict[str, Any]:
        return self._post("/control/people", body).json()

    def requests(self, endpoint: str | None = None) -> list[dict[str, Any]]:
        rows = self.client.get("/control/requests").json()
        return [r for r in rows if endpoint is None or r["endpoint"] == endpoint]

    def asked(self, endpoint: str) -> list[dict[str, Any]]:
        """The requests the endpoint answered (injected failures left out)."""
        return [r for r in self.requests(endpoint) if "injected" not in r]

    def reset(self, people: str = "seed") -> None:
        self._post("/control/reset", {"people": people})

    # What the service tests say in the registers contract's words.
    def set_person(self, personal_number: str, **facts: Any) -> None:
        self.person(**simulator_person(personal_number, RegisterPerson(**facts)))

    def fail(self, source: c.Source, status: c.SectionStatus = c.SectionStatus.UNAVAILABLE) -> None:
        self.source(source.value, "failing" if status is c.SectionStatus.UNAVAILABLE else "error")

    def down(self, endpoint: str = "navet", down: bool = True) -> None:
        """The whole endpoint answers HTTP 503 (or is up again)."""
        self._post(f"/control/{endpoint}", {"mode": "failing", "status": 503} if down else {"mode": "normal"})

    def quirk(self, quirk: str) -> None:
        """Navet misbehaves: leak_protected_address, someone_else (see the simulator's NavetControl)."""
        self.navet(quirk=quirk)


@pytest.fixture(scope="session")
def session_control(control_client: httpx.Client, simulator: Simulator) -> Control:
    """For module-scoped fixtures: not reset (``running`` resets it)."""
    return Control(control_client, simulator)


@pytest.fixture
def control(session_control: Control) -> Control:
    session_control.reset()
    return session_control


@pytest.fixture
def registers(session_control: Control) -> Control:
    """The simulator knowing nobody, for the service tests (``running`` resets it the same way)."""
    session_control.reset(people="none")
    return session_control


def connection_to(simulator: Simulator, **overrides: Any) -> Connection:
    base = Connection(ssbtek_url=simulator.ssbtek_url, navet_url=simulator.navet_url, org_number=ORG_NUMBER,
                      ca_file=simulator.certs.ca, client_cert=simulator.certs.client_cert,
                      client_key=simulator.certs.client_key, timeout_seconds=3.0, retries=2,
                      retry_backoff_seconds=0.0, breaker_failures=3, breaker_reset_seconds=30.0)
    return replace(base, **overrides)


@dataclass
class Adapters:
    income: SsbtekRegisters
    population: NavetRegister
    clock: StepClock


@pytest.fixture
async def adapters(simulator: Simulator, control: Control):
    made: list[Adapters] = []

    def make(**overrides: Any) -> Adapters:
        clock = StepClock()
        connection = connection_to(simulator, **overrides)
        built = Adapters(SsbtekRegisters(connection, clock=clock), NavetRegister(connection, clock=clock), clock)
        made.append(built)
        return built

    yield make
    for built in made:
        await built.income.aclose()
        await built.population.aclose()
