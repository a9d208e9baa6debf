"""Buying credits: Stripe Checkout for packs and plans, the Billing Portal, and fulfilment.

Stripe's own state is the truth for what was paid: every handler fetches the object
it is about from Stripe before acting, so events may arrive in any order, twice, or
at the same time, and the result is the same. Grants are keyed by the Stripe object
(`stripe-checkout:<session>`, `stripe-invoice:<invoice>`), so the webhook and the
success page, calling the same function, grant once between them.
"""

import logging
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from credits import emails, stripe_client
from credits.constants import (
    PaymentKind,
    PaymentStatus,
    Rollover,
    SubscriptionStatus,
    TransactionType,
)
from credits.errors import CreditError
from credits.lock_objects import lock_account
from credits.models import (
    CreditAccount,
    CreditPackage,
    CreditTransaction,
    Payment,
    SubscriptionChange,
    SubscriptionPlan,
    UserSubscription,
)
from credits.services import plans
from credits.services.ledger import get_or_open_account, grant_credits, take_back_credits

logger = logging.getLogger(__name__)


class BillingError(CreditError):
    default_message = "The purchase could not be started."


class UnknownStripeObject(CreditError):
    """An event names something we cannot match yet: answered with an error so Stripe retries it."""


class NotYourCheckout(CreditError):
    default_message = "This checkout belongs to another account."


def billing_enabled() -> bool:
    return stripe_client.is_configured()


def _to_amount(cents: int | None) -> Decimal:
    return (Decimal(cents or 0) / 100).quantize(Decimal("0.01"))


def _to_cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def _timestamp(value) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# ---------------------------------------------------------------------------
# Starting a purchase
# ---------------------------------------------------------------------------


def ensure_customer(*, user) -> str:
    """The user's Stripe customer id, created once (keyed by our account id, so a retry finds the same one)."""
    account = get_or_open_account(user=user)
    if account.stripe_customer_id:
        return account.stripe_customer_id
    customer = stripe_client.create_customer(
        email=user.email,
        name=user.get_full_name() if hasattr(user, "get_full_name") else "",
        user_id=str(user.pk),
        idempotency_key=f"customer:{account.pk}",
    )
    with transaction.atomic():
        locked = lock_account(account.pk)
        if not locked.stripe_customer_id:
            locked.stripe_customer_id = customer["id"]
            locked.save(update_fields=["stripe_customer_id", "updated_at"])
    return locked.stripe_customer_id


def purchasable_packages():
    now = timezone.now()
    return [
        package
        for package in CreditPackage.objects.filter(is_active=True)
        if (package.promotion_starts_at is None or package.promotion_starts_at <= now)
        and (package.promotion_ends_at is None or package.promotion_ends_at > now)
    ]


def start_pack_checkout(*, user, package_id) -> str:
    """Open a Stripe Checkout session for a credit pack; returns the URL to send the user to."""
    if not billing_enabled():
        raise stripe_client.BillingUnavailable()
    package = next((p for p in purchasable_packages() if str(p.pk) == str(package_id)), None)
    if package is None:
        raise BillingError("This credit pack is not on sale.")
    if not package.stripe_price_id:
        raise BillingError("This credit pack is not ready for sale yet. Please try again later.")
    customer_id = ensure_customer(user=user)
    account = CreditAccount.objects.get(user=user)
    payment_id = uuid.uuid4()
    metadata = {
        "kind": PaymentKind.CREDIT_PACK,
        "payment_id": str(payment_id),
        "user_id": str(user.pk),
        "package_id": str(package.pk),
        "credits": str(package.total_credits),
    }
    session = stripe_client.create_checkout_session(
        params={
            "mode": "payment",
            "customer": customer_id,
            "client_reference_id": str(user.pk),
            "line_items": [{"price": package.stripe_price_id, "quantity": 1}],
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "invoice_creation": {"enabled": True},
            "success_url": _absolute(reverse("credits:checkout_success")) + "?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": _absolute(reverse("credits:checkout_cancel")) + "?session_id={CHECKOUT_SESSION_ID}",
        },
        idempotency_key=f"checkout:{payment_id}",
    )
    Payment.objects.create(
        id=payment_id,
        user=user,
        account=account,
        kind=PaymentKind.CREDIT_PACK,
        provider_payment_id=session["id"],
        package=package,
        amount=package.price,
        currency=package.currency,
        credits=package.total_credits,
        metadata={"checkout_session": session["id"]},
    )
    return session["url"]


def start_plan_checkout(*, user, plan_id) -> str:
    """Open a Stripe Checkout session for a plan; a user with a live plan changes it in the Billing Portal."""
    if not billing_enabled():
        raise stripe_client.BillingUnavailable()
    plan = SubscriptionPlan.objects.filter(pk=plan_id, is_active=True).first()
    if plan is None or plan.is_free:
        raise BillingError("This plan is not available.")
    if not plan.stripe_price_id:
        raise BillingError("This plan is not ready for sale yet. Please try again later.")
    account = get_or_open_account(user=user)
    if plans.live_subscription(account_id=account.pk) is not None:
        raise BillingError("You already have a plan. Change or cancel it from “Manage billing”.")
    customer_id = ensure_customer(user=user)
    attempt = uuid.uuid4()
    metadata = {"kind": PaymentKind.SUBSCRIPTION, "user_id": str(user.pk), "plan_id": str(plan.pk)}
    session = stripe_client.create_checkout_session(
        params={
            "mode": "subscription",
            "customer": customer_id,
            "client_reference_id": str(user.pk),
            "line_items": [{"price": plan.stripe_price_id, "quantity": 1}],
            "metadata": metadata,
            "subscription_data": {"metadata": metadata},
            "success_url": _absolute(reverse("credits:checkout_success")) + "?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": _absolute(reverse("credits:checkout_cancel")) + "?session_id={CHECKOUT_SESSION_ID}",
        },
        idempotency_key=f"checkout-plan:{attempt}",
    )
    return session["url"]


def billing_portal_url(*, user) -> str:
    if not billing_enabled():
        raise stripe_client.BillingUnavailable()
    account = get_or_open_account(user=user)
    if not account.stripe_customer_id:
        raise BillingError("There is nothing to manage yet: you have not bought anything.")
    session = stripe_client.create_portal_session(
        customer_id=account.stripe_customer_id, return_url=_absolute(reverse("credits:index"))
    )
    return session["url"]


# ---------------------------------------------------------------------------
# Fulfilment: the webhook and the success page both come here
# ---------------------------------------------------------------------------


def _user_for(metadata: dict, customer_id: str | None) -> User:
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


def _send_receipt_once(payment: Payment) -> None:
    """Queue the emailed receipt when the payment's transaction commits; once per payment."""
    if payment.receipt_sent_at is not None or payment.user is None:
        return
    payment.receipt_sent_at = timezone.now()
    payment.save(update_fields=["receipt_sent_at", "updated_at"])
    emails.send_receipt(payment)


@dataclass(frozen=True)
class Fulfilment:
    status: str  # "granted", "waiting", "expired", "subscription"
    payment: Payment | None = None
    subscription: UserSubscription | None = None


def fulfil_checkout_session(*, session_id: str, for_user=None) -> Fulfilment:
    """Grant what a Checkout session bought, once. Safe to call from anywhere, any number of times.

    `for_user` (the success page) refuses a session that belongs to someone else.
    """
    session = stripe_client.retrieve_checkout_session(session_id)
    metadata = session.get("metadata") or {}
    if for_user is not None and metadata.get("user_id") != str(for_user.pk):
        raise NotYourCheckout()
    if session.get("mode") == "subscription":
        if session.get("status") != "complete" or not session.get("subscription"):
            return Fulfilment("waiting")
        subscription = sync_subscription(subscription_id=_id_of(session["subscription"]))
        invoice_id = _id_of(session.get("invoice"))
        if not invoice_id:
            return Fulfilment("waiting", subscription=subscription)
        try:
            payment = record_invoice_paid(invoice_id=invoice_id)
        except UnknownStripeObject:
            return Fulfilment("waiting", subscription=subscription)
        return Fulfilment("granted", payment=payment, subscription=subscription)

    user = _user_for(metadata, _id_of(session.get("customer")))
    credits = int(metadata.get("credits") or 0)
    if credits <= 0:
        raise UnknownStripeObject(f"Checkout session {session_id} does not say how many credits it bought.")
    paid = session.get("payment_status") in {"paid", "no_payment_required"}
    with transaction.atomic():
        account = lock_account(get_or_open_account(user=user).pk)
        payment = _payment_for_session(session, account=account, user=user, credits=credits)
        if not paid:
            if session.get("status") == "expired" and payment.status == PaymentStatus.PENDING:
                payment.status = PaymentStatus.EXPIRED
                payment.save(update_fields=["status", "updated_at"])
                return Fulfilment("expired", payment=payment)
            return Fulfilment("waiting", payment=payment)
        if payment.grant_id is not None:
            return Fulfilment("granted", payment=payment)
        entry = grant_credits(
            user=user,
            amount=credits,
            type=TransactionType.PURCHASE,
            idempotency_key=f"stripe-checkout:{session['id']}",
            reference_type="payment",
            reference_id=str(payment.pk),
            description=f"{payment.package.name if payment.package else 'Credit pack'}: {credits} credits",
        )
        payment.grant = entry
        payment.status = PaymentStatus.SUCCEEDED
        payment.paid_at = payment.paid_at or timezone.now()
        payment.payment_intent_id = _id_of(session.get("payment_intent")) or payment.payment_intent_id
        invoice_id = _id_of(session.get("invoice"))
        if invoice_id and not payment.invoice_url:
            payment.invoice_url = stripe_client.retrieve_invoice(invoice_id).get("hosted_invoice_url") or ""
        payment.save()
        _send_receipt_once(payment)
        return Fulfilment("granted", payment=payment)


def _payment_for_session(session: dict, *, account: CreditAccount, user, credits: int) -> Payment:
    payment = Payment.objects.select_for_update().filter(provider_payment_id=session["id"]).first()
    if payment is not None:
        return payment
    # Checkout was started somewhere our row was lost (or by hand in Stripe): the session says it all.
    metadata = session.get("metadata") or {}
    package = (
        CreditPackage.objects.filter(pk=metadata.get("package_id")).first() if metadata.get("package_id") else None
    )
    return Payment.objects.create(
        user=user,
        account=account,
        kind=PaymentKind.CREDIT_PACK,
        provider_payment_id=session["id"],
        package=package,
        amount=_to_amount(session.get("amount_total")),
        currency=session.get("currency") or "usd",
        credits=credits,
        metadata={"checkout_session": session["id"]},
    )


def _id_of(value) -> str | None:
    if isinstance(value, dict):
        return value.get("id")
    return value or None


# ---------------------------------------------------------------------------
# Subscriptions
# ---------------------------------------------------------------------------


def _price_id_of(subscription: dict) -> str | None:
    items = (subscription.get("items") or {}).get("data") or []
    if not items:
        return None
    price = items[0].get("price") or items[0].get("plan") or {}
    return _id_of(price)


def _period_of(subscription: dict) -> tuple[datetime | None, datetime | None]:
    start = subscription.get("current_period_start")
    end = subscription.get("current_period_end")
    if start is None:  # newer API versions keep the period on the item
        items = (subscription.get("items") or {}).get("data") or [{}]
        start, end = items[0].get("current_period_start"), items[0].get("current_period_end")
    return _timestamp(start), _timestamp(end)


def sync_subscription(*, subscription_id: str, event_id: str = "") -> UserSubscription:
    """Mirror a Stripe subscription's current state (plan, status, period), recording each change."""
    remote = stripe_client.retrieve_subscription(subscription_id)
    price_id = _price_id_of(remote)
    plan = SubscriptionPlan.objects.filter(stripe_price_id=price_id).first() if price_id else None
    if plan is None:
        raise UnknownStripeObject(f"Subscription {subscription_id} is on price {price_id!r}, which no plan has.")
    user = _user_for(remote.get("metadata") or {}, _id_of(remote.get("customer")))
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
        local.stripe_customer_id = _id_of(remote.get("customer")) or ""
        local.current_period_start = start
        local.current_period_end = end
        local.cancel_at_period_end = bool(remote.get("cancel_at_period_end"))
        local.canceled_at = _timestamp(remote.get("canceled_at"))
        local.ended_at = _timestamp(remote.get("ended_at"))
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
            carried = _settle_previous_period(account, subscription, plan, invoice_id)
        credits = plan.credits_per_period
        if credits:
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
        payment.paid_at = payment.paid_at or _timestamp((invoice.get("status_transitions") or {}).get("paid_at"))
        payment.paid_at = payment.paid_at or timezone.now()
        payment.save()
        subscription.period_credits = credits + carried
        subscription.carried_credits = carried
        subscription.last_invoice_id = invoice_id
        subscription.save(update_fields=["period_credits", "carried_credits", "last_invoice_id", "updated_at"])
        _send_receipt_once(payment)
        return payment


def _settle_previous_period(account, subscription: UserSubscription, plan: SubscriptionPlan, invoice_id: str) -> int:
    """Expire the last period's unused plan credits, or carry them over up to the plan's cap.

    Plan credits are spent before any others, so the unused part is the period's credits
    less what was used since they were granted, and never more than is still available.
    """
    last = Payment.objects.select_related("grant").filter(provider_payment_id=subscription.last_invoice_id).first()
    since = last.grant.created_at if last and last.grant else subscription.current_period_start
    used = -(
        CreditTransaction.objects.filter(
            account=account, type__in=[TransactionType.USAGE, TransactionType.REFUND], created_at__gte=since
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    unused = max(0, min(subscription.period_credits - used, account.available))
    carried = min(unused, plan.rollover_cap or 0) if plan.rollover == Rollover.ROLLOVER else 0
    expiring = unused - carried
    if expiring:
        take_back_credits(
            user=subscription.user,
            amount=expiring,
            type=TransactionType.EXPIRY,
            idempotency_key=f"stripe-invoice-expiry:{invoice_id}",
            reference_type="subscription",
            reference_id=str(subscription.pk),
            description=f"Unused {plan.name} plan credits of the last period",
            record_shortfall=False,
        )
    return carried


def _subscription_id_of_invoice(invoice: dict) -> str | None:
    found = _id_of(invoice.get("subscription"))
    if found:
        return found
    details = ((invoice.get("parent") or {}).get("subscription_details")) or {}
    return _id_of(details.get("subscription"))


def _payment_for_invoice(invoice: dict, *, subscription: UserSubscription, status: str) -> Payment:
    payment = Payment.objects.select_for_update().filter(provider_payment_id=invoice["id"]).first()
    if payment is None:
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    user=subscription.user,
                    account_id=subscription.account_id,
                    kind=PaymentKind.SUBSCRIPTION,
                    provider_payment_id=invoice["id"],
                    payment_intent_id=_id_of(invoice.get("payment_intent")),
                    subscription=subscription,
                    amount=_to_amount(invoice.get("amount_paid") or invoice.get("amount_due")),
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
        payment.amount = _to_amount(invoice.get("amount_paid"))
        payment.payment_intent_id = payment.payment_intent_id or _id_of(invoice.get("payment_intent"))
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
# Refunds and disputes
# ---------------------------------------------------------------------------


def record_charge_reversal(*, charge: dict, disputed_cents: int = 0, key: str) -> Payment:
    """A charge was refunded or disputed: take back the credits it bought, in proportion, never below zero."""
    intent_id = _id_of(charge.get("payment_intent"))
    payment = Payment.objects.filter(payment_intent_id=intent_id).first() if intent_id else None
    if payment is None:
        raise UnknownStripeObject(f"No payment matches payment intent {intent_id!r} yet.")
    with transaction.atomic():
        lock_account(payment.account_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        amount_cents = _to_cents(payment.amount) or int(charge.get("amount") or 0)
        reversed_cents = min(amount_cents, max(int(charge.get("amount_refunded") or 0), disputed_cents))
        payment.amount_refunded = max(payment.amount_refunded, _to_amount(reversed_cents))
        if amount_cents and payment.amount_refunded >= payment.amount:
            payment.status = PaymentStatus.REFUNDED
        elif payment.amount_refunded > 0:
            payment.status = PaymentStatus.PARTIALLY_REFUNDED
        target = math.ceil(payment.credits * reversed_cents / amount_cents) if amount_cents else payment.credits
        owed = target - payment.credits_taken_back
        if owed > 0 and payment.grant_id is not None and payment.user is not None:
            take_back_credits(
                user=payment.user,
                amount=owed,
                type=TransactionType.PAYMENT_REVERSAL,
                idempotency_key=f"{key}:{reversed_cents}",
                reference_type="payment",
                reference_id=str(payment.pk),
                description="Payment refunded" if not disputed_cents else "Payment disputed",
            )
            payment.credits_taken_back = target
        payment.save()
        return payment


def refund_payment(*, payment_id, actor, amount: Decimal | None = None, request=None) -> Payment:
    """Staff refund a payment at Stripe; the credits come back when Stripe's charge.refunded event lands."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status not in {PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED}:
        raise BillingError("Only a paid payment can be refunded.")
    if not payment.payment_intent_id:
        raise BillingError("Stripe has not told us this payment's payment intent yet; refund it from Stripe.")
    remaining = payment.amount - payment.amount_refunded
    amount = remaining if amount is None else amount
    if amount <= 0 or amount > remaining:
        raise BillingError(f"Refund between 0.01 and {remaining} {payment.currency.upper()}.")
    refund = stripe_client.create_refund(
        payment_intent_id=payment.payment_intent_id,
        amount=_to_cents(amount),
        idempotency_key=f"refund:{payment.pk}:{_to_cents(payment.amount_refunded + amount)}",
    )
    account_services.record_audit_event(
        actor=actor,
        action="payment.refunded",
        target=payment.user,
        details={"payment_id": str(payment.pk), "amount": str(amount), "refund_id": refund.get("id", "")},
        request=request,
    )
    return payment


# ---------------------------------------------------------------------------
# Staff: packs and plans into Stripe
# ---------------------------------------------------------------------------


def push_package_to_stripe(*, package: CreditPackage, actor) -> CreditPackage:
    """Create the pack's product and price at Stripe (a changed price gets a new Stripe price)."""
    return _push(package, actor=actor, interval=None, kind="package")


def push_plan_to_stripe(*, plan: SubscriptionPlan, actor) -> SubscriptionPlan:
    if plan.is_free:
        raise BillingError("The free plan is not sold through Stripe.")
    return _push(plan, actor=actor, interval=plan.interval, kind="plan")


def _push(obj, *, actor, interval: str | None, kind: str):
    if not billing_enabled():
        raise stripe_client.BillingUnavailable()
    if not obj.stripe_product_id:
        product = stripe_client.create_product(
            name=f"CraftAds {obj.name}",
            description=obj.description,
            metadata={kind: str(obj.pk)},
            idempotency_key=f"product:{kind}:{obj.pk}",
        )
        obj.stripe_product_id = product["id"]
    cents = _to_cents(obj.price)
    price = stripe_client.create_price(
        product_id=obj.stripe_product_id,
        unit_amount=cents,
        currency=obj.currency,
        interval=interval,
        metadata={kind: str(obj.pk)},
        idempotency_key=f"price:{kind}:{obj.pk}:{cents}:{obj.currency}:{interval or 'once'}",
    )
    obj.stripe_price_id = price["id"]
    obj.save(update_fields=["stripe_product_id", "stripe_price_id", "updated_at"])
    account_services.record_audit_event(
        actor=actor,
        action=f"billing.{kind}_pushed",
        target=None,
        details={kind: str(obj.pk), "price": price["id"], "amount": str(obj.price)},
    )
    return obj
