"""The whole system as separate processes, wired as `make run` wires it."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import httpx
import pytest

from devstack.stack import SERVICES, Stack, free_ports, url
from tests.e2e.conftest import running_stack

pytestmark = pytest.mark.xdist_group("e2e")


@pytest.fixture(scope="module")
def stack():
    with running_stack("e2e") as running:
        yield running


@pytest.fixture(scope="module")
def token(stack):
    idp = url(stack.ports.idp)
    return lambda persona: httpx.get(f"{idp}/dev/token", params={"persona": persona}).text


def test_every_service_is_reached_through_the_gateway(stack, token):
    gateway = url(stack.ports.gateway)
    headers = {"Authorization": f"Bearer {token('karin')}"}
    for service in SERVICES:
        live = httpx.get(f"{gateway}/api/{service}/livez", headers=headers)
        assert live.status_code == 200, (service, live.text)
        who = httpx.get(f"{gateway}/api/{service}/whoami", headers=headers)
        assert who.json() == {"sub": "persona:karin", "roles": ["caseworker"], "unit": "nord"}
    ready = httpx.get(f"{gateway}/readyz").json()
    assert ready == {"status": "ready", "services": dict.fromkeys(SERVICES, "ready")}


def test_a_stopped_service_is_502_and_comes_back(stack, token):
    gateway = url(stack.ports.gateway)
    headers = {"Authorization": f"Bearer {token('anna')}"}
    stack.stop_one("meetings")
    down = httpx.get(f"{gateway}/api/meetings/livez", headers=headers)
    assert down.status_code == 502
    assert down.json()["type"] == "urn:bistand:problem:upstream-unavailable"
    assert httpx.get(f"{gateway}/readyz").status_code == 503
    stack.start_one("meetings")
    stack.wait_ready()
    assert httpx.get(f"{gateway}/api/meetings/livez", headers=headers).status_code == 200


def test_merged_openapi_covers_all_services(stack):
    document = httpx.get(f"{url(stack.ports.gateway)}/openapi.json").json()
    for service in SERVICES:
        assert f"/api/{service}/whoami" in document["paths"]


def test_free_ports_are_all_different():
    chosen = free_ports(200)
    assert len(set(chosen)) == 200


def test_a_service_port_answered_by_another_service_stops_the_start(stack):
    """Two processes of one stack on one port: the one that lost the bind exits after its start-up, while the other
    answers /readyz for both. Its migration heads tell them apart, and the start stops there, not at a later 404."""
    ports = dataclasses.replace(stack.ports, applications=stack.ports.calculation)
    waiting = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    other = Stack(stack.database_urls, ports, processes={"applications": waiting})
    try:
        with pytest.raises(RuntimeError, match="applications: .* is answered by another process"):
            other.wait_ready(30)
    finally:
        waiting.kill()
        waiting.wait()


def test_a_taken_port_stops_the_start_by_name(stack):
    """The stack binds each port itself and hands the socket to uvicorn: a port someone else holds fails at once."""
    ports = dataclasses.replace(stack.ports, idp=stack.ports.gateway)  # the running gateway holds it
    other = Stack(stack.database_urls, ports)
    with pytest.raises(RuntimeError, match=f"idp: port {stack.ports.gateway} is taken"):
        other.start(only=("idp",))
    assert other.processes == {}
