"""Buying credits: Stripe Checkout for packs and plans, the Billing Portal, fulfilment, and pushing
packs and plans to Stripe (subscriptions and invoices: subscriptions.py; receipts: receipts.py).

Stripe's own state is the truth for what was paid: every handler fetches the object
it is about from Stripe before acting, so events may arrive in any order, twice, or
at the same time, and the result is the same. Grants are keyed by the Stripe object
(`stripe-checkout:<session>`, `stripe-invoice:<invoice>`), so the webhook and the
success page, calling the same function, grant once between them.
"""

import logging
import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from credits import stripe_client
from credits.constants import (
    PaymentKind,
    PaymentStatus,
    TransactionType,
)
from credits.errors import BillingError, NotYourCheckout, UnknownStripeObject
from credits.lock_objects import lock_account
from credits.models import (
    CreditAccount,
    CreditPackage,
    Payment,
    SubscriptionPlan,
    UserSubscription,
)
from credits.services import plans
from credits.services.ledger import get_or_open_account, grant_credits
from credits.services.receipts import send_receipt_once
from credits.services.stripe_values import id_of, to_amount, to_cents, user_for_stripe_object
from credits.services.subscriptions import record_invoice_paid, sync_subscription

logger = logging.getLogger(__name__)

_Sellable = TypeVar("_Sellable", CreditPackage, SubscriptionPlan)


def billing_enabled() -> bool:
    return stripe_client.is_configured()


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# ---------------------------------------------------------------------------
# Starting a purchase
# ---------------------------------------------------------------------------


def ensure_customer(*, user: User) -> str:
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


def purchasable_packages() -> list[CreditPackage]:
    now = timezone.now()
    return [
        package
        for package in CreditPackage.objects.filter(is_active=True)
        if (package.promotion_starts_at is None or package.promotion_starts_at <= now)
        and (package.promotion_ends_at is None or package.promotion_ends_at > now)
    ]


def start_pack_checkout(*, user: User, package_id: Any) -> str:
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
    return str(session["url"])


def start_plan_checkout(*, user: User, plan_id: Any) -> str:
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
    return str(session["url"])


def billing_portal_url(*, user: User) -> str:
    if not billing_enabled():
        raise stripe_client.BillingUnavailable()
    account = get_or_open_account(user=user)
    if not account.stripe_customer_id:
        raise BillingError("There is nothing to manage yet: you have not bought anything.")
    session = stripe_client.create_portal_session(
        customer_id=account.stripe_customer_id, return_url=_absolute(reverse("credits:index"))
    )
    return str(session["url"])


# ---------------------------------------------------------------------------
# Fulfilment: the webhook and the success page both come here
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Fulfilment:
    status: str  # "granted", "waiting", "expired", "subscription"
    payment: Payment | None = None
    subscription: UserSubscription | None = None


def fulfil_checkout_session(*, session_id: str, for_user: User | None = None) -> Fulfilment:
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
        subscription = sync_subscription(subscription_id=str(id_of(session["subscription"])))
        invoice_id = id_of(session.get("invoice"))
        if not invoice_id:
            return Fulfilment("waiting", subscription=subscription)
        try:
            payment = record_invoice_paid(invoice_id=invoice_id)
        except UnknownStripeObject:
            return Fulfilment("waiting", subscription=subscription)
        return Fulfilment("granted", payment=payment, subscription=subscription)

    user = user_for_stripe_object(metadata, id_of(session.get("customer")))
    credits = int(metadata.get("credits") or 0)
    if credits <= 0:
        raise UnknownStripeObject(f"Checkout session {session_id} does not say how many credits it bought.")
    paid = session.get("payment_status") in {"paid", "no_payment_required"}
    # Everything from Stripe is fetched before the account lock is taken (a slow Stripe
    # must not hold up every other write to this account).
    invoice_url = ""
    invoice_id = id_of(session.get("invoice"))
    already_granted = Payment.objects.filter(provider_payment_id=session["id"], grant__isnull=False).exists()
    if paid and invoice_id and not already_granted:
        invoice_url = stripe_client.retrieve_invoice(invoice_id).get("hosted_invoice_url") or ""
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
        payment.payment_intent_id = id_of(session.get("payment_intent")) or payment.payment_intent_id
        if invoice_url and not payment.invoice_url:
            payment.invoice_url = invoice_url
        payment.save()
        send_receipt_once(payment)
        return Fulfilment("granted", payment=payment)


def _payment_for_session(session: dict[str, Any], *, account: CreditAccount, user: User, credits: int) -> Payment:
    payment = Payment.objects.select_for_update().filter(provider_payment_id=session["id"]).first()
    if payment is not None:
        return payment
    # Checkout was started somewhere our row was lost (or by hand in Stripe): the session says it all.
    metadata = session.get("metadata") or {}
    package = (
        CreditPackage.objects.filter(pk=str(metadata["package_id"])).first() if metadata.get("package_id") else None
    )
    return Payment.objects.create(
        user=user,
        account=account,
        kind=PaymentKind.CREDIT_PACK,
        provider_payment_id=session["id"],
        package=package,
        amount=to_amount(session.get("amount_total")),
        currency=session.get("currency") or "usd",
        credits=credits,
        metadata={"checkout_session": session["id"]},
    )


# ---------------------------------------------------------------------------
# Subscriptions
# ---------------------------------------------------------------------------


def push_package_to_stripe(*, package: CreditPackage, actor: User | None) -> CreditPackage:
    """Create the pack's product and price at Stripe (a changed price gets a new Stripe price)."""
    return _push(package, actor=actor, interval=None, kind="package")


def push_plan_to_stripe(*, plan: SubscriptionPlan, actor: User | None) -> SubscriptionPlan:
    if plan.is_free:
        raise BillingError("The free plan is not sold through Stripe.")
    return _push(plan, actor=actor, interval=plan.interval, kind="plan")


def _push(obj: _Sellable, *, actor: User | None, interval: str | None, kind: str) -> _Sellable:
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
    cents = to_cents(obj.price)
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
