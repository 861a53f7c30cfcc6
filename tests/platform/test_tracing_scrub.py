"""What leaves a process in a span is scrubbed in one place (kit.tracing), whatever an instrumentation recorded."""

from __future__ import annotations

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode

from kit import tracing

PNR = "198903149808"


def _span(**attributes: object) -> ReadableSpan:
    context = SpanContext(trace_id=1, span_id=2, is_remote=False)
    events = [Event("exception", {"exception.type": "IntegrityError",
                                  "exception.message": f"Key (personal_number)=({PNR}) already exists",
                                  "exception.stacktrace": f"... {PNR} ..."})]
    return ReadableSpan(name="GET /api/meetings/feeds/s3cr3t-token.ics", context=context, attributes=attributes,
                        events=events, kind=SpanKind.SERVER, status=Status(StatusCode.ERROR, f"failed for {PNR}"))


def test_urls_lose_their_query_and_secret_segments():
    assert tracing.scrub_url("/api/x/search?q=Anna+Andersson&pnr=1989") == "/api/x/search"
    assert tracing.scrub_url("/api/meetings/feeds/abc123.ics") == "/api/meetings/feeds/{token}"
    assert tracing.scrub_url("http://h:1/join/xyz?x=1#f") == "http://h:1/join/{token}"


def test_a_span_leaves_with_nothing_personal():
    span = tracing.scrub_span(_span(**{
        "http.target": f"/api/applications/search?pnr={PNR}", "url.query": f"pnr={PNR}",
        "client.address": "10.1.2.3", "net.peer.ip": "10.1.2.3", "http.user_agent": "Mozilla",
        "db.statement": f"SELECT 1 /* {PNR} */", "http.status_code": 500}))
    text = repr(dict(span.attributes)) + repr([dict(e.attributes) for e in span.events]) + span.name
    text += str(span.status.description)
    assert PNR not in text and "10.1.2.3" not in text and "s3cr3t" not in text and "Mozilla" not in text
    assert span.attributes["http.target"] == "/api/applications/search"
    assert span.attributes["http.status_code"] == 500
    exception = dict(span.events[0].attributes)
    assert exception["exception.type"] == "IntegrityError" and exception["exception.message"] == "withheld"
    assert "exception.stacktrace" not in exception


def test_off_unless_the_standard_variables_ask(monkeypatch):
    for name in ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                 "OTEL_SDK_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    assert not tracing.enabled()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert tracing.enabled()
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert not tracing.enabled()
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert not tracing.enabled()
