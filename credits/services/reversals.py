"""Refunds and disputes of payments: each reversal once, keyed by its Stripe object, adding up to at
most what was paid; a won dispute or a failed refund gives the credits back (split from billing)."""

import math
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest

from accounts import services as account_services
from accounts.models import User
from credits import stripe_client
from credits.constants import PaymentStatus, TransactionType
from credits.errors import BillingError, UnknownStripeObject
from credits.lock_objects import lock_account
from credits.models import Payment, PaymentReversal
from credits.services.ledger import grant_credits
from credits.services.stripe_values import id_of, to_amount, to_cents
from credits.services.take_backs import take_back_credits

# Refund statuses where the money is leaving us; a failed or cancelled refund gives it back.
_REFUND_COUNTS = {"succeeded", "pending", "requires_action"}
# Dispute statuses where the bank has taken, or holds, the money; inquiries (warning_*) move
# none, and a won dispute brings it back.
_DISPUTE_COUNTS = {"needs_response", "under_review", "lost"}


def _payment_for_intent(intent_id: str | None) -> Payment:
    payment = Payment.objects.filter(payment_intent_id=intent_id).first() if intent_id else None
    if payment is None:
        raise UnknownStripeObject(f"No payment matches payment intent {intent_id!r} yet.")
    return payment


def record_refunds(*, charge_id: str, payment_intent_id: str | None) -> Payment:
    """A charge was refunded (in part, again, or a refund failed): apply each of its refunds once."""
    refunds = stripe_client.list_refunds(charge_id=charge_id)  # from Stripe, before any lock
    payment = _payment_for_intent(payment_intent_id)
    for refund in sorted(refunds, key=lambda r: (r.get("created") or 0, r["id"])):
        payment = _apply_reversal(
            payment,
            stripe_id=refund["id"],
            kind=PaymentReversal.Kind.REFUND,
            cents=int(refund.get("amount") or 0),
            stripe_status=refund.get("status") or "",
            counts=refund.get("status") in _REFUND_COUNTS,
        )
    return payment


def record_dispute(*, dispute_id: str) -> Payment:
    """A dispute was opened, changed or closed: take its credits back, or give them back when it is won."""
    dispute = stripe_client.retrieve_dispute(dispute_id)  # from Stripe, before any lock
    payment = _payment_for_intent(id_of(dispute.get("payment_intent")))
    return _apply_reversal(
        payment,
        stripe_id=dispute["id"],
        kind=PaymentReversal.Kind.DISPUTE,
        cents=int(dispute.get("amount") or 0),
        stripe_status=dispute.get("status") or "",
        counts=dispute.get("status") in _DISPUTE_COUNTS,
    )


def _apply_reversal(
    payment: Payment, *, stripe_id: str, kind: str, cents: int, stripe_status: str, counts: bool
) -> Payment:
    """Bring one reversal to its Stripe state, under the account lock; one ledger entry each way, keyed by it.

    Reversals add up: the credits taken back are the purchase's credits in proportion to
    every counting reversal together, capped at what was paid.
    """
    with transaction.atomic():
        lock_account(payment.account_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        reversal = PaymentReversal.objects.select_for_update().filter(stripe_id=stripe_id).first()
        if reversal is None:
            reversal = PaymentReversal(payment=payment, stripe_id=stripe_id, kind=kind, counts=False)
        reversal.amount = to_amount(cents)
        reversal.stripe_status = stripe_status
        if counts and not reversal.counts and reversal.given_back_id is None:
            reversal.counts = True
            reversal.save()
            _take_back_for(payment, reversal)
        elif not counts and reversal.counts:
            reversal.counts = False
            _give_back_for(payment, reversal)
        reversal.save()
        _settle_payment_status(payment)
        payment.save()
        return payment


def _counting_cents(payment: Payment, kind: str | None = None) -> int:
    reversals = payment.reversals.filter(counts=True)
    if kind is not None:
        reversals = reversals.filter(kind=kind)
    return to_cents(reversals.aggregate(total=Sum("amount"))["total"] or Decimal(0))


def _take_back_for(payment: Payment, reversal: PaymentReversal) -> None:
    amount_cents = to_cents(payment.amount)
    reversed_cents = min(amount_cents, _counting_cents(payment)) if amount_cents else 0
    target = math.ceil(payment.credits * reversed_cents / amount_cents) if amount_cents else payment.credits
    owed = min(target, payment.credits) - payment.credits_taken_back
    if owed <= 0 or payment.grant_id is None or payment.user is None:
        return
    result = take_back_credits(
        user=payment.user,
        amount=owed,
        type=TransactionType.PAYMENT_REVERSAL,
        idempotency_key=f"stripe-{reversal.kind}:{reversal.stripe_id}",
        reference_type="payment",
        reference_id=str(payment.pk),
        description="Payment refunded" if reversal.kind == PaymentReversal.Kind.REFUND else "Payment disputed",
    )
    reversal.credits = owed
    reversal.taken_back = result.transaction
    payment.credits_taken_back += owed


def _give_back_for(payment: Payment, reversal: PaymentReversal) -> None:
    """A won dispute (or failed refund): the credits it actually took come back, in one keyed entry."""
    payment.credits_taken_back -= reversal.credits
    taken = -reversal.taken_back.amount if reversal.taken_back is not None else 0
    if taken and payment.user is not None:
        reversal.given_back = grant_credits(
            user=payment.user,
            amount=taken,
            type=TransactionType.REVERSAL_UNDONE,
            idempotency_key=f"stripe-{reversal.kind}-undone:{reversal.stripe_id}",
            reference_type="payment",
            reference_id=str(payment.pk),
            description="Dispute won: credits returned"
            if reversal.kind == PaymentReversal.Kind.DISPUTE
            else "Refund did not go through: credits returned",
        )


def _settle_payment_status(payment: Payment) -> None:
    amount_cents = to_cents(payment.amount)
    payment.amount_refunded = to_amount(min(amount_cents, _counting_cents(payment, PaymentReversal.Kind.REFUND)))
    if payment.status not in {PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}:
        return
    reversed_cents = _counting_cents(payment)
    if amount_cents and reversed_cents >= amount_cents:
        payment.status = PaymentStatus.REFUNDED
    elif reversed_cents > 0:
        payment.status = PaymentStatus.PARTIALLY_REFUNDED
    else:
        payment.status = PaymentStatus.SUCCEEDED


def refund_payment(
    *, payment_id: Any, actor: User | None, amount: Decimal | None = None, request: HttpRequest | None = None
) -> Payment:
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
        amount=to_cents(amount),
        idempotency_key=f"refund:{payment.pk}:{to_cents(payment.amount_refunded + amount)}",
    )
    account_services.record_audit_event(
        actor=actor,
        action="payment.refunded",
        target=payment.user,
        details={"payment_id": str(payment.pk), "amount": str(amount), "refund_id": refund.get("id", "")},
        request=request,
    )
    return payment
