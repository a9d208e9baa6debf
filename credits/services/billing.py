"""Buying credits: Stripe Checkout for packs and plans, the Billing Portal, and fulfilment.

Stripe's own state is the truth for what was paid: every handler fetches the object
it is about from Stripe before acting, so events may arrive in any order, twice, or
at the same time, and the result is the same. Grants are keyed by the Stripe object
(`stripe-checkout:<session>`, `stripe-invoice:<invoice>`), so the webhook and the
success page, calling the same function, grant once between them.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts import tasks as account_tasks
from accounts.models import User
from credits import emails, stripe_client
from credits.constants import (
    LIVE_SUBSCRIPTION_STATUSES,
    PaymentKind,
    PaymentStatus,
    Rollover,
    SubscriptionStatus,
    TransactionType,
)
from credits.errors import BillingError, NotYourCheckout, UnknownStripeObject
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
from credits.services.ledger import get_or_open_account, grant_credits
from credits.services.stripe_values import id_of, to_amount, to_cents
from credits.services.take_backs import take_back_credits

logger = logging.getLogger(__name__)

_Sellable = TypeVar("_Sellable", CreditPackage, SubscriptionPlan)


def billing_enabled() -> bool:
    return stripe_client.is_configured()


def _timestamp(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


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


def _user_for(metadata: dict[str, Any], customer_id: str | None) -> User:
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
    """Queue the emailed receipt when the payment's transaction commits; once per payment.

    `receipt_sent_at` is claimed in the payment's transaction. If the broker cannot take
    the email at commit, the claim is undone (the payment itself stays as committed) and
    `send_unsent_receipts`, run on a schedule, sends it later.
    """
    if payment.receipt_sent_at is not None or payment.user is None:
        return
    payment.receipt_sent_at = timezone.now()
    payment.save(update_fields=["receipt_sent_at", "updated_at"])
    message = emails.receipt_message(payment)
    payment_id = payment.pk

    def enqueue() -> None:
        try:
            account_tasks.send_email_task.delay(message)
        except Exception:
            logger.warning("Receipt not enqueued; the sweep will send it", extra={"payment_id": str(payment_id)})
            Payment.objects.filter(pk=payment_id).update(receipt_sent_at=None)
            raise  # robust=True: logged by Django, never raised into the committed caller

    transaction.on_commit(enqueue, robust=True)


# A receipt whose enqueue failed is sent by the sweep for this long after the payment.
RECEIPT_SWEEP_WINDOW = timedelta(days=3)
# Younger payments may still be in their committing transaction's on_commit.
RECEIPT_SWEEP_GRACE = timedelta(minutes=1)


def send_unsent_receipts(*, now: datetime | None = None) -> int:
    """Enqueue the receipts the broker could not take at commit (scheduled). Returns how many."""
    now = now or timezone.now()
    pending = Payment.objects.filter(
        status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED],
        grant__isnull=False,
        user__isnull=False,
        receipt_sent_at__isnull=True,
        paid_at__gte=now - RECEIPT_SWEEP_WINDOW,
        paid_at__lte=now - RECEIPT_SWEEP_GRACE,
    ).values_list("pk", flat=True)
    queued = 0
    for payment_id in list(pending):
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(pk=payment_id)
            if payment.receipt_sent_at is None:
                _send_receipt_once(payment)
                queued += 1
    return queued


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

    user = _user_for(metadata, id_of(session.get("customer")))
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
        _send_receipt_once(payment)
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
    return _timestamp(start), _timestamp(end)


def sync_subscription(*, subscription_id: str, event_id: str = "") -> UserSubscription:
    """Mirror a Stripe subscription's current state (plan, status, period), recording each change."""
    remote = stripe_client.retrieve_subscription(subscription_id)
    price_id = _priceid_of(remote)
    plan = SubscriptionPlan.objects.filter(stripe_price_id=price_id).first() if price_id else None
    if plan is None:
        raise UnknownStripeObject(f"Subscription {subscription_id} is on price {price_id!r}, which no plan has.")
    user = _user_for(remote.get("metadata") or {}, id_of(remote.get("customer")))
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
        payment.paid_at = payment.paid_at or _timestamp((invoice.get("status_transitions") or {}).get("paid_at"))
        payment.paid_at = payment.paid_at or timezone.now()
        payment.save()
        subscription.period_credits = credits + carried
        subscription.carried_credits = carried
        subscription.last_invoice_id = invoice_id
        subscription.save(update_fields=["period_credits", "carried_credits", "last_invoice_id", "updated_at"])
        _send_receipt_once(payment)
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
