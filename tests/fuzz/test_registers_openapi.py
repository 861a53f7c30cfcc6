"""The registers service's OpenAPI, fuzzed (see harness.py), its real adapters in front of the registers simulator
(HTTPS, mutual TLS); the internal routes and the staff audit also as the callers they are for."""

from __future__ import annotations

import ssl

import pytest

from devstack import certs
from simulators.registers.app import create_app as create_simulator
from tests.fuzz import harness
from tests.registers.conftest import TODAY, Simulator, make_app
from tests.support import fresh_database, make_issuer, serve_in_thread, token_for

DOCUMENT = make_app("postgresql+asyncpg://fuzz@localhost/collect", make_issuer()).openapi()
KNOWN: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("registers") as url:
        yield url


@pytest.fixture(scope="module")
def simulator(tmp_path_factory):
    cert_set = certs.ensure(tmp_path_factory.mktemp("certs"))
    with serve_in_thread(create_simulator(today=TODAY), ssl_certfile=cert_set.server_cert,
                         ssl_keyfile=cert_set.server_key, ssl_ca_certs=cert_set.ca,
                         ssl_cert_reqs=ssl.CERT_REQUIRED) as url:
        yield Simulator(url, cert_set)


@pytest.fixture(scope="module")
def schema(db_url, issuer, simulator):
    yield from harness.served_schema(make_app(db_url, issuer, simulator))


@pytest.mark.parametrize(("method", "path"), harness.params(DOCUMENT, KNOWN))
def test_operation(schema, issuer, method, path):
    harness.fuzz(schema, issuer, method, path)


OWN_CALLERS = [(m, p) for m, p in harness.operations(DOCUMENT) if p.startswith(("/internal/", "/lookups"))]


@pytest.mark.parametrize(("method", "path"), OWN_CALLERS, ids=[f"{m} {p}" for m, p in OWN_CALLERS])
def test_operation_as_its_own_callers(schema, issuer, method, path):
    """Past the access check: a service token of applications on the internal routes, an admin on the audit."""
    token = (issuer.service_token("applications", "bistand:registers") if path.startswith("/internal/")
             else token_for(issuer, "adam"))
    harness.fuzz(schema, issuer, method, path, extra_headers=lambda _: {"Authorization": f"Bearer {token}"})
