"""Two replicas of every service, as `BISTAND_REPLICAS=2 make run` starts them: the gateway takes turns between
them, both work on the same database, and a client's month goes through as with one."""

from __future__ import annotations

import re

import httpx
import pytest

from devstack.stack import SERVICES, url
from tests.e2e.conftest import running_stack, this_month

pytestmark = pytest.mark.xdist_group("e2e")


def _requests_seen(port: int) -> int:
    """Requests a replica answered on the API's routes (its Prometheus counter, health checks left out)."""
    text = httpx.get(f"{url(port)}/metrics", timeout=5).text
    return sum(int(float(n)) for route, n in re.findall(r'_requests_total\{[^}]*route="([^"]+)"[^}]*\} (\S+)', text)
               if route not in ("/livez", "/readyz", "/metrics"))


def test_the_gateway_takes_turns_and_the_month_goes_through():
    with running_stack("replicas", replicas=2) as stack:
        idp = url(stack.ports.idp)

        def h(persona: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {httpx.get(f'{idp}/dev/token', params={'persona': persona}).text}"}

        with httpx.Client(base_url=f"{url(stack.ports.gateway)}/api", timeout=20) as api:
            ready = httpx.get(f"{url(stack.ports.gateway)}/readyz").json()
            assert ready["services"] == dict.fromkeys(SERVICES, "ready")
            content = {"kind": "first", "period": this_month(),
                       "household": {"applicant": {"personal_number": "197501029800", "name": "Cecilia Carlsson"}},
                       "housing": {"type": "rental", "rent": 6100, "household_size": 1},
                       "incomes": {"items": [{"type": "wages_net", "member": "applicant", "amount": 900}]},
                       "costs": [{"type": "household_electricity", "amount": 300}],
                       "assets": {"none_declared": True},
                       "plan": {"activities": [{"member": "applicant", "status": "registered_at_af"}]}}
            made = api.post("/applications/applications", headers=h("cecilia"), json=content)
            assert made.status_code == 201, made.text
            case = f"/applications/applications/{made.json()['id']}"
            assert api.post(f"{case}/signatures", headers=h("cecilia")).status_code == 201
            assert api.post(f"{case}/submit", headers=h("cecilia")).status_code == 200
            for _ in range(6):  # whichever replica answers, it reads what the other wrote
                assert api.get(case, headers=h("cecilia")).json()["status"] == "submitted"
        ports = stack.replica_ports("applications")
        assert len(ports) == 2 and all(_requests_seen(p) >= 3 for p in ports)
