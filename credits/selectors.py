"""Reads of credits data for pages and the API, always scoped to the requesting user."""

from datetime import date

from django.db.models import QuerySet

from credits.constants import Operation
from credits.models import CreditAccount, CreditTransaction, PricingRule
from credits.services import get_or_open_account, quote


def account_for(*, user) -> CreditAccount:
    return get_or_open_account(user=user)


def transactions_for(
    *, user, type: str = "", date_from: date | None = None, date_to: date | None = None
) -> QuerySet[CreditTransaction]:
    entries = CreditTransaction.objects.filter(account__user=user).order_by("-created_at")
    if type:
        entries = entries.filter(type=type)
    if date_from:
        entries = entries.filter(created_at__date__gte=date_from)
    if date_to:
        entries = entries.filter(created_at__date__lte=date_to)
    return entries


def price_list_for(*, user) -> list[dict]:
    """Each enabled operation with what it costs this user now."""
    rules = {rule.operation: rule for rule in PricingRule.objects.filter(enabled=True)}
    prices = []
    for operation in Operation:
        if operation.value not in rules:
            continue
        priced = quote(user=user, operation=operation.value)
        prices.append(
            {
                "operation": operation.value,
                "label": operation.label,
                "cost": priced.unit_cost,
                "daily_limit": rules[operation.value].daily_limit,
                "description": rules[operation.value].description,
            }
        )
    return prices
