"""Account emails are sent by the worker, never inside a request."""

import logging

from celery import shared_task
from django.core.mail import EmailMultiAlternatives

from accounts import idempotency

logger = logging.getLogger(__name__)


@shared_task(
    name="accounts.tasks.send_email_task",
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def send_email_task(message: dict) -> None:
    """Send one rendered email. `message` holds subject, body, from_email, to and optional html."""
    email = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["body"],
        from_email=message.get("from_email"),
        to=message["to"],
        headers=message.get("headers") or None,
    )
    if message.get("html"):
        email.attach_alternative(message["html"], "text/html")
    email.send()
    logger.info("Email sent", extra={"template": message.get("template", ""), "recipients": len(message["to"])})


@shared_task(name="accounts.tasks.purge_idempotency_records_task")
def purge_idempotency_records_task() -> int:
    """Scheduled: API Idempotency-Key records past their 24 hours."""
    return idempotency.purge_old_records()
