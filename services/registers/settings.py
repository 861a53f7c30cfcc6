from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from kit.settings import KitSettings
from services.registers.integration.sources import Connection


class RegistersSettings(KitSettings):
    """Environment variables start with REGISTERS_ (or BISTAND_ for values shared by all services)."""

    model_config = SettingsConfigDict(env_prefix="REGISTERS_", extra="ignore")
    service_name: ClassVar[str] = "registers"

    # The national registers (SSBTEK-shaped income look-ups, the Navet-shaped population register); `make run`
    # points them at the registers simulator.
    ssbtek_url: str = "http://127.0.0.1:8092/ssbtek"
    navet_url: str = "http://127.0.0.1:8092/navet"
    org_number: str = "212000-0000"  # the municipality's organisation number, sent with every SSBTEK request
    ca_file: str | None = None  # trust this CA for the registers' server certificate
    client_cert: str | None = None  # mutual TLS: the organisation certificate (PEM) and its key
    client_key: str | None = None
    timeout_seconds: float = 5.0
    retries: int = 2
    breaker_failures: int = 5
    breaker_reset_seconds: float = 30.0

    # Which service clients may ask what (comma lists of client ids).
    lookup_clients: str = "applications"
    population_clients: str = "applications,meetings,messaging"  # messaging: letters' envelope addresses
    protection_clients: str = "applications,meetings,messaging"
    subject_access_clients: str = "applications"  # a person's part of their register extract
    # How long a person's protected flag from the population register is reused for POST /internal/protection.
    protection_cache_seconds: float = 300.0
    protection_cache_size: int = 50_000
    # Recorded as the legal basis of a population look-up whose caller names none (per purpose).
    protection_legal_basis: str = "OSL (2009:400) 21 kap. 3 §; SoL (2025:400)"
    population_legal_basis: str = "SoL (2025:400); folkbokföringsuppgifter för handläggning"
    # Most rows one audit search answers.
    audit_page_max: int = 500

    def connection(self) -> Connection:
        return Connection(ssbtek_url=self.ssbtek_url, navet_url=self.navet_url, org_number=self.org_number,
                          ca_file=self.ca_file, client_cert=self.client_cert, client_key=self.client_key,
                          timeout_seconds=self.timeout_seconds, retries=self.retries,
                          breaker_failures=self.breaker_failures, breaker_reset_seconds=self.breaker_reset_seconds)
