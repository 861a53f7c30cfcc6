"""Prometheus metrics, one registry per app so several apps can live in one process (tests)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

_MAX_CACHED_CHILDREN = 2048
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "http_requests_total", "HTTP requests by route, method and status",
            ["service", "route", "method", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds", "HTTP request latency by route",
            ["service", "route", "method"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.service = service
        # Requests being answered now (probes and scrapes left out): a gauge for ops, and the signal that lets a
        # service's background jobs hold back while people wait for answers (kit.outbox.OutboxRelay's batch_size).
        self.in_flight = 0
        self.registry.register(_InFlightCollector(self))
        # The labelled children, looked up once: ``labels()`` validates and locks on every call, per request.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(self.service, route, method, str(status)),
                        self.latency.labels(self.service, route, method))
            if len(self._children) < _MAX_CACHED_CHILDREN:  # a flood of odd methods is not kept twice
                self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def add_pool_gauges(self, read: Callable[[], dict[str, int]]) -> None:
        self.registry.register(_PoolCollector(self.service, read))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _InFlightCollector(Collector):
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self):  # type: ignore[override]
        gauge = GaugeMetricFamily("http_requests_in_flight", "HTTP requests being answered now (probes left out)",
                                  labels=["service"])
        gauge.add_metric([self.metrics.service], self.metrics.in_flight)
        yield gauge


class _PoolCollector(Collector):
    def __init__(self, service: str, read: Callable[[], dict[str, int]]) -> None:
        self.service = service
        self.read = read

    def collect(self):  # type: ignore[override]
        gauge = GaugeMetricFamily("db_pool_connections", "Database pool connections by state",
                                  labels=["service", "state"])
        for state, value in self.read().items():
            gauge.add_metric([self.service, state], value)
        yield gauge
