"""The emails billing sends: rendered here, sent by the worker (accounts.tasks.send_email_task)."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from credits.models import Payment


def _message(template: str, payment: Payment, subject: str) -> dict:
    context = {
        "payment": payment,
        "user": payment.user,
        "product_name": settings.PRODUCT_NAME,
        "history_url": f"{settings.SITE_URL}{reverse('credits:payments')}",
        "support_email": settings.SUPPORT_EMAIL,
    }
    return {
        "template": f"credits/email/{template}",
        "subject": subject,
        "body": render_to_string(f"credits/email/{template}.txt", context),
        "html": render_to_string(f"credits/email/{template}.html", context),
        "from_email": settings.DEFAULT_FROM_EMAIL,
        "to": [payment.user.email],
    }


def receipt_message(payment: Payment) -> dict:
    return _message(
        "receipt",
        payment,
        f"Your {settings.PRODUCT_NAME} receipt: {payment.amount} {payment.currency.upper()}",
    )


def payment_failed_message(payment: Payment) -> dict:
    return _message("payment_failed", payment, f"Your {settings.PRODUCT_NAME} payment did not go through")
