"""The one way providers talk HTTP: a POST with a JSON body through httpx, with a time limit, a cap on
the size of the answer, and the HTTP errors every provider shares turned into provider errors.

Transport failures become `TransientProviderError` (timeouts, refused connections): the job may try
again. No request headers (keys) and no bodies (images) are logged here or put in an error message.
"""

import email.utils
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from django.conf import settings

from craftplatform.logging import redact
from generations.models import CallStatus
from generations.providers.errors import MalformedResponse, ProviderError, TransientProviderError

logger = logging.getLogger(__name__)

# How much of a provider's own error text is passed on to staff and users.
DETAIL_CHARS = 300


@dataclass(frozen=True)
class HttpAnswer:
    status_code: int
    headers: httpx.Headers
    body: bytes
    service: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise MalformedResponse(
                f"{self.service} sent an answer that is not valid JSON.", status_code=self.status_code
            ) from exc

    def json_object(self) -> dict:
        data = self.json()
        if not isinstance(data, dict):
            raise MalformedResponse(
                f"{self.service} sent an answer of an unexpected shape.", status_code=self.status_code
            )
        return data

    def error_json(self) -> dict:
        """The JSON body of an error answer, or {} when it has none (an HTML page from a proxy)."""
        try:
            data = json.loads(self.body)
        except (UnicodeDecodeError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}


def post_json(
    *,
    service: str,
    url: str,
    payload: dict,
    headers: dict[str, str] | None = None,
    auth: httpx.Auth | tuple[str, str] | None = None,
) -> HttpAnswer:
    """POST `payload` as JSON and read the whole answer (within the time and size limits)."""
    timeout = float(settings.AI_PROVIDER_TIMEOUT_SECONDS)
    max_bytes = settings.AI_PROVIDER_MAX_RESPONSE_BYTES
    deadline = time.monotonic() + timeout
    try:
        with (
            httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False, auth=auth) as client,
            client.stream("POST", url, json=payload, headers=headers) as response,
        ):
            chunks: list[bytes] = []
            received = 0
            for chunk in response.iter_bytes():
                received += len(chunk)
                if received > max_bytes:
                    raise MalformedResponse(
                        f"{service} sent an answer larger than this installation accepts.",
                        status_code=response.status_code,
                    )
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("the answer took longer than the time limit")
                chunks.append(chunk)
            return HttpAnswer(response.status_code, response.headers, b"".join(chunks), service)
    except httpx.TimeoutException as exc:
        raise TransientProviderError(
            f"{service} did not answer within {timeout:g} seconds.", call_status=CallStatus.TIMEOUT
        ) from exc
    except httpx.TransportError as exc:
        # The exception's text can name the host and its credentials: only its type is logged.
        logger.warning("AI provider unreachable: %s (%s)", service, type(exc).__name__)
        raise TransientProviderError(f"{service} could not be reached.", call_status=CallStatus.ERROR) from exc


def parse_retry_after(headers: httpx.Headers, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), or retry-after-ms."""
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    return None


def clean_detail(text: object, *, secrets: tuple[str, ...] = ()) -> str:
    """A provider's own error text, safe to store and show: secrets removed, shortened."""
    if not isinstance(text, str):
        return ""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    text = redact(" ".join(text.split()))
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


def raise_for_status(answer: HttpAnswer, *, detail: str = "") -> None:
    """The errors every HTTP provider shares. Call after a provider's own checks (content policy)."""
    if answer.ok:
        return
    code, service = answer.status_code, answer.service
    suffix = f" ({detail})" if detail else ""
    if code == 429:
        raise TransientProviderError(
            f"{service} is receiving too many requests right now.",
            retry_after=parse_retry_after(answer.headers),
            status_code=code,
            call_status=CallStatus.RATE_LIMITED,
        )
    if code >= 500:
        raise TransientProviderError(
            f"{service} had a problem on its side (HTTP {code}).",
            retry_after=parse_retry_after(answer.headers),
            status_code=code,
            call_status=CallStatus.SERVER_ERROR,
        )
    if code == 408:
        raise TransientProviderError(
            f"{service} timed out the request.",
            retry_after=parse_retry_after(answer.headers),
            status_code=code,
            call_status=CallStatus.TIMEOUT,
        )
    if code in (401, 403):
        raise ProviderError(
            f"{service} refused this installation's credentials. Please tell the site's staff.",
            code="provider_auth",
            status_code=code,
        )
    if code == 404:
        raise ProviderError(
            f"{service} does not offer what was asked (HTTP 404){suffix}. Please tell the site's staff.",
            code="provider_not_found",
            status_code=code,
        )
    if 300 <= code < 400:
        raise ProviderError(
            f"{service} answered with a redirect (HTTP {code}); check its address in the settings.",
            code="provider_redirect",
            status_code=code,
        )
    raise ProviderError(
        f"{service} rejected the request (HTTP {code}){suffix}.", code="provider_rejected", status_code=code
    )
