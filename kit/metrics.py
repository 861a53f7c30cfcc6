"""Prometheus metrics, one registry per app so several apps can live in one process (tests)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

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

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(self.service, route, method, str(status)).inc()
        self.latency.labels(self.service, route, method).observe(seconds)

    def add_pool_gauges(self, read: Callable[[], dict[str, int]]) -> None:
        self.registry.register(_PoolCollector(self.service, read))

    def render(self) -> bytes:
        return generate_latest(self.registry)


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
