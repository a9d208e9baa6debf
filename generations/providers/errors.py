"""What can go wrong when an AI provider is asked for something.

Every error is a `DomainError`: its `message` is safe to show to the user (no keys, no URLs with
credentials, no raw provider bodies). Each also says how the attempt ended (`call_status`, one of
`CallStatus`) and the HTTP status, if any, so the service can record the call.

    ProviderError                 permanent: the request will not work as it is
    ├── TransientProviderError    may pass: 429, 5xx, timeouts, connection errors (`retry_after`)
    ├── ContentRefused            the provider's content policy refused the request
    ├── MalformedResponse         the answer could not be read (or did not follow the instructions)
    └── ProviderNotConfigured     no enabled and configured provider for this
"""

from decimal import Decimal

from craftplatform.errors import DomainError
from generations.models import CallStatus


class ProviderError(DomainError):
    """A provider could not do what was asked, and asking again the same way will not help."""

    default_message = "The AI service could not do this. Please try again later."
    default_call_status = CallStatus.ERROR

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status_code: int | None = None,
        call_status: str | None = None,
        billed: bool = False,
    ) -> None:
        super().__init__(message, code=code)
        self.status_code = status_code
        self.call_status = call_status or self.default_call_status
        # The provider did the work (and charges for it) even though the answer is of no use.
        self.billed = billed
        # What the attempt cost, set when the attempt is recorded.
        self.cost = Decimal("0")


class TransientProviderError(ProviderError):
    """The provider is busy, down or slow; the same request may work later. `retry_after` is the
    number of seconds the provider asked us to wait (Retry-After), or None when it did not say."""

    default_message = "The AI service is busy or unavailable right now. Please try again in a minute."
    default_call_status = CallStatus.SERVER_ERROR

    def __init__(self, message: str | None = None, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ContentRefused(ProviderError):
    default_message = (
        "The AI service declined this request under its content policy. Please change the wording and try again."
    )
    default_call_status = CallStatus.REFUSED


class MalformedResponse(ProviderError):
    default_message = "The AI service sent an answer that could not be read."
    default_call_status = CallStatus.MALFORMED


class ProviderNotConfigured(ProviderError):
    default_message = "No AI provider is set up for this on this installation."
