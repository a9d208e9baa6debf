"""Rate limits and quotas: atomic counters in the cache, one mechanism for every caller.

`hit(scope, ident, limit=..., window=...)` counts one request (or `cost` units) against a fixed
window and says whether it is allowed, how many remain and when the window resets. Counting is one
atomic increment in the cache (Redis `INCRBY` through django-redis; local memory increments under
its own lock in the embedded mode), so parallel requests never lose an update: N requests against
a limit of L allow exactly min(N, L).

Callers: sign-in and sign-up limits, costly actions per user, uploads, the API throttle and its
RateLimit-* headers, event ingest per address. Identify the client with
`craftplatform.client_address.client_address`, never with REMOTE_ADDR directly.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class RateLimitResult:
    allowed: bool
    limit: int
    remaining: int
    reset_after: int  # seconds until the window starts again
    count: int

    @property
    def retry_after(self) -> int:
        return 0 if self.allowed else max(1, self.reset_after)


_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """A rate as settings write it → (limit, window seconds): '600/hour' → (600, 3600), '20/10m' → (20, 600)."""
    count, period = rate.split("/")
    match = re.fullmatch(r"(\d*)\s*([smhd])[a-z]*", period.strip().lower())
    if match is None:
        raise ValueError(f"Not a rate: {rate!r} (write it as 100/hour, 20/10m, 5/s).")
    return int(count), int(match.group(1) or 1) * _PERIODS[match.group(2)]


def _key(scope: str, ident: str, window: int, started: int) -> str:
    return f"ratelimit:{scope}:{ident}:{window}:{started}"


def hit(scope: str, ident: object, *, limit: int, window: int, cost: int = 1) -> RateLimitResult:
    """Count `cost` against `limit` per `window` seconds for (`scope`, `ident`)."""
    now = time.time()
    started = int(now // window) * window
    reset_after = max(1, math.ceil(started + window - now))
    key = _key(scope, str(ident or "-"), window, started)
    # The key outlives its window a little so a late increment never recreates it with a fresh count.
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key, cost)
    except ValueError:  # expired between add and incr
        cache.add(key, 0, timeout=window + 5)
        count = cache.incr(key, cost)
    allowed = count <= limit
    return RateLimitResult(
        allowed=allowed, limit=limit, remaining=max(0, limit - count), reset_after=reset_after, count=count
    )


def window_key(scope: str, ident: object, *, window: int) -> tuple[str, int]:
    """The current window's counter as the cache stores it (its full Redis key) and how long it lives.

    For a caller that counts in Redis itself, in one round trip with its own work (the page-event
    beacon's script): same key, same window, same lifetime as `hit`, so both count together when
    they share a Redis."""
    started = int(time.time() // window) * window
    return cache.make_key(_key(scope, str(ident or "-"), window, started)), window + 5


def peek(scope: str, ident: object, *, limit: int, window: int) -> RateLimitResult:
    """The current state of a limit without counting a request."""
    now = time.time()
    started = int(now // window) * window
    count = int(cache.get(_key(scope, str(ident or "-"), window, started)) or 0)
    return RateLimitResult(
        allowed=count < limit,
        limit=limit,
        remaining=max(0, limit - count),
        reset_after=max(1, math.ceil(started + window - now)),
        count=count,
    )
