"""The emails billing sends, through the platform's one email path (accounts.emails.send_email).

A receipt always goes; a failed-payment notice follows the user's "billing" email preference.
"""

from django.conf import settings
from django.urls import reverse

from accounts import emails as account_emails
from credits.models import Payment


def _context(payment: Payment) -> dict:
    return {"payment": payment, "history_url": f"{settings.SITE_URL}{reverse('credits:payments')}"}


def receipt_message(payment: Payment) -> dict:
    """The rendered receipt, for a caller that queues it itself (billing re-sends one the broker refused)."""
    return account_emails.build_message(
        user=payment.user,
        kind=account_emails.TRANSACTIONAL,
        template="credits/email/receipt",
        subject=f"Your {settings.PRODUCT_NAME} receipt: {payment.amount} {payment.currency.upper()}",
        context=_context(payment),
    )


def send_receipt(payment: Payment) -> bool:
    return account_emails.send_email(
        user=payment.user,
        kind=account_emails.TRANSACTIONAL,
        template="credits/email/receipt",
        subject=f"Your {settings.PRODUCT_NAME} receipt: {payment.amount} {payment.currency.upper()}",
        context=_context(payment),
    )


def send_payment_failed(payment: Payment) -> bool:
    return account_emails.send_email(
        user=payment.user,
        kind="billing",
        template="credits/email/payment_failed",
        subject=f"Your {settings.PRODUCT_NAME} payment did not go through",
        context=_context(payment),
    )
