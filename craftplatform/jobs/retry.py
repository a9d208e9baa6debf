"""The retry policy: exponential backoff with full jitter, caps from settings."""

from __future__ import annotations

import random

from django.conf import settings


def max_attempts(setting_name: str = "JOBS_MAX_ATTEMPTS") -> int:
    return int(getattr(settings, setting_name))


def backoff_seconds(attempt: int, *, retry_after: float | None = None) -> float:
    """How long to wait before attempt `attempt + 1`: a random share (half to all) of
    `JOBS_BACKOFF_BASE_SECONDS * 2**(attempt - 1)`, never sooner than the provider asked
    (Retry-After), never more than `JOBS_BACKOFF_MAX_SECONDS` nor the broker's `CELERY_MAX_COUNTDOWN`."""
    base = float(settings.JOBS_BACKOFF_BASE_SECONDS)
    ceiling = base * 2 ** max(0, attempt - 1)
    countdown = random.uniform(0.5, 1.0) * ceiling  # noqa: S311 - jitter, not security
    if retry_after is not None:
        countdown = max(countdown, float(retry_after))
    return min(countdown, float(settings.JOBS_BACKOFF_MAX_SECONDS), float(settings.CELERY_MAX_COUNTDOWN))
