"""What an action costs a user now, and whether they may do it: one function every paid action uses."""

import json
import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from craftplatform import ratelimit
from craftplatform.db_statements import statement_cursor
from credits.constants import LIVE_SUBSCRIPTION_STATUSES, TIER_ORDER, HoldStatus, Operation, Tier
from credits.errors import OperationNotAllowed
from credits.models import CreditAccount, CreditHold, PricingRule
from credits.services import plans
from credits.services.holds import take_hold
from credits.services.ledger import get_or_open_account, projected_available


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


def _unit_cost(rule: "PricingRule | _Price", tier: str) -> tuple[int, float]:
    multiplier = float((rule.tier_multipliers or {}).get(tier, 1.0))
    return (math.ceil(rule.base_cost * multiplier) if rule.base_cost else 0), multiplier


def _tier_refusal(rule: "PricingRule | _Price", tier: str) -> str:
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


@dataclass(frozen=True)
class _Price:
    """What hold_for_operation needs of an operation's pricing rule, and the user's tier."""

    operation: str
    base_cost: int
    tier_multipliers: dict[str, Any]
    daily_limit: int | None
    rate_limit_per_minute: int | None
    minimum_tier: str
    enabled: bool
    tier: str

    def get_operation_display(self) -> str:
        return str(Operation(self.operation).label) if self.operation in Operation.values else self.operation


# The rule and the tier of the user's plan in one read: a paid job's first statement. The tier is
# plans.tier_for_user's (the live subscription's plan, newest period first; else the free plan,
# whose tier is free by definition, so no second look-up): tests/credits/test_holds_in_one_statement.py
# holds the two to the same answer.
PRICE_AND_TIER_SQL = """
SELECT r.operation, r.base_cost, r.tier_multipliers, r.daily_limit, r.rate_limit_per_minute, r.minimum_tier, r.enabled,
       (SELECT p.tier
          FROM credits_usersubscription s
          JOIN credits_creditaccount a ON a.id = s.account_id
          JOIN credits_subscriptionplan p ON p.id = s.plan_id
         WHERE a.user_id = %s AND s.status IN (%s, %s, %s)
         ORDER BY s.current_period_end DESC, s.created_at DESC
         LIMIT 1)
  FROM credits_pricingrule r
 WHERE r.operation = %s
"""
LIVE_STATUSES = sorted(status.value for status in LIVE_SUBSCRIPTION_STATUSES)  # one per %s above


def _price_for(*, user: User, operation: str) -> _Price | None:
    with statement_cursor() as cursor:
        # The key as the backend stores it (SQLite keeps UUIDs as hex text).
        user_id = User._meta.pk.get_db_prep_value(user.pk, connection)
        cursor.execute(PRICE_AND_TIER_SQL, [user_id, *LIVE_STATUSES, operation])
        row = cursor.fetchone()
    if row is None:
        return None
    name, base_cost, multipliers, daily_limit, per_minute, minimum_tier, enabled, tier = row
    if isinstance(multipliers, str):  # Django reads JSON columns as text; the ORM's JSONField decodes it
        multipliers = json.loads(multipliers)
    return _Price(
        operation=name,
        base_cost=base_cost,
        tier_multipliers=multipliers or {},
        daily_limit=daily_limit,
        rate_limit_per_minute=per_minute,
        minimum_tier=minimum_tier,
        enabled=bool(enabled),
        tier=tier or Tier.FREE.value,
    )


def _check_rate(user: User, rule: PricingRule | _Price, quantity: int) -> None:
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

    The path every paid job takes at its request: the price and the plan's tier are one read,
    and the limits and what is available are checked under the account lock that takes the
    hold (on PostgreSQL one statement, credits/services/hold_statements.py, unless the rule has
    a daily limit to count under the lock). `quote` is for pages, which show the price before
    anything is held.
    """
    if quantity < 1:
        raise OperationNotAllowed("Choose at least one.")
    rule = _price_for(user=user, operation=operation)
    if rule is None or not rule.enabled:
        raise OperationNotAllowed("This action is switched off.")
    tier = rule.tier
    unit_cost, multiplier = _unit_cost(rule, tier)
    total = unit_cost * quantity
    refusal = _tier_refusal(rule, tier)
    if refusal:
        raise OperationNotAllowed(refusal)
    _check_rate(user, rule, quantity)
    daily_limit = rule.daily_limit

    def within_daily_limit(account: CreditAccount) -> None:
        # Counted under the account lock: two requests at once cannot both take the last unit.
        if daily_limit is not None and _used_today(account.pk, operation) + quantity > daily_limit:
            raise OperationNotAllowed(
                f"You reached today's limit of {daily_limit} for this; it resets at midnight UTC."
            )

    hold, available = take_hold(
        user=user,
        amount=total,
        reference_type=reference_type,
        reference_id=reference_id,
        operation=operation,
        quantity=quantity,
        idempotency_key=idempotency_key,
        description=description or f"{rule.get_operation_display()} × {quantity}",
        ttl=ttl,
        # Only a daily limit needs a count under the lock; without one the hold can be one statement.
        check=within_daily_limit if daily_limit is not None else None,
    )
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
