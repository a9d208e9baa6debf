"""Stripe's values in ours: amounts in cents as Decimal money, and the id of an expanded or bare object."""

from decimal import Decimal
from typing import Any


def to_amount(cents: int | None) -> Decimal:
    return (Decimal(cents or 0) / 100).quantize(Decimal("0.01"))


def to_cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def id_of(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("id")
    return value or None
