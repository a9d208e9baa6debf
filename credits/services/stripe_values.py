"""Stripe's values in ours: amounts in cents as Decimal money, times, the id of an expanded or bare object,
and the user an object belongs to."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from accounts.models import User
from credits.errors import UnknownStripeObject
from credits.models import CreditAccount


def to_amount(cents: int | None) -> Decimal:
    return (Decimal(cents or 0) / 100).quantize(Decimal("0.01"))


def to_cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def id_of(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def timestamp(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def user_for_stripe_object(metadata: dict[str, Any], customer_id: str | None) -> User:
    user_id = (metadata or {}).get("user_id")
    if user_id:
        user = User.objects.filter(pk=user_id).first()
        if user is not None:
            return user
    if customer_id:
        account = CreditAccount.objects.select_related("user").filter(stripe_customer_id=customer_id).first()
        if account is not None and account.user is not None:
            return account.user
    raise UnknownStripeObject(f"No user matches Stripe customer {customer_id!r}.")
