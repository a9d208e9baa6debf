"""Limits every upload entry point shares: how fast a user may upload, and how much they store.

- `check_upload_rate(user=, files=)` counts each uploaded file against UPLOAD_RATE_LIMIT per user
  (an atomic counter, craftplatform.ratelimit) before any file is read or decoded.
- Storage used is the sum of what each app reports for the user: apps register a source
  (`register_usage`) in their AppConfig.ready(), as they do for "download my data". The quota itself
  comes from the user's plan (credits.services.storage), which checks room before anything is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings

from craftplatform import ratelimit
from craftplatform.errors import DomainError

_usage_sources: dict[str, Callable[[Any], int]] = {}


class UploadRateLimited(DomainError):
    default_message = "Too many uploads in a short time."

    def __init__(self, message: str | None = None, *, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def check_upload_rate(*, user, files: int = 1) -> None:
    """Count `files` uploads for `user`; raises UploadRateLimited past UPLOAD_RATE_LIMIT."""
    rate = getattr(settings, "UPLOAD_RATE_LIMIT", "")
    if not rate:
        return
    limit, window = ratelimit.parse_rate(rate)
    result = ratelimit.hit("uploads", user.pk, limit=limit, window=window, cost=max(1, files))
    if not result.allowed:
        minutes = max(1, round(result.retry_after / 60))
        raise UploadRateLimited(
            f"You reached the upload limit of {_count(limit, 'file')} per {_period(window)}. "
            f"Try again in {_count(minutes, 'minute')}; nothing was stored.",
            retry_after=result.retry_after,
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def _period(seconds: int) -> str:
    for size, noun in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds % size == 0:
            return noun if seconds == size else _count(seconds // size, noun)
    return _count(seconds, "second")


def register_usage(name: str, source: Callable[[Any], int]) -> None:
    """An app's share of a user's stored bytes: `source(user)` answers it."""
    _usage_sources[name] = source


def bytes_used(user) -> int:
    return sum(int(source(user) or 0) for source in _usage_sources.values())


def human_bytes(size: int) -> str:
    """1234567890 → '1.1 GB', 5 * 1024**3 → '5 GB'."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            if unit == "bytes":
                return f"{int(value)} bytes"
            text = f"{value:.1f}".removesuffix(".0")
            return f"{text} {unit}"
        value /= 1024
    return f"{value:.1f} TB"
