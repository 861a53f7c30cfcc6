"""Tracing with OpenTelemetry: off unless the standard ``OTEL_*`` variables ask for it.

On when ``OTEL_TRACES_EXPORTER`` names an exporter (``otlp``, ``console``) or an OTLP endpoint is set
(``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``); ``OTEL_SDK_DISABLED=true`` turns it off.
The rest (sampler, headers, protocol, batch delays, resource attributes) is read by the SDK from its own variables.
Off, nothing is instrumented and nothing costs.

What leaves the process is scrubbed at export, in one place: URLs lose their query and the token segment of
token-in-URL routes, client addresses are dropped, exception messages are withheld (drivers quote values) and any
personnummer left in a string is masked. Statement parameters are never captured.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
from collections.abc import Sequence
from typing import Any

from kit.redact import redact

log = logging.getLogger("kit.tracing")

_state: dict[str, Any] = {"on": None}

# Attribute keys whose value is a URL or path: kept without query and without secrets in the path.
_URL_KEYS = frozenset({"http.url", "http.target", "url.full", "url.path", "http.route"})
# Attribute keys that say who the caller is (an address is personal data) or echo the query.
_DROP_KEYS = frozenset({"net.peer.ip", "net.sock.peer.addr", "client.address", "http.client_ip", "url.query",
                        "net.peer.port", "client.port", "net.sock.peer.port", "user_agent.original",
                        "http.user_agent", "enduser.id"})
# Token-in-URL routes (calendar feeds, join links): the segment after them is a secret.
_TOKEN_SEGMENT = re.compile(r"(/(?:feeds|join)/)[^/?#]+")


def enabled() -> bool:
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporters:
        return exporters != "none"
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def scrub_url(value: str) -> str:
    path = value.split("?", 1)[0].split("#", 1)[0]
    return _TOKEN_SEGMENT.sub(r"\1{token}", path)


def _clean(key: str, value: Any) -> Any:
    if key in _URL_KEYS and isinstance(value, str):
        return redact(scrub_url(value))
    if isinstance(value, str):
        return redact(value)
    return value


def scrub_attributes(attributes: Any) -> dict[str, Any]:
    return {k: _clean(k, v) for k, v in (attributes or {}).items() if k not in _DROP_KEYS}


def scrub_span(span: Any) -> Any:
    """A copy of a finished span with nothing personal in it."""
    from opentelemetry.sdk.trace import Event, ReadableSpan

    events = []
    for event in span.events:
        attributes = scrub_attributes(event.attributes)
        if event.name == "exception":
            # The type and where it happened are what ops need; the message may quote a person's data.
            attributes["exception.message"] = "withheld"
            attributes.pop("exception.stacktrace", None)
        events.append(Event(event.name, attributes, event.timestamp))
    return ReadableSpan(
        name=scrub_url(span.name), context=span.context, parent=span.parent, resource=span.resource,
        attributes=scrub_attributes(span.attributes), events=events, links=span.links, kind=span.kind,
        status=_status(span.status), start_time=span.start_time, end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope)


def _status(status: Any) -> Any:
    from opentelemetry.trace import Status

    return Status(status.status_code, "withheld") if status.description else status


class ScrubbingExporter:
    """Wraps the real exporter: every span passes ``scrub_span`` on its way out."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def export(self, spans: Sequence[Any]) -> Any:
        return self.inner.export([scrub_span(s) for s in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return bool(getattr(self.inner, "force_flush", lambda *_: True)(timeout_millis))


def _exporters() -> list[Any]:
    names = [n.strip() for n in os.environ.get("OTEL_TRACES_EXPORTER", "otlp").lower().split(",") if n.strip()]
    made: list[Any] = []
    for name in names:
        if name == "otlp":
            protocol = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                                      os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"))
            if protocol != "http/protobuf":
                log.warning("only OTLP over http/protobuf is installed; using it", extra={"asked": protocol})
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            made.append(OTLPSpanExporter())
        elif name == "console":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            made.append(ConsoleSpanExporter())
        else:
            log.warning("unknown trace exporter ignored", extra={"exporter": name})
    return made


def setup(service: str, *, exporter: Any | None = None) -> bool:
    """Start tracing for this process (once); True when it is on. ``exporter``: tests pass an in-memory one."""
    if _state["on"] is not None:
        return bool(_state["on"])
    if exporter is None and not enabled():
        _state["on"] = False
        return False
    from opentelemetry import trace
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    defaults = {} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: f"bistand-{service}"}
    provider = TracerProvider(resource=Resource.create(defaults))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(ScrubbingExporter(exporter)))
    for made in _exporters() if exporter is None else []:
        provider.add_span_processor(BatchSpanProcessor(ScrubbingExporter(made)))
    trace.set_tracer_provider(provider)
    AsyncPGInstrumentor(capture_parameters=False).instrument()
    HTTPXClientInstrumentor().instrument()
    AioHttpClientInstrumentor().instrument()
    _state.update(on=True, provider=provider)
    return True


def instrument_app(app: Any) -> None:
    """A FastAPI app's server spans (probes and scrapes left out); a no-op when tracing is off."""
    if not _state["on"]:
        return
    if importlib.util.find_spec("fastapi.telemetry") is not None:
        # FastAPI (0.165 on) makes its server spans itself. The instrumentor would only log an error and step
        # aside: it expects Starlette's error middleware outermost, where kit puts its request-context middleware.
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls="livez,readyz,metrics", exclude_spans=["receive", "send"])


def wrap_asgi(app: Any) -> Any:
    """A raw ASGI app (the gateway) in a server span; the app itself when tracing is off."""
    if not _state["on"]:
        return app
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    return OpenTelemetryMiddleware(app, excluded_urls="livez,readyz,metrics", exclude_spans=["receive", "send"])


def current_trace_id() -> str | None:
    """The current trace id (32 hex digits) for logs and problem details, or None when there is none."""
    if not _state["on"]:
        return None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def inject() -> dict[str, str]:
    """The current trace context as W3C headers, to keep with work done later (an outbox event)."""
    if not _state["on"]:
        return {}
    from opentelemetry import propagate

    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def continued(carrier: dict[str, str] | None, name: str, *, consumer: bool = False) -> Any:
    """A span that continues the trace ``carrier`` came from: an outbox delivery (a producer), or with
    ``consumer`` an event taken in from a batch (without a carrier it stays in the current trace); a no-op
    context when off."""
    import contextlib

    if not _state["on"] or (consumer and not carrier):
        return contextlib.nullcontext()
    from opentelemetry import propagate, trace

    parent = propagate.extract(carrier or {})
    kind = trace.SpanKind.CONSUMER if consumer else trace.SpanKind.PRODUCER
    return trace.get_tracer("kit.outbox").start_as_current_span(name, context=parent, kind=kind)


def shutdown() -> None:
    provider = _state.get("provider")
    if provider is not None:
        provider.shutdown()
