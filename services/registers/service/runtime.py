"""What the registers service runs with, made once by its start-up hook (app.py) and kept on ``ctx.runtime``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kit.clock import Clock
from kit.sealing import Sealer
from services.registers.domain.cache import ProtectionCache
from services.registers.integration.sources import Sources
from services.registers.service.observe import Observed
from services.registers.settings import RegistersSettings


@dataclass(frozen=True)
class Runtime:
    settings: RegistersSettings
    clock: Clock  # tests pass a stepping clock (it also ages the protection cache)
    sources: Sources  # the register adapters (income: SSBTEK, population: Navet)
    sealer: Sealer  # fingerprints and seals the person of each audit row
    protection: ProtectionCache
    observed: Observed  # counters on /metrics

    def now(self) -> dt.datetime:
        return self.clock()
