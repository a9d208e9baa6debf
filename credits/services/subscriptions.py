"""Plans bought through Stripe Billing: subscriptions synced from Stripe, invoices paid or failed, and the
credits of a period that ended (expired or rolled over per the plan's rule).

Like checkout (billing.py), every handler fetches its object from Stripe first, then locks and writes,
so events may arrive in any order or twice; grants are keyed by the invoice.
"""

import logging
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from credits import emails, stripe_client
from credits.constants import (
    LIVE_SUBSCRIPTION_STATUSES,
    PaymentKind,
    PaymentStatus,
    Rollover,
    SubscriptionStatus,
    TransactionType,
)
from credits.errors import UnknownStripeObject
from credits.lock_objects import lock_account
from credits.models import (
    CreditAccount,
    CreditTransaction,
    Payment,
    SubscriptionChange,
    SubscriptionPlan,
    UserSubscription,
)
from credits.services.ledger import get_or_open_account, grant_credits
from credits.services.receipts import send_receipt_once
from credits.services.stripe_values import id_of, timestamp, to_amount, user_for_stripe_object
from credits.services.take_backs import take_back_credits

logger = logging.getLogger(__name__)


def _priceid_of(subscription: dict[str, Any]) -> str | None:
    items = (subscription.get("items") or {}).get("data") or []
    if not items:
        return None
    price = items[0].get("price") or items[0].get("plan") or {}
    return id_of(price)


def _period_of(subscription: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    start = subscription.get("current_period_start")
    end = subscription.get("current_period_end")
    if start is None:  # newer API versions keep the period on the item
        items = (subscription.get("items") or {}).get("data") or [{}]
        start, end = items[0].get("current_period_start"), items[0].get("current_period_end")
    return timestamp(start), timestamp(end)


def sync_subscription(*, subscription_id: str, event_id: str = "") -> UserSubscription:
    """Mirror a Stripe subscription's current state (plan, status, period), recording each change."""
    remote = stripe_client.retrieve_subscription(subscription_id)
    price_id = _priceid_of(remote)
    plan = SubscriptionPlan.objects.filter(stripe_price_id=price_id).first() if price_id else None
    if plan is None:
        raise UnknownStripeObject(f"Subscription {subscription_id} is on price {price_id!r}, which no plan has.")
    user = user_for_stripe_object(remote.get("metadata") or {}, id_of(remote.get("customer")))
    account = get_or_open_account(user=user)
    start, end = _period_of(remote)
    status = remote.get("status") or SubscriptionStatus.INCOMPLETE
    with transaction.atomic():
        lock_account(account.pk)  # one writer per account: concurrent events queue here
        local = UserSubscription.objects.select_for_update().filter(stripe_subscription_id=subscription_id).first()
        before = (local.plan_id, local.status) if local else (None, "")
        if local is None:
            local = UserSubscription(stripe_subscription_id=subscription_id, user=user, account=account)
        local.plan = plan
        local.status = status
        local.stripe_customer_id = id_of(remote.get("customer")) or ""
        local.current_period_start = start
        local.current_period_end = end
        local.cancel_at_period_end = bool(remote.get("cancel_at_period_end"))
        local.canceled_at = timestamp(remote.get("canceled_at"))
        local.ended_at = timestamp(remote.get("ended_at"))
        local.save()
        if before != (plan.pk, status):
            SubscriptionChange.objects.create(
                subscription=local,
                from_plan_id=before[0],
                to_plan=plan,
                from_status=before[1],
                to_status=status,
                stripe_event_id=event_id,
                note="" if before[0] else "Subscribed",
            )
    return local


def record_invoice_paid(*, invoice_id: str, event_id: str = "") -> Payment | None:
    """A plan's invoice was paid: grant the period's credits (keyed by invoice) and settle the last period's."""
    invoice = stripe_client.retrieve_invoice(invoice_id)
    subscription_id = _subscription_id_of_invoice(invoice)
    if not subscription_id:
        return None  # a one-off invoice (a credit pack's receipt): the checkout session grants those
    if invoice.get("status") != "paid":
        raise UnknownStripeObject(f"Invoice {invoice_id} is {invoice.get('status')!r}, not paid, at Stripe.")
    subscription = sync_subscription(subscription_id=subscription_id, event_id=event_id)
    plan = subscription.plan
    with transaction.atomic():
        account = lock_account(subscription.account_id)
        subscription = UserSubscription.objects.select_for_update().get(pk=subscription.pk)
        payment = _payment_for_invoice(invoice, subscription=subscription, status=PaymentStatus.SUCCEEDED)
        if payment.grant_id is not None:
            return payment
        carried = 0
        if subscription.last_invoice_id and subscription.period_credits:
            carried = _settle_previous_period(
                account, subscription, plan, key=f"stripe-invoice-expiry:{invoice_id}", until=None
            )
        credits = plan.credits_per_period
        if credits and subscription.user is not None:
            payment.grant = grant_credits(
                user=subscription.user,
                amount=credits,
                type=TransactionType.SUBSCRIPTION,
                idempotency_key=f"stripe-invoice:{invoice_id}",
                reference_type="payment",
                reference_id=str(payment.pk),
                description=f"{plan.name} plan: {credits} credits",
            )
        payment.credits = credits
        payment.status = PaymentStatus.SUCCEEDED
        payment.paid_at = payment.paid_at or timestamp((invoice.get("status_transitions") or {}).get("paid_at"))
        payment.paid_at = payment.paid_at or timezone.now()
        payment.save()
        subscription.period_credits = credits + carried
        subscription.carried_credits = carried
        subscription.last_invoice_id = invoice_id
        subscription.save(update_fields=["period_credits", "carried_credits", "last_invoice_id", "updated_at"])
        send_receipt_once(payment)
        return payment


def _settle_previous_period(
    account: CreditAccount,
    subscription: UserSubscription,
    plan: SubscriptionPlan,
    *,
    key: str,
    until: datetime | None,
) -> int:
    """Expire the last period's unused plan credits, or carry them over up to the plan's cap.

    Plan credits are spent before any others, so the unused part is the period's credits
    less what was used since they were granted (up to `until`, the period's end, when the
    settling runs later than that), and never more than is still available.
    """
    last = Payment.objects.select_related("grant").filter(provider_payment_id=subscription.last_invoice_id).first()
    since = last.grant.created_at if last and last.grant else subscription.current_period_start
    used_entries = CreditTransaction.objects.filter(
        account=account, type__in=[TransactionType.USAGE, TransactionType.REFUND], created_at__gte=since
    )
    if until is not None:
        used_entries = used_entries.filter(created_at__lte=until)
    used = -(used_entries.aggregate(total=Sum("amount"))["total"] or 0)
    unused = max(0, min(subscription.period_credits - used, account.available))
    carried = min(unused, plan.rollover_cap or 0) if plan.rollover == Rollover.ROLLOVER else 0
    expiring = unused - carried
    if expiring and subscription.user is not None:
        take_back_credits(
            user=subscription.user,
            amount=expiring,
            type=TransactionType.EXPIRY,
            idempotency_key=key,
            reference_type="subscription",
            reference_id=str(subscription.pk),
            description=f"Unused {plan.name} plan credits of the last period",
            record_shortfall=False,
        )
    return carried


def expire_ended_plan_credits(*, now: datetime | None = None) -> int:
    """At the end of a cancelled plan's last paid period, its unused credits expire (scheduled).

    What the plan's rule would have rolled over (up to its cap) stays with the user as
    ordinary credits; the rest expires. Each subscription is settled once (its period
    credits drop to zero), keyed by its last invoice. Returns how many were settled.
    """
    now = now or timezone.now()
    ended = (
        UserSubscription.objects.exclude(status__in=LIVE_SUBSCRIPTION_STATUSES)
        .filter(current_period_end__lte=now, period_credits__gt=0)
        .exclude(last_invoice_id="")
        .values_list("pk", "account_id")
    )
    settled = 0
    for subscription_id, account_id in list(ended):
        with transaction.atomic():
            account = lock_account(account_id)  # account, then subscription: the order every writer uses
            subscription = (
                UserSubscription.objects.select_for_update(of=("self",)).select_related("plan").get(pk=subscription_id)
            )
            end = subscription.current_period_end
            if subscription.status in LIVE_SUBSCRIPTION_STATUSES or not subscription.period_credits or not end:
                continue
            if end > now:
                continue
            carried = _settle_previous_period(
                account,
                subscription,
                subscription.plan,
                key=f"plan-ended-expiry:{subscription.pk}:{subscription.last_invoice_id}",
                until=end,
            )
            subscription.period_credits = 0
            subscription.carried_credits = carried
            subscription.save(update_fields=["period_credits", "carried_credits", "updated_at"])
            settled += 1
    return settled


def _subscription_id_of_invoice(invoice: dict[str, Any]) -> str | None:
    found = id_of(invoice.get("subscription"))
    if found:
        return found
    details = ((invoice.get("parent") or {}).get("subscription_details")) or {}
    return id_of(details.get("subscription"))


def _payment_for_invoice(invoice: dict[str, Any], *, subscription: UserSubscription, status: str) -> Payment:
    payment = Payment.objects.select_for_update().filter(provider_payment_id=invoice["id"]).first()
    if payment is None:
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    user=subscription.user,
                    account_id=subscription.account_id,
                    kind=PaymentKind.SUBSCRIPTION,
                    provider_payment_id=invoice["id"],
                    payment_intent_id=id_of(invoice.get("payment_intent")),
                    subscription=subscription,
                    amount=to_amount(invoice.get("amount_paid") or invoice.get("amount_due")),
                    currency=invoice.get("currency") or subscription.plan.currency,
                    status=status,
                    invoice_url=invoice.get("hosted_invoice_url") or "",
                    metadata={"invoice": invoice["id"], "plan": subscription.plan.slug},
                )
        except IntegrityError:
            payment = Payment.objects.select_for_update().get(provider_payment_id=invoice["id"])
    if invoice.get("hosted_invoice_url") and not payment.invoice_url:
        payment.invoice_url = invoice["hosted_invoice_url"]
    if status == PaymentStatus.SUCCEEDED:
        payment.amount = to_amount(invoice.get("amount_paid"))
        payment.payment_intent_id = payment.payment_intent_id or id_of(invoice.get("payment_intent"))
    return payment


def record_invoice_payment_failed(*, invoice_id: str, event_id: str = "") -> Payment | None:
    invoice = stripe_client.retrieve_invoice(invoice_id)
    subscription_id = _subscription_id_of_invoice(invoice)
    if not subscription_id:
        return None
    subscription = sync_subscription(subscription_id=subscription_id, event_id=event_id)
    with transaction.atomic():
        payment = _payment_for_invoice(invoice, subscription=subscription, status=PaymentStatus.FAILED)
        if payment.status == PaymentStatus.SUCCEEDED:
            return payment  # paid on a later attempt: the failure is old news
        newly_failed = payment.status != PaymentStatus.FAILED or not payment.failure_message
        payment.status = PaymentStatus.FAILED
        error = (invoice.get("last_finalization_error") or {}).get("message") or ""
        payment.failure_message = (error or "Your card was declined.")[:255]
        payment.save()
        if newly_failed and payment.user is not None:
            emails.send_payment_failed(payment)
        return payment


# ---------------------------------------------------------------------------
# Staff: packs and plans into Stripe
# ---------------------------------------------------------------------------
