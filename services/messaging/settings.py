from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from kit.settings import KitSettings


class MessagingSettings(KitSettings):
    """Environment variables start with MESSAGING_ (or BISTAND_ for values shared by all services)."""

    model_config = SettingsConfigDict(env_prefix="MESSAGING_", extra="ignore")
    service_name: ClassVar[str] = "messaging"
