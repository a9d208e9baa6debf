"""Reads of credits data for pages and the API, always scoped to the requesting user."""

from datetime import date

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from credits import price_list
from credits.constants import PaymentStatus
from credits.models import CreditAccount, CreditPackage, CreditTransaction, Payment, SubscriptionPlan
from credits.services import billing, get_or_open_account, plans
from credits.services.ledger import projected_available


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
    """Each action with what it costs this user now (credits.price_list, the one price list)."""
    return price_list.price_list_for(user=user)


def plan_summary_for(*, user) -> dict:
    """The user's plan, subscription and today's free credits, for the overview page."""
    account = get_or_open_account(user=user)
    subscription = plans.live_subscription_for_user(user=user)
    plan = subscription.plan if subscription else plans.free_plan()
    today = timezone.localdate()
    allowance = plan.daily_allowance if plan and settings.CREDITS_DAILY_ALLOWANCE else 0
    if account.daily_reset_date == today:
        allowance_left = max(0, account.daily_allowance - account.daily_used)
        allowance_today = account.daily_allowance
    else:
        allowance_left = allowance_today = allowance
    return {
        "account": account,
        "available": projected_available(account),
        "plan": plan,
        "subscription": subscription,
        "allowance_today": allowance_today,
        "allowance_left": allowance_left,
        "can_manage_billing": bool(account.stripe_customer_id) and billing.billing_enabled(),
    }


def payments_for(*, user) -> QuerySet[Payment]:
    return (
        Payment.objects.filter(account__user=user)
        .exclude(status__in=[PaymentStatus.PENDING, PaymentStatus.EXPIRED])
        .select_related("package", "subscription__plan")
        .order_by("-created_at")
    )


def payment_for_checkout(*, user, session_id: str) -> Payment | None:
    return Payment.objects.filter(account__user=user, provider_payment_id=session_id).first()


def packages_on_sale() -> list[CreditPackage]:
    return billing.purchasable_packages()


def plans_on_offer() -> list[SubscriptionPlan]:
    return list(SubscriptionPlan.objects.filter(is_active=True).order_by("display_order", "price"))
