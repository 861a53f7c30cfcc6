from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from kit.settings import LayeredSettings, comma_list

SERVICES = ("applications", "calculation", "messaging", "meetings")


class GatewaySettings(LayeredSettings):
    """Environment variables start with GATEWAY_ (or BISTAND_ for values shared with services)."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    applications_url: str = "http://127.0.0.1:8101"
    calculation_url: str = "http://127.0.0.1:8102"
    messaging_url: str = "http://127.0.0.1:8103"
    meetings_url: str = "http://127.0.0.1:8104"

    # Paths reachable without a token (prefix match): the public trial calculation and norms,
    # and token-in-URL resources the service checks itself (calendar feeds, join links).
    public_paths: str = ("/api/calculation/trial,/api/calculation/norms,"
                         "/api/meetings/feeds/,/api/meetings/join/")

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

    def service_urls(self) -> dict[str, str]:
        return {name: getattr(self, f"{name}_url").rstrip("/") for name in SERVICES}

    def public_prefixes(self) -> tuple[str, ...]:
        return comma_list(self.public_paths)

    def cors_origin_set(self) -> frozenset[str]:
        return frozenset(comma_list(self.cors_origins))
