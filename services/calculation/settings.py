from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from kit.settings import KitSettings


class CalculationSettings(KitSettings):
    """Environment variables start with CALCULATION_ (or BISTAND_ for values shared by all services)."""

    model_config = SettingsConfigDict(env_prefix="CALCULATION_", extra="ignore")
    service_name: ClassVar[str] = "calculation"

    # Reasonable rent per household size for every municipality without its own list: "1:7500,2:9000,3:11000".
    # Sizes beyond the last use the last amount. Empty: no ceiling (the rent is counted as given).
    rent_ceilings: str = ""
    # A TOML file with per-municipality lists: [default] and [<municipality>] tables of size = kronor.
    # A [default] table there replaces rent_ceilings. Municipality names are matched case-insensitively.
    rent_ceilings_file: str | None = None
    # Where the norm data files (<year>.toml) are; unset: services/calculation/norms.
    norms_dir: str | None = None
    # Most households in one POST /calculations/batch (more: 413).
    batch_max_items: int = 10_000
    # Worker processes that compute batch items in parallel (one per core you give the service);
    # 0: batches compute in a thread of the service process.
    batch_workers: int = 0
