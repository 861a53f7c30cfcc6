"""The one interface every register adapter is used through, and how to reach the registers.

The service layer sees only these protocols; ``build.build_sources(connection)`` makes the real adapters
(SOAP over HTTPS, optionally with mutual TLS, with time-outs, retries and a circuit breaker per source).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from contracts.registers import PopulationRecord, Purpose, Section, Source


class RegisterUnavailable(Exception):
    """The register did not answer (time-out, refused, circuit open). ``code`` is a stable reason."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class IncomeOrder:
    """What an SSBTEK request carries: who asks, about whom, for which case, month, purpose and legal basis."""

    requested_by: str  # the caseworker's id, or the automated process's id ("process:decision_proposal")
    personal_number: str  # 12 digits
    case_id: str | None
    period: str  # YYYY-MM
    purpose: Purpose
    legal_basis: str
    sources: tuple[Source, ...]


class IncomeRegisters(Protocol):
    async def fetch(self, order: IncomeOrder) -> list[Section]:
        """One section per asked source, in the asked order. A source's failure is that section's status,
        never an exception."""
        ...


class PopulationRegister(Protocol):
    async def people(self, personal_numbers: Sequence[str], *, requested_by: str,
                     purpose: Purpose) -> list[PopulationRecord]:
        """One record per asked person, in the asked order. Raises RegisterUnavailable when Navet does not
        answer: protection must never be read as "not protected" because the register was silent."""
        ...


@dataclass
class Sources:
    income: IncomeRegisters
    population: PopulationRegister

    async def aclose(self) -> None:
        for adapter in (self.income, self.population):
            close = getattr(adapter, "aclose", None)
            if close is not None:
                await close()


@dataclass(frozen=True)
class Connection:
    """How to reach the registers; the service's settings fill it in (REGISTERS_* variables)."""

    ssbtek_url: str
    navet_url: str
    org_number: str  # the municipality's organisation number, sent in every SSBTEK request
    ca_file: str | None = None  # trust this CA for the registers' server certificate
    client_cert: str | None = None  # mutual TLS: our organisation certificate (PEM) and its key
    client_key: str | None = None
    timeout_seconds: float = 5.0
    retries: int = 2  # extra attempts on a transient failure (connection error, 502/503/504)
    retry_backoff_seconds: float = 0.2  # first wait between attempts, doubling (0: retry at once, for tests)
    breaker_failures: int = 5  # consecutive failures of one source before its circuit opens
    breaker_reset_seconds: float = 30.0
