"""Token buckets: a steady rate with room for a burst, per key, in this process.

Each replica limits on its own, so a gateway's effective limit is the per-key
rate times the number of intake replicas behind the load balancer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, burst_seconds: float = 2.0, max_keys: int = 100_000) -> None:
        self.burst_seconds = burst_seconds
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    def acquire(self, key: str, rate_per_s: float, now: float) -> float:
        """Take one token; 0 if allowed, else the seconds until one is available."""
        capacity = max(1.0, rate_per_s * self.burst_seconds)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._buckets.clear()
            bucket = self._buckets[key] = _Bucket(tokens=capacity, updated=now)
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * rate_per_s)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return math.ceil((1.0 - bucket.tokens) / rate_per_s * 1000) / 1000
