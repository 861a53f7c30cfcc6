"""The whole system as separate processes, wired as `make run` wires it."""

from __future__ import annotations

import httpx
import pytest

from devstack.stack import SERVICES, url
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
