"""What an action costs a user now, and whether they may do it: one function every paid action uses."""

import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from craftplatform import ratelimit
from credits.constants import TIER_ORDER, HoldStatus, Tier
from credits.errors import OperationNotAllowed
from credits.models import CreditAccount, CreditHold, PricingRule
from credits.services import plans
from credits.services.ledger import get_or_open_account, hold_credits, projected_available


def user_tier(user: User) -> str:
    """The tier of the user's plan: their live subscription's, or free."""
    return plans.tier_for_user(user)


@dataclass(frozen=True)
class Quote:
    operation: str
    quantity: int
    unit_cost: int
    total: int
    tier: str
    available: int
    allowed: bool
    reason: str = ""
    needs_credits: int = 0
    details: dict[str, Any] = field(default_factory=dict[str, Any])

    @property
    def affordable(self) -> bool:
        return self.available >= self.total


def _used_today(account_id: Any, operation: str) -> int:
    start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        CreditHold.objects.filter(account_id=account_id, operation=operation, created_at__gte=start)
        .exclude(status=HoldStatus.RELEASED)
        .aggregate(total=Sum("quantity"))["total"]
        or 0
    )


def _unit_cost(rule: PricingRule, tier: str) -> tuple[int, float]:
    multiplier = float((rule.tier_multipliers or {}).get(tier, 1.0))
    return (math.ceil(rule.base_cost * multiplier) if rule.base_cost else 0), multiplier


def _tier_refusal(rule: PricingRule, tier: str) -> str:
    if TIER_ORDER.index(Tier(tier)) < TIER_ORDER.index(Tier(rule.minimum_tier)):
        return f"This needs the {Tier(rule.minimum_tier).label} plan or higher."
    return ""


def quote(*, user: User, operation: str, quantity: int = 1) -> Quote:
    """The price of `quantity` units of `operation` for this user, and whether they may do it now."""
    if quantity < 1:
        raise OperationNotAllowed("Choose at least one.")
    rule = PricingRule.objects.filter(operation=operation).first()
    account = get_or_open_account(user=user)
    tier = user_tier(user)
    available = projected_available(account)
    if rule is None or not rule.enabled:
        return Quote(operation, quantity, 0, 0, tier, available, False, "This action is switched off.")
    unit_cost, multiplier = _unit_cost(rule, tier)
    total = unit_cost * quantity
    # The plan comes first: the other reasons would not help.
    reason = _tier_refusal(rule, tier)
    if not reason and rule.daily_limit is not None and _used_today(account.pk, operation) + quantity > rule.daily_limit:
        reason = f"You reached today's limit of {rule.daily_limit} for this; it resets at midnight UTC."
    elif not reason and available < total:
        reason = f"This needs {total} credits and you have {available} available."
    return Quote(
        operation=operation,
        quantity=quantity,
        unit_cost=unit_cost,
        total=total,
        tier=tier,
        available=available,
        allowed=not reason,
        reason=reason,
        needs_credits=max(0, total - available),
        details={"base_cost": rule.base_cost, "multiplier": multiplier, "daily_limit": rule.daily_limit},
    )


def _check_rate(user: User, rule: PricingRule, quantity: int) -> None:
    if not rule.rate_limit_per_minute:
        return
    result = ratelimit.hit(
        f"credits:{rule.operation}", user.pk, limit=rule.rate_limit_per_minute, window=60, cost=quantity
    )
    if not result.allowed:
        raise OperationNotAllowed("Too many requests in a minute for this action. Wait a moment and try again.")


def hold_for_operation(
    *,
    user: User,
    operation: str,
    quantity: int,
    reference_type: str,
    reference_id: str,
    idempotency_key: str | None = None,
    description: str = "",
    ttl: timedelta | None = None,
) -> tuple[CreditHold, Quote]:
    """Price the action, check the user may do it, and hold its credits; raises a DomainError otherwise.

    The path every paid job takes at its request: the price and the plan are read once, and
    the limits and what is available are checked under the account lock that takes the hold
    (`quote` is for pages, which show the price before anything is held).
    """
    if quantity < 1:
        raise OperationNotAllowed("Choose at least one.")
    rule = PricingRule.objects.filter(operation=operation).first()
    if rule is None or not rule.enabled:
        raise OperationNotAllowed("This action is switched off.")
    tier = user_tier(user)
    unit_cost, multiplier = _unit_cost(rule, tier)
    total = unit_cost * quantity
    refusal = _tier_refusal(rule, tier)
    if refusal:
        raise OperationNotAllowed(refusal)
    _check_rate(user, rule, quantity)
    seen: dict[str, int] = {}

    def within_daily_limit(account: CreditAccount) -> None:
        # Counted under the account lock: two requests at once cannot both take the last unit.
        if rule.daily_limit is not None and _used_today(account.pk, operation) + quantity > rule.daily_limit:
            raise OperationNotAllowed(
                f"You reached today's limit of {rule.daily_limit} for this; it resets at midnight UTC."
            )
        seen["available"] = account.available

    hold = hold_credits(
        user=user,
        amount=total,
        reference_type=reference_type,
        reference_id=reference_id,
        operation=operation,
        quantity=quantity,
        idempotency_key=idempotency_key,
        description=description or f"{rule.get_operation_display()} × {quantity}",
        ttl=ttl,
        check=within_daily_limit,
    )
    available = seen.get("available", 0)
    priced = Quote(
        operation=operation,
        quantity=quantity,
        unit_cost=unit_cost,
        total=total,
        tier=tier,
        available=available,
        allowed=True,
        details={"base_cost": rule.base_cost, "multiplier": multiplier, "daily_limit": rule.daily_limit},
    )
    return hold, priced
