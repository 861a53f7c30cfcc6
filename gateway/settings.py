from __future__ import annotations

import os

from pydantic_settings import SettingsConfigDict

from gateway.paths import Route, parse_routes
from kit.settings import LayeredSettings, comma_list

SERVICES = ("applications", "calculation", "messaging", "meetings", "registers")


class GatewaySettings(LayeredSettings):
    """Environment variables start with GATEWAY_ (or BISTAND_ for values shared with services)."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    applications_url: str = "http://127.0.0.1:8101"
    calculation_url: str = "http://127.0.0.1:8102"
    messaging_url: str = "http://127.0.0.1:8103"
    meetings_url: str = "http://127.0.0.1:8104"
    registers_url: str = "http://127.0.0.1:8105"

    # Routes reachable without a token: the public trial calculation and norms, and token-in-URL resources
    # the service checks itself (calendar feeds, join links). Comma-separated "METHODS /path" entries
    # (gateway/paths.py: parse_routes): the path is matched whole, "{name}" is one non-empty segment (with
    # literal text around it if given: "{token}.ics"), METHODS are joined by "|", GET includes HEAD. No
    # prefixes: a route a service adds later is never public by accident.
    public_routes: str = ("POST /api/calculation/trial, GET /api/calculation/norms, GET /api/calculation/norms/{year},"
                          " GET /api/meetings/feeds/{token}.ics, GET|POST /api/meetings/join/{token}")
    # Routes that stream (Server-Sent Events), in the same syntax: they have no upstream read timeout.
    # Every other route keeps read_timeout_seconds, whatever the request's Accept header says.
    stream_routes: str = "GET /api/messaging/me/stream"

    connect_timeout_seconds: float = 2.0
    read_timeout_seconds: float = 30.0
    upstream_pool_size: int = 200
    # Requests at or under this size are read whole (cheaper); larger ones are streamed.
    buffer_body_under_bytes: int = 64 * 1024

    rate_per_ip_per_second: float = 50.0
    rate_per_ip_burst: int = 200
    rate_per_client_per_second: float = 20.0
    rate_per_client_burst: int = 100
    # Public (anonymous) paths get their own, stricter budget per IP.
    rate_public_per_minute: float = 30.0
    rate_public_burst: int = 10
    # How many proxies in front of us append to X-Forwarded-For (0: use the peer address).
    trusted_proxies: int = 0

    cors_origins: str = ""

    # Rate limits shared by every replica (Redis); unset: in memory, per replica. REDIS_URL is read too.
    redis_url: str | None = None
    # Key prefix in Redis (environments or test runs sharing one Redis keep apart).
    redis_prefix: str = "bistand:rate"

    def shared_redis_url(self) -> str | None:
        return self.redis_url or os.environ.get("REDIS_URL") or None

    def service_urls(self) -> dict[str, str]:
        """Each service's first address (its OpenAPI document is read there)."""
        return {name: urls[0] for name, urls in self.service_replicas().items()}

    def service_replicas(self) -> dict[str, tuple[str, ...]]:
        """Each service's addresses: ``GATEWAY_<SERVICE>_URL`` may list several (comma-separated replicas without
        a load balancer in front, as `BISTAND_REPLICAS=2 make run` starts them); requests take turns."""
        return {name: tuple(u.rstrip("/") for u in comma_list(getattr(self, f"{name}_url"))) for name in SERVICES}

    def public_route_list(self) -> tuple[Route, ...]:
        return parse_routes(self.public_routes)

    def stream_route_list(self) -> tuple[Route, ...]:
        return parse_routes(self.stream_routes)

    def cors_origin_set(self) -> frozenset[str]:
        return frozenset(comma_list(self.cors_origins))
