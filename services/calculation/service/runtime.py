"""What this service holds while it runs (on ``ctx.runtime``): set by the app's start-up hook, read by api/deps.py."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from kit.clock import Clock, utcnow
from services.calculation.service.calculator import Calculator
from services.calculation.service.pool import WorkerPool


@dataclass
class Runtime:
    calculator: Calculator  # the norm tables and rent ceilings, loaded and checked before the app started
    clock: Clock = utcnow  # the trial's default month comes from it
    # Without workers one batch computes at a time per process: parallel batches in threads only fight over the GIL.
    batch_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    batch_pool: WorkerPool | None = None  # CALCULATION_BATCH_WORKERS > 0
