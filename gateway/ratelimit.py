"""Rate limits: token buckets per key (client or IP), kept in memory or, shared by every replica, in Redis.

In memory (the embedded default) each replica counts for itself: N replicas allow N times the rate. With
``REDIS_URL`` (or ``GATEWAY_REDIS_URL``) set, every bucket lives in Redis and is taken by one Lua script, so the
read, refill and take are atomic across replicas and the time is Redis's own (replicas' clocks may differ).
Keys are stored as hashes: no IP address or subject in Redis. If Redis cannot be reached, the gateway falls
back to its in-memory buckets for that request (limits stay, only per replica) rather than refusing traffic.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger("gateway.ratelimit")


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


class Limits(Protocol):
    async def take(self, bucket: str, key: str) -> float: ...

    async def close(self) -> None: ...


class MemoryLimits:
    """Named buckets in this process."""

    def __init__(self, buckets: dict[str, TokenBuckets]) -> None:
        self.buckets = buckets

    async def take(self, bucket: str, key: str) -> float:
        return self.buckets[bucket].take(key)

    async def close(self) -> None:
        return None


# KEYS[1]: the bucket; ARGV: rate per second, burst. Returns the wait in seconds as a string (0 when taken).
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil then tokens = burst; at = now end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
elseif rate > 0 then
  wait = (1 - tokens) / rate
else
  wait = -1
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(now))
if rate > 0 then
  redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
end
return tostring(wait)
"""


class RedisLimits:
    """The same buckets, shared by every replica through Redis."""

    def __init__(self, url: str, rates: dict[str, tuple[float, int]], fallback: MemoryLimits, *,
                 prefix: str = "bistand:rate", timeout_seconds: float = 0.25) -> None:
        import redis.asyncio as redis

        self.rates = rates
        self.fallback = fallback
        self.prefix = prefix
        self.redis = redis.Redis.from_url(url, socket_timeout=timeout_seconds,
                                          socket_connect_timeout=timeout_seconds)
        self.script = self.redis.register_script(_TAKE)
        self._warned_at = 0.0

    async def take(self, bucket: str, key: str) -> float:
        rate, burst = self.rates[bucket]
        name = f"{self.prefix}:{bucket}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"
        try:
            wait = float(await self.script(keys=[name], args=[repr(rate), burst]))
        except Exception as exc:  # noqa: BLE001 - any Redis trouble: keep limiting, per replica
            now = time.monotonic()
            if now - self._warned_at > 30:
                self._warned_at = now
                log.warning("rate limits: Redis unavailable, counting in this replica",
                            extra={"error": type(exc).__name__})
            return await self.fallback.take(bucket, key)
        return math.inf if wait < 0 else wait

    async def close(self) -> None:
        await self.redis.aclose()


def make_limits(rates: dict[str, tuple[float, int]], redis_url: str | None, *,
                prefix: str = "bistand:rate") -> Limits:
    memory = MemoryLimits({name: TokenBuckets(rate, burst) for name, (rate, burst) in rates.items()})
    return RedisLimits(redis_url, rates, memory, prefix=prefix) if redis_url else memory
