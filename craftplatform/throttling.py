"""The API throttle: one atomic counter per client (craftplatform.ratelimit), with RateLimit-* headers.

DRF's own UserRateThrottle reads a list of timestamps from the cache, appends and writes it back:
parallel requests overwrite each other's writes and more requests pass than the rate allows. This
throttle counts with one atomic increment per request, so N parallel requests against a limit of L
let exactly L through. The limit is `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["user"]` (API_THROTTLE_RATE),
counted per signed-in user (whether by API key or session) and per client address otherwise.

Every throttled answer carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`
(seconds until the window starts again); a refused one answers 429 with `Retry-After`.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from craftplatform import ratelimit
from craftplatform.client_address import client_key

# The request attribute the headers middleware reads (set on Django's HttpRequest under DRF's).
RESULT_ATTRIBUTE = "_craftads_ratelimit"


class AtomicRateThrottle(BaseThrottle):
    scope = "user"

    def allow_request(self, request, view) -> bool:
        rate = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(self.scope)
        if not rate:
            return True
        limit, window = ratelimit.parse_rate(rate)
        user = getattr(request, "user", None)
        ident = f"user:{user.pk}" if user is not None and user.is_authenticated else f"ip:{client_key(request)}"
        self.result = ratelimit.hit(f"api:{self.scope}", ident, limit=limit, window=window)
        setattr(request._request, RESULT_ATTRIBUTE, self.result)
        return self.result.allowed

    def wait(self) -> float | None:
        result = getattr(self, "result", None)
        return result.retry_after if result is not None else None


def add_headers(response, result: ratelimit.RateLimitResult) -> None:
    response["RateLimit-Limit"] = str(result.limit)
    response["RateLimit-Remaining"] = str(result.remaining)
    response["RateLimit-Reset"] = str(result.reset_after)
    if not result.allowed:
        response["Retry-After"] = str(result.retry_after)
