"""Settings shared by every service: one class per service with its own env prefix.

A value is looked up as ``<SERVICE>_<NAME>`` first and ``BISTAND_<NAME>`` second, so ops can
set what is common (issuer, audience) once and still override it per service.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy.engine import make_url

COMMON_PREFIX = "BISTAND_"


class LayeredSettings(BaseSettings):
    """Token checking and limits, shared by the services and the gateway."""

    model_config = SettingsConfigDict(extra="ignore")

    auth_issuer: str = "http://127.0.0.1:8090"
    auth_audience: str = "bistand"
    auth_jwks_url: str | None = None
    auth_leeway_seconds: int = 30
    max_body_bytes: int = 12 * 1024 * 1024
    log_level: str = "INFO"

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


class KitSettings(LayeredSettings):
    model_config = SettingsConfigDict(extra="ignore", env_prefix="KIT_")

    service_name: ClassVar[str] = "service"

    # Full URL of this service's own database. When unset, it is derived from the
    # server-level DATABASE_URL (see database_url_for) by the service's database name.
    database_url: str | None = None
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
