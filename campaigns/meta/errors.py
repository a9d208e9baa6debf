"""Graph API errors in the product's words: what failed, whether waiting or reconnecting helps.

The client maps every `FacebookRequestError` to one of these; nothing outside `campaigns/meta/`
sees the SDK's exception. Messages never carry the access token (the SDK's own message holds the
request's parameters, so it is not kept).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

# Graph codes that mean "too many calls": wait, then try again.
RATE_LIMIT_CODES = {4, 17, 32, 613, 80000, 80001, 80002, 80003, 80004, 80005, 80006, 80008, 80009, 80014, 2446079}
# The token is expired, revoked or otherwise invalid: the user must connect again.
AUTH_CODES = {102, 190}
TRANSIENT_CODES = {1, 2}
USAGE_HEADERS = ("x-business-use-case-usage", "x-ad-account-usage", "x-app-usage")


@dataclass
class MetaError(Exception):
    message: str
    code: int | None = None
    subcode: int | None = None
    user_title: str = ""
    user_message: str = ""
    http_status: int | None = None

    def __str__(self) -> str:
        return self.explanation

    @property
    def explanation(self) -> str:
        """Meta's words for the user where it gave them, else its message."""
        if self.user_message:
            return f"{self.user_title}: {self.user_message}" if self.user_title else self.user_message
        return self.message


class MetaAuthError(MetaError):
    """Error 190 and friends: the connection needs the user to log in with Facebook again."""


@dataclass
class MetaRateLimited(MetaError):
    wait_seconds: int = 0
    usage: dict | None = None


class MetaTransientError(MetaError):
    """A 5xx or an error Meta marks transient: the same call may succeed later."""


class MetaInvalidRequest(MetaError):
    """Meta refused what we sent (error 100 and the like): the user has to change something."""


class MetaNotConfigured(MetaError):
    """No Meta app is configured (META_APP_ID / META_APP_SECRET)."""


def _parse_header(value: str | None) -> dict:
    if not value:
        return {}
    try:
        parsed = json.loads(value)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def usage_from_headers(headers) -> dict:
    """The three usage headers, parsed (on successes and errors alike)."""
    lowered = {str(k).lower(): v for k, v in (headers or {}).items()}
    return {name: _parse_header(lowered.get(name)) for name in USAGE_HEADERS if lowered.get(name)}


def wait_from_usage(usage: dict) -> int:
    """Seconds Meta asks us to wait: the largest `estimated_time_to_regain_access` (minutes) of the
    business use case entries, or the ad account's `reset_time_duration` (seconds)."""
    wait = 0
    for entries in usage.get("x-business-use-case-usage", {}).values():
        for entry in entries if isinstance(entries, list) else [entries]:
            if isinstance(entry, dict):
                wait = max(wait, int(entry.get("estimated_time_to_regain_access") or 0) * 60)
    account = usage.get("x-ad-account-usage", {})
    wait = max(wait, int(account.get("reset_time_duration") or 0))
    return wait


def from_graph_error(*, body, http_status: int | None, headers, min_wait: int) -> MetaError:
    error = body.get("error", {}) if isinstance(body, dict) else {}
    code = error.get("code")
    fields = {
        "message": str(error.get("message") or f"Meta answered with HTTP {http_status}."),
        "code": code,
        "subcode": error.get("error_subcode"),
        "user_title": str(error.get("error_user_title") or ""),
        "user_message": str(error.get("error_user_msg") or ""),
        "http_status": http_status,
    }
    if code in RATE_LIMIT_CODES or error.get("error_subcode") in RATE_LIMIT_CODES:
        usage = usage_from_headers(headers)
        return MetaRateLimited(**fields, wait_seconds=max(min_wait, wait_from_usage(usage)), usage=usage)
    if code in AUTH_CODES:
        return MetaAuthError(**fields)
    if (http_status or 0) >= 500 or code in TRANSIENT_CODES or error.get("is_transient"):
        return MetaTransientError(**fields)
    return MetaInvalidRequest(**fields)
