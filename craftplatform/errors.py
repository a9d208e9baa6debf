"""The domain error base class: services raise these, views turn them into messages."""


class DomainError(Exception):
    """A business rule refused the request. `message` is safe to show to the user."""

    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = message or self.default_message
        self.code = code or self.__class__.__name__
        super().__init__(self.message)
