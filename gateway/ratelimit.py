"""Token buckets in memory, one per key (client or IP).

Per replica: with N gateway replicas the effective limit is N times the setting. That is a
known trade for zero extra hops; a shared store (Redis) can replace this class behind the same
``take`` when a municipality needs exact global limits.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class TokenBuckets:
    __slots__ = ("rate", "burst", "clock", "_buckets", "_max_keys")

    def __init__(self, rate_per_second: float, burst: int, *,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self.rate = rate_per_second
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._max_keys = max_keys

    def take(self, key: str) -> float:
        """0.0 when allowed; otherwise seconds until a token is available."""
        now = self.clock()
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > self._max_keys:
                self._prune(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate if self.rate > 0 else math.inf

    def _prune(self, now: float) -> None:
        # Buckets that have refilled carry no state worth keeping.
        full_after = self.burst / self.rate if self.rate > 0 else math.inf
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}
