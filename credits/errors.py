from craftplatform.errors import DomainError


class CreditError(DomainError):
    default_message = "The credits could not be changed."


class InsufficientCredits(CreditError):
    default_message = "You do not have enough credits for this."

    def __init__(self, *, needed: int, available: int) -> None:
        self.needed = needed
        self.available = available
        super().__init__(f"This needs {needed} credits and you have {available} available.")


class IdempotencyConflict(CreditError):
    default_message = "This request was already made with different details."


class OperationNotAllowed(CreditError):
    default_message = "This action is not available to you right now."


class BillingError(CreditError):
    default_message = "The purchase could not be started."


class UnknownStripeObject(CreditError):
    """An event names something we cannot match yet: answered with an error so Stripe retries it."""


class NotYourCheckout(CreditError):
    default_message = "This checkout belongs to another account."
