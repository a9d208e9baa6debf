"""Which plan a user is on: their live subscription's plan, or the free plan."""

from typing import Any

from accounts.models import User
from credits.constants import LIVE_SUBSCRIPTION_STATUSES, Tier
from credits.models import CreditAccount, SubscriptionPlan, UserSubscription


def free_plan() -> SubscriptionPlan | None:
    return SubscriptionPlan.objects.filter(tier=Tier.FREE, is_active=True).order_by("display_order", "price").first()


def _live_subscription(**owner: Any) -> UserSubscription | None:
    return (
        UserSubscription.objects.select_related("plan")
        .filter(status__in=LIVE_SUBSCRIPTION_STATUSES, **owner)
        .order_by("-current_period_end", "-created_at")
        .first()
    )


def live_subscription(*, account_id: Any) -> UserSubscription | None:
    return _live_subscription(account_id=account_id)


def live_subscription_for_user(*, user: User) -> UserSubscription | None:
    return _live_subscription(account__user=user)


def plan_for_account(account: CreditAccount) -> SubscriptionPlan | None:
    subscription = live_subscription(account_id=account.pk)
    return subscription.plan if subscription else free_plan()


def plan_for_user(user: User) -> SubscriptionPlan | None:
    subscription = live_subscription_for_user(user=user)
    return subscription.plan if subscription else free_plan()


def tier_for_user(user: User) -> str:
    plan = plan_for_user(user)
    return plan.tier if plan else Tier.FREE


def watermark_required(*, user: User) -> bool:
    """Results carry the watermark on plans that say so (the free plan), and when no plan is set up at all."""
    plan = plan_for_user(user)
    return True if plan is None else plan.has_watermark
