"""Emailed receipts: queued once per payment when its transaction commits, and swept when the broker was down."""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts import tasks as account_tasks
from credits import emails
from credits.constants import PaymentStatus
from credits.models import Payment

logger = logging.getLogger(__name__)


def send_receipt_once(payment: Payment) -> None:
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
                send_receipt_once(payment)
                queued += 1
    return queued
