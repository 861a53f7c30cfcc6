"""The real adapters for a connection: SSBTEK and Navet over SOAP/HTTPS (mutual TLS when configured)."""

from __future__ import annotations

import time

from services.registers.integration.breaker import Clock
from services.registers.integration.navet import NavetRegister
from services.registers.integration.sources import Connection, Sources
from services.registers.integration.ssbtek import SsbtekRegisters


def build_sources(connection: Connection, *, clock: Clock = time.monotonic) -> Sources:
    """``clock`` drives the circuit breakers' reset time (tests pass their own)."""
    return Sources(income=SsbtekRegisters(connection, clock=clock),
                   population=NavetRegister(connection, clock=clock))
