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
        super().__init__(message or self.default_message, code="idempotency_key_reused")


class UploadRejected(DomainError):
    """One or more uploaded files are not acceptable; `problems` lists (file name, reason)."""

    default_message = "The file could not be uploaded."

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = self.problems[0][1]
        else:
            message = " ".join(f"{name}: {reason}" for name, reason in self.problems)
        super().__init__(message or self.default_message, code="upload_rejected")


class JobNotCancellable(GenerationError):
    """The job has started (`job_running`) or finished (`job_finished`): only a queued one can be cancelled.
    Answered 409 by the API."""

    default_message = "Only a job that has not started yet can be cancelled."
