"""Domain errors of generations; each message is safe to show to the user."""

from craftplatform.errors import DomainError


class GenerationError(DomainError):
    default_message = "The generation could not be made."


class InvalidGenerationRequest(GenerationError):
    """The request itself is wrong; `problems` maps a field name to its message."""

    default_message = "Please correct the errors below."

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(self.problems.values()) or self.default_message, code="invalid_request")


class GenerationNotRetryable(GenerationError):
    default_message = "Only a failed generation can be retried."


class RequestKeyConflict(GenerationError):
    """The request key was already used for a different request (answered 409 by the API)."""

    default_message = "This request was already made with different choices. Reload the page and try again."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message, code="idempotency_conflict")
