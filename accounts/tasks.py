"""Account emails are sent by the worker, never inside a request."""

import logging
from email.mime.image import MIMEImage

from celery import shared_task
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives

from accounts import idempotency
from accounts.selectors import TRANSACTIONAL_EMAIL, wants_email

logger = logging.getLogger(__name__)


@shared_task(
    name="accounts.tasks.send_email_task",
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def send_email_task(message: dict) -> None:
    """Send one rendered email. `message` holds subject, body, from_email, to and optional html.

    A message of a preference kind (see accounts.emails) is checked again here: an opt-out made after it
    was queued wins.
    """
    kind = message.get("kind", TRANSACTIONAL_EMAIL)
    if kind != TRANSACTIONAL_EMAIL and not wants_email(user_id=message["user_id"], kind=kind):
        logger.info("Email skipped by preference", extra={"template": message.get("template", ""), "kind": kind})
        return
    email = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["body"],
        from_email=message.get("from_email"),
        to=message["to"],
        headers=message.get("headers") or None,
    )
    if message.get("html"):
        email.attach_alternative(message["html"], "text/html")
    if message.get("inline_images"):
        email.mixed_subtype = "related"
        for image in message["inline_images"]:
            _attach_inline(email, cid=image["cid"], name=image["name"])
    email.send()
    logger.info("Email sent", extra={"template": message.get("template", ""), "recipients": len(message["to"])})


def _attach_inline(email: EmailMultiAlternatives, *, cid: str, name: str) -> None:
    """A stored image as a `cid:` part; a file gone since the message was queued is left out."""
    try:
        with default_storage.open(name, "rb") as handle:
            data = handle.read()
    except (FileNotFoundError, OSError):
        logger.warning("Inline image missing", extra={"cid": cid})
        return
    part = MIMEImage(data)
    part.add_header("Content-ID", f"<{cid}>")
    part.add_header("Content-Disposition", "inline", filename=name.rsplit("/", 1)[-1])
    email.attach(part)


@shared_task(name="accounts.tasks.purge_idempotency_records_task")
def purge_idempotency_records_task() -> int:
    """Scheduled: API Idempotency-Key records past their 24 hours."""
    return idempotency.purge_old_records()
