"""Settings shared by every service: one class per service with its own env prefix.

A value is looked up as ``<SERVICE>_<NAME>`` first and ``BISTAND_<NAME>`` second, so ops can
set what is common (issuer, audience) once and still override it per service.

Secrets have public development defaults, so that `make run` and the tests need no setup. In production
(``BISTAND_ENV=production``, set by the Kubernetes production overlay) a process refuses to start while any
secret is missing or still a development value (``check_production``). A secret is a setting whose default
holds a development marker (``dev-insecure``: a service that adds a secret names its default that way and is
covered without further code), or one listed in ``secret_settings``.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy.engine import make_url

from kit.sealing import Keyring, development_keys

COMMON_PREFIX = "BISTAND_"

# What marks a value as a public development one: the defaults (dev-insecure), the dev overlay's Secret
# (dev-overlay) and the dev database password (dev-only).
DEVELOPMENT_MARKERS = ("dev-insecure", "dev-overlay", "dev-only")
MIN_SECRET_CHARS = 16


class InsecureSettings(RuntimeError):
    """Production mode with a missing or development secret. The message names variables, never values."""


class LayeredSettings(BaseSettings):
    """Token checking and limits, shared by the services and the gateway."""

    model_config = SettingsConfigDict(extra="ignore")

    # "production" (BISTAND_ENV): refuse to start with a missing or development secret.
    env: Literal["development", "production"] = "development"
    # Secrets beyond those whose default is marked as a development value (see the module's docstring).
    secret_settings: ClassVar[tuple[str, ...]] = ()
    # Public development values that carry no marker (key material of development key rings).
    development_values: ClassVar[tuple[str, ...]] = ()

    auth_issuer: str = "http://127.0.0.1:8090"
    auth_audience: str = "bistand"
    auth_jwks_url: str | None = None
    auth_leeway_seconds: int = 30
    max_body_bytes: int = 12 * 1024 * 1024
    log_level: str = "INFO"
    # The garbage collector's youngest generation runs every this many new container objects (kit.collector says
    # why; CPython's default is 700; 0 keeps CPython's thresholds).
    gc_threshold: int = 7000

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        common = EnvSettingsSource(settings_cls, env_prefix=COMMON_PREFIX)
        return init_settings, env_settings, common, file_secret_settings

    @property
    def jwks_url(self) -> str:
        return self.auth_jwks_url or f"{self.auth_issuer.rstrip('/')}/jwks.json"

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def env_name(self, field: str) -> str:
        return f"{self.model_config.get('env_prefix') or COMMON_PREFIX}{field.upper()}"

    def is_development_value(self, value: str) -> bool:
        return any(m in value for m in DEVELOPMENT_MARKERS) or any(
            v and v in value for v in self.development_values)

    def insecure_settings(self) -> list[str]:
        """The variables that make this unfit for production: a secret missing, too short or a development
        value, or any setting holding a development value (such as the dev database password)."""
        out = []
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            default = info.default
            secret = name in self.secret_settings or (isinstance(default, str) and self.is_development_value(default))
            text = value if isinstance(value, str) else ""
            if (secret and len(text.strip()) < MIN_SECRET_CHARS) or (text and self.is_development_value(text)):
                out.append(self.env_name(name))
        return out

    def check_production(self) -> None:
        """In production mode, refuse to run with a missing or development secret (names only, no values)."""
        if not self.is_production:
            return
        insecure = self.insecure_settings()
        if insecure:
            raise InsecureSettings(
                f"{COMMON_PREFIX}ENV=production, but these are missing or public development values: "
                f"{', '.join(insecure)}. Set them from the Secret (README: Deploying).")


DEV_SEALING_KEYS = development_keys("bistand kit development sealing key - not for production")


class KitSettings(LayeredSettings):
    # "__" reaches into maps: APPLICATIONS_RETENTION__CASES=P6Y sets one entry of ``retention``.
    model_config = SettingsConfigDict(extra="ignore", env_prefix="KIT_", env_nested_delimiter="__")

    service_name: ClassVar[str] = "service"

    # Full URL of this service's own database. When unset, it is derived from the
    # server-level DATABASE_URL (see database_url_for) by the service's database name.
    database_url: str | None = None
    # Overflow connections are closed again once the pool has its size back: at 32 concurrent submits a pool of
    # 20 with 10 overflow opened 12-14 connections in 8 s (pg_stat_database.sessions, bench/applications.py). A
    # fixed pool (no overflow) measured a wider tail (requests queue for a connection), and a pool of 32 more
    # PostgreSQL CPU per submit, so bursts keep their overflow; set these to the concurrency you expect.
    db_pool_size: int = 10
    db_max_overflow: int = 10
    db_pool_timeout_seconds: float = 5.0

    # Client credentials for calls to other services.
    auth_token_url: str | None = None
    service_client_id: str | None = None
    service_client_secret: str | None = None
    http_timeout_seconds: float = 5.0
    # A service token carries the audience of the one service it is for, named by this pattern ({audience}: the
    # common audience, {service}: the service's name); the IdP is configured with the same names.
    auth_service_audience_pattern: str = "{audience}:{service}"

    # Seals the kit's rows at rest (idempotency answers, outbox payloads): "kid:base64key,...", the first seals,
    # all open. The default is a DEVELOPMENT key from a public string; production needs real keys (32 bytes).
    sealing_keys: str | None = DEV_SEALING_KEYS
    # The development key's material, and the dev IdP's client secrets (simulators/idp).
    development_values: ClassVar[tuple[str, ...]] = (
        DEV_SEALING_KEYS.partition(":")[2], "dev-applications", "dev-calculation", "dev-messaging", "dev-meetings")

    # Housekeeping (kit.housekeeping): idempotency rows live for their retry window, delivered outbox rows
    # for a short retention; a pass every interval.
    idempotency_window_hours: float = 24.0
    outbox_retention_hours: float = 24.0
    housekeeping_interval_seconds: float = 600.0
    housekeeping_enabled: bool = True

    # Retention (gallring, kit.retention): per record type of the service, "<ISO period>[ <action>]" overriding
    # its domain/retention.py default, e.g. <SERVICE>_RETENTION='{"cases": "P6Y"}' or
    # <SERVICE>_RETENTION__CASES="P5Y delete". A pass every interval, in batches.
    retention: dict[str, str] = {}
    retention_enabled: bool = True
    retention_interval_seconds: float = 6 * 3600.0
    retention_batch_size: int = 200

    def sealing_keyring(self) -> Keyring:
        """The key ring the kit seals this service's rows with (a bad one stops the start)."""
        return Keyring.parse(self.sealing_keys or "")

    @property
    def token_url(self) -> str:
        return self.auth_token_url or f"{self.auth_issuer.rstrip('/')}/token"

    def service_audience(self, service: str | None = None) -> str:
        """The audience of service tokens for ``service`` (default: this service, i.e. the ones it accepts)."""
        return self.auth_service_audience_pattern.format(audience=self.auth_audience,
                                                         service=service or self.service_name)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        import os

        server = os.environ.get("DATABASE_URL")
        if not server:
            raise RuntimeError(
                f"no database: set {self.model_config.get('env_prefix')}DATABASE_URL or DATABASE_URL"
            )
        return database_url_for(server, database_name(self.service_name))


def comma_list(value: str) -> tuple[str, ...]:
    """A setting written "a, b,c" as its non-empty items, in order."""
    return tuple(item for item in (part.strip() for part in value.split(",")) if item)


def database_name(service: str) -> str:
    return f"bistand_{service}"


def database_url_for(server_url: str, database: str) -> str:
    """The same server, another database."""
    return make_url(server_url).set(database=database).render_as_string(hide_password=False)
