"""Tracing across the real system: every process exports OTLP (http/protobuf) to a real receiver in this test.

One client request through the gateway is one trace, with the gateway's, each service's and the database's spans;
an outbox event's delivery continues the trace of the change that wrote it; the trace id is in the log lines and in
problem details; and no span carries a personnummer, a name, a client address or a query string.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from devstack.stack import url
from tests.access_matrix import written_forms
from tests.e2e.conftest import running_stack
from tests.support import serve_in_thread

pytestmark = pytest.mark.xdist_group("e2e")

ANNA, BERTIL = "198903149808", "199107229800"
NAMES = ("Anna Andersson", "Bertil Andersson")


class Receiver:
    """What an OTLP collector would get: spans by trace id, with the exporting service's name."""

    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    async def traces(self, request: Request) -> Response:
        export = ExportTraceServiceRequest()
        export.ParseFromString(await request.body())
        with self.lock:
            for resource_spans in export.resource_spans:
                resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        self.spans.append({
                            "service": resource.get("service.name"), "trace": span.trace_id.hex(),
                            "name": span.name, "kind": span.kind, "raw": str(span),
                            "attributes": {a.key: str(a.value).strip() for a in span.attributes}})
        return Response(b"", media_type="application/x-protobuf")

    def by_trace(self) -> dict[str, list[dict[str, Any]]]:
        with self.lock:
            grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for span in self.spans:
                grouped[span["trace"]].append(span)
            return grouped

    def trace_with(self, predicate: Any, services: set[str], timeout: float = 20.0) -> list[dict[str, Any]]:
        """Poll until a trace holding a span that matches ``predicate`` has spans of all ``services``."""
        deadline = time.monotonic() + timeout
        while True:
            for spans in self.by_trace().values():
                if any(predicate(s) for s in spans) and services <= {s["service"] for s in spans}:
                    return spans
            if time.monotonic() > deadline:
                return []
            time.sleep(0.05)  # waiting for other processes' batch exports, not for time to pass


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    receiver = Receiver()
    app = Starlette(routes=[Route("/v1/traces", receiver.traces, methods=["POST"])])
    logs = tmp_path_factory.mktemp("traced-logs")
    with serve_in_thread(app, lifespan="off") as collector:
        env = {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": collector,
               "OTEL_BSP_SCHEDULE_DELAY": "100", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none",
               "BISTAND_LOG_LEVEL": "INFO", "APPLICATIONS_RELAY_POLL_SECONDS": "0.2"}
        with running_stack("traced", env, log_dir=logs) as stack:
            yield stack, receiver, logs


def _headers(stack: Any, persona: str) -> dict[str, str]:
    token = httpx.get(f"{url(stack.ports.idp)}/dev/token", params={"persona": persona}).text
    return {"Authorization": f"Bearer {token}"}


def _journey(stack: Any) -> dict[str, Any]:
    content = {
        "kind": "first", "period": "2026-12",
        "household": {"applicant": {"personal_number": ANNA, "name": NAMES[0]},
                      "partner": {"personal_number": BERTIL, "name": NAMES[1], "relation": "married"}},
        "housing": {"type": "rental", "rent": 8200, "household_size": 2},
        "incomes": {"items": [{"type": "wages_net", "member": "applicant", "amount": 1250}]},
        "costs": [{"type": "household_electricity", "amount": 450}], "assets": {"none_declared": True},
        "plan": {"activities": [{"member": "applicant", "status": "registered_at_af"},
                                {"member": "partner", "status": "in_activity"}]},
    }
    with httpx.Client(base_url=f"{url(stack.ports.gateway)}/api/applications", timeout=20) as api:
        made = api.post(f"/applications?who={ANNA}", headers=_headers(stack, "anna"), json=content)
        assert made.status_code == 201, made.text
        case = f"/applications/{made.json()['id']}"
        for who in ("anna", "bertil"):
            signed = api.post(f"{case}/signatures", headers=_headers(stack, who))
            assert signed.status_code in (200, 201), signed.text
        assert api.post(f"{case}/submit", headers=_headers(stack, "anna")).status_code == 200
        assert api.post(f"{case}/assign", headers=_headers(stack, "karin")).status_code == 200
        calculated = api.post(f"{case}/calculation", headers=_headers(stack, "karin"))
        assert calculated.status_code == 200, calculated.text
        decided = api.post(f"{case}/decision", headers=_headers(stack, "karin"),
                           json={"reasons_sv": "Beviljas.", "reasons_en": "Granted.",
                                 "reason_for_need": "unemployed_no_benefit"})
        assert decided.status_code == 201, decided.text
        refused = api.get(case, headers=_headers(stack, "cecilia"))
        assert refused.status_code == 404
        return {"case": made.json()["id"], "refused": refused.json(),
                "calculated": calculated.headers["x-request-id"], "decided": decided.headers["x-request-id"]}


@pytest.fixture(scope="module")
def journey(traced):
    stack, _, _ = traced
    return _journey(stack)


def _is_server_span(route_end: str) -> Any:
    return lambda s: s["service"] == "bistand-gateway" and s["kind"] == 2 and any(
        v.strip('"').endswith(route_end) for k, v in s["attributes"].items() if k in ("http.target", "url.path"))


def test_one_request_is_one_trace_across_gateway_service_and_database(traced, journey):
    _, receiver, _ = traced
    spans = receiver.trace_with(_is_server_span("/calculation"),
                                {"bistand-gateway", "bistand-applications", "bistand-calculation"})
    assert spans, "no trace holds the gateway, applications and calculation spans of one calculation request"
    assert any(s["attributes"].get("db.system") for s in spans), "no database span in the trace"


def test_the_outbox_delivery_continues_the_trace_of_the_change(traced, journey):
    _, receiver, _ = traced
    spans = receiver.trace_with(_is_server_span("/decision"), {"bistand-applications", "bistand-messaging"})
    assert spans, "the decision's event reached messaging outside the decision's trace"


def test_problem_details_and_log_lines_carry_the_trace_id(traced, journey):
    _, receiver, logs = traced
    trace_id = journey["refused"].get("trace_id")
    assert trace_id and len(trace_id) == 32
    assert receiver.trace_with(lambda s: s["trace"] == trace_id, {"bistand-gateway", "bistand-applications"})
    lines = [line for f in logs.glob("applications.log") for line in f.read_text().splitlines()]
    assert any(f'"trace_id":"{trace_id}"' in line for line in lines)


def test_no_span_carries_personal_data_an_address_or_a_query(traced, journey):
    _, receiver, _ = traced
    assert receiver.trace_with(_is_server_span("/decision"), {"bistand-applications"})
    marks = [form for pnr in (ANNA, BERTIL) for form in written_forms(pnr)] + [*NAMES]
    with receiver.lock:
        spans = list(receiver.spans)
    assert len(spans) > 20
    for span in spans:
        for mark in marks:
            assert mark not in span["raw"], (span["service"], span["name"], mark)
        assert "who=" not in span["raw"], (span["service"], span["name"], "a query string in a span")
        assert not {"client.address", "net.peer.ip", "http.client_ip"} & set(span["attributes"]), span["name"]
