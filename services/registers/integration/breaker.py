"""A circuit breaker with an injected clock: consecutive failures open it, and after the reset time one trial
call is let through (half-open); its success closes the circuit, its failure opens it again.

Small on purpose: the libraries we looked at (purgatory, pybreaker, aiobreaker, circuitbreaker) wrap the call
themselves (one call = one verdict, where one SSBTEK answer gives a verdict per source), read the time themselves
where we need an injected clock, or are unmaintained. Here the caller asks ``allow()`` before a call and reports
``success()``, ``failure()`` or ``release()`` (no verdict) after it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

Clock = Callable[[], float]


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(self, failures: int, reset_seconds: float, clock: Clock = time.monotonic) -> None:
        self.threshold = max(1, failures)
        self.reset_seconds = reset_seconds
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self.trial = False  # a half-open trial call is under way

    @property
    def state(self) -> BreakerState:
        if self.opened_at is None:
            return BreakerState.CLOSED
        if self.clock() - self.opened_at >= self.reset_seconds:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allow(self) -> bool:
        """May a call go out now? In half-open state only one at a time (the trial)."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self.trial:
            self.trial = True
            return True
        return False

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None
        self.trial = False

    def failure(self) -> None:
        self.failures += 1
        if self.trial or self.failures >= self.threshold:
            self.opened_at = self.clock()
        self.trial = False

    def release(self) -> None:
        """The call ended without saying anything about this circuit (e.g. the whole endpoint failed)."""
        self.trial = False
