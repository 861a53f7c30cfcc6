"""The REAL registers service for the tests of the services that ask it (applications, meetings, messaging).

``registers_standin(issuer)`` (the name stays: other tests import it) serves the registers app on a fresh database
over HTTP in a thread, in front of the registers simulator (simulators/registers) served over HTTPS with mutual TLS,
reached through the real SOAP adapters. Nothing of the registers is faked: the knobs below are translated into the
simulator's control calls.

- ``set_person(pnr, protected=, name=, address=, residents=, payments=, taxed_incomes=, registration=, vehicles=,
  permits=)``: what the registers know about someone (anyone not set is unknown: the simulator starts empty here).
  ``name`` is split at its first space into first and last name; no name is "Test Testsson".
- ``fail(source, status)``: that source answers with its own error (``error``: KALLFEL → error/source_error) or as
  unavailable (``unavailable``: TEKNISKT_FEL → unavailable/source_unavailable).
- ``navet_down = True``: the population register answers HTTP 503 → population and protection are 503.
- ``reset()``: nobody known, every source normal, Navet up, ``requests`` emptied.
- ``requests``: (path, request body as the contract model dumps it) of every request the registers service took
  (not those refused for their token), recorded by a small ASGI wrapper around its app. A batch (POST
  /internal/lookups/batch) is recorded as the look-ups it carries, each under its own route's path.

The protection cache is off (0 seconds), so a changed marking is seen at once; the circuit breakers practically so
(a failure threshold no test reaches), so ``navet_down = False`` is seen at once too. Start it once per module.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import ssl
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from contracts import protection as protection_contract
from contracts import registers as contract
from devstack import certs
from kit import migrations
from kit.db import create_database, drop_database
from kit.settings import database_url_for
from services.registers.app import create_app
from services.registers.settings import RegistersSettings
from simulators.registers.app import create_app as create_simulator
from tests.support import serve_in_thread, server_url, verifier_for


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


_AF_STATUS = {contract.RegistrationStatus.REGISTERED: "inskriven",
              contract.RegistrationStatus.NOT_REGISTERED: "ej_inskriven",
              contract.RegistrationStatus.DEREGISTERED: "avaktualiserad"}
_SOURCE_MODE = {contract.SectionStatus.UNAVAILABLE: "failing", contract.SectionStatus.ERROR: "error"}


_SOMEWHERE = contract.Address(street="Testgatan 1", postal_code="111 22", city="Teststad")


def simulator_person(personal_number: str, person: Person) -> dict[str, Any]:
    """The simulator's control body for what a test says the registers know."""
    first, _, last = (person.name or "Test Testsson").partition(" ")
    body: dict[str, Any] = {
        "personal_number": personal_number, "first_name": first, "last_name": last or "-",
        "protected": person.protected,
        # Everyone registered has an address in Navet; a test that names none gets this one (residents as given).
        "address": (person.address or _SOMEWHERE).model_dump(mode="json"),
        "residents": list(person.residents),
        "payments": [p.model_dump(mode="json") for p in person.payments],
        "taxed_incomes": [t.model_dump(mode="json") for t in person.taxed_incomes],
        "vehicles": [v.model_dump(mode="json") for v in person.vehicles],
        "permits": [p.model_dump(mode="json") for p in person.permits],
    }
    if person.registration is not None:
        r = person.registration
        body["af"] = {"status": _AF_STATUS[r.status], "programme": r.programme,
                      "since": r.since.isoformat() if r.since else None,
                      "activity_reports": [a.model_dump(mode="json") for a in r.activity_reports]}
    return body


_MODELS: dict[str, type[BaseModel]] = {contract.LOOKUP_PATH: contract.LookupRequest,
                                       contract.POPULATION_PATH: contract.PopulationQuery,
                                       protection_contract.PATH: protection_contract.ProtectionQuery,
                                       contract.LOOKUPS_BATCH_PATH: contract.LookupBatch}

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class RecordRequests:
    """ASGI: the registers app, with every body posted to its service routes kept as (path, body)."""

    def __init__(self, app: Any, log: list[tuple[str, dict[str, Any]]]) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        model = _MODELS.get(scope.get("path", "")) if scope["type"] == "http" else None
        if model is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False
        status = 0

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def watch(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, replay, watch)
        if status not in (401, 403):
            received = _as_received(model, body)
            if model is contract.LookupBatch and "unparsed" not in received:
                self.log.extend((contract.LOOKUP_PATH, part) for part in received.get("lookups") or [])
                if received.get("population"):
                    self.log.append((contract.POPULATION_PATH, received["population"]))
            else:
                self.log.append((scope["path"], received))


def _as_received(model: type[BaseModel], body: bytes) -> dict[str, Any]:
    try:
        raw = json.loads(body or b"null")
    except ValueError:
        return {"unparsed": body.decode(errors="replace")}
    try:
        return model.model_validate(raw).model_dump(mode="json")
    except ValidationError:
        return raw if isinstance(raw, dict) else {"unparsed": raw}


class Control:
    """The simulator's control endpoints, over its mutual TLS."""

    def __init__(self, url: str, cert_set: certs.CertSet) -> None:
        context = ssl.create_default_context(cafile=cert_set.ca)
        context.load_cert_chain(cert_set.client_cert, cert_set.client_key)
        self.client = httpx.Client(base_url=url, verify=context, timeout=10.0)

    def post(self, path: str, body: dict[str, Any]) -> None:
        response = self.client.post(path, json=body)
        if response.status_code >= 300:
            raise AssertionError(f"simulator control {path}: {response.status_code} {response.text}")

    def close(self) -> None:
        self.client.close()


class RegistersStandIn:
    """The knobs of the registers the tests of other services need (see the module's docstring)."""

    def __init__(self, control: Control) -> None:
        self._control = control
        self.people: dict[str, Person] = {}
        self.failing: dict[contract.Source, contract.SectionStatus] = {}
        self._navet_down = False
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.url = ""

    def set_person(self, personal_number: str, **facts: Any) -> Person:
        person = Person(**facts)
        self._control.post("/control/people", simulator_person(personal_number, person))
        self.people[personal_number] = person
        return person

    def fail(self, source: contract.Source, status: contract.SectionStatus = contract.SectionStatus.UNAVAILABLE
             ) -> None:
        source = contract.Source(source)
        status = contract.SectionStatus(status)
        mode = _SOURCE_MODE.get(status)
        if mode is None:
            raise ValueError("fail() takes SectionStatus.UNAVAILABLE or SectionStatus.ERROR")
        self._control.post(f"/control/sources/{source.value}", {"mode": mode})
        self.failing[source] = status

    @property
    def navet_down(self) -> bool:
        return self._navet_down

    @navet_down.setter
    def navet_down(self, down: bool) -> None:
        self._control.post("/control/navet", {"mode": "failing", "status": 503} if down else {"mode": "normal"})
        self._navet_down = down

    def reset(self) -> None:
        self._control.post("/control/reset", {"people": "none"})
        self.people.clear()
        self.failing.clear()
        self._navet_down = False
        self.requests.clear()


_certs: certs.CertSet | None = None


def _cert_set() -> certs.CertSet:
    """One CA and certificate pair per test process (EC keys: quick, but no need to make them per module)."""
    global _certs
    if _certs is None:
        _certs = certs.ensure(Path(tempfile.mkdtemp(prefix="registers-certs-")))
    return _certs


def _in_own_loop(work: Awaitable[Any]) -> Any:
    # The caller may be inside a running loop (an async fixture): the database work runs on a loop of its own.
    async def run() -> Any:
        return await work

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


@contextlib.contextmanager
def _database() -> Iterator[str]:
    """A fresh registers database, migrated (what tests.support.fresh_database does, for a sync caller)."""
    name = f"t_registers_{uuid.uuid4().hex[:10]}"
    server = server_url()
    _in_own_loop(create_database(server, name))
    url = database_url_for(server, name)
    try:
        _in_own_loop(migrations.upgrade_async("registers", url))
        yield url
    finally:
        _in_own_loop(drop_database(server, name))


@contextlib.contextmanager
def registers_standin(issuer: Any) -> Iterator[RegistersStandIn]:
    """The registers service, served on a free port: ``.url`` is its base URL."""
    cert_set = _cert_set()
    with serve_in_thread(create_simulator(), ssl_certfile=cert_set.server_cert, ssl_keyfile=cert_set.server_key,
                         ssl_ca_certs=cert_set.ca, ssl_cert_reqs=ssl.CERT_REQUIRED) as simulator_url, \
            _database() as db_url:
        control = Control(simulator_url, cert_set)
        try:
            state = RegistersStandIn(control)
            state.reset()
            settings = RegistersSettings(
                database_url=db_url, housekeeping_enabled=False,
                ssbtek_url=f"{simulator_url}/ssbtek/v1", navet_url=f"{simulator_url}/navet/v1",
                ca_file=cert_set.ca, client_cert=cert_set.client_cert, client_key=cert_set.client_key,
                timeout_seconds=5.0, retries=0, breaker_failures=1_000_000, protection_cache_seconds=0)
            app = RecordRequests(create_app(settings, verifier=verifier_for(issuer)), state.requests)
            with serve_in_thread(app) as url:
                state.url = url
                yield state
        finally:
            control.close()
