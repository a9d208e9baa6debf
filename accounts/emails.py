"""The one way the platform sends an email: render, decide by the user's preference, send through the worker.

Every app calls `send_email`. Each email has a *kind*:

- transactional kinds (receipts, sign-in and security mail) always go;
- preference kinds (a key of `DEFAULT_NOTIFICATIONS`) go only while the user
  has that preference on, and carry RFC 8058 one-click unsubscribe headers
  (`List-Unsubscribe` with a signed link, `List-Unsubscribe-Post`) so mail
  clients can turn it off without a sign-in.

The decision is taken when the message is queued and again by the worker
(`accounts.tasks.send_email_task`) just before sending, so an opt-out made
in between is honoured.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from accounts import selectors, tasks
from accounts.constants import DEFAULT_NOTIFICATIONS
from accounts.models import User, UserPreference

logger = logging.getLogger(__name__)

TRANSACTIONAL = selectors.TRANSACTIONAL_EMAIL
UNSUBSCRIBE_SALT = "accounts.emails.unsubscribe"


class BadUnsubscribeToken(Exception):
    """The unsubscribe link was altered or is not one of ours."""


def wants(*, user_id, kind: str) -> bool:
    """Whether this user receives emails of this kind now."""
    return selectors.wants_email(user_id=user_id, kind=kind)


def unsubscribe_token(*, user_id, kind: str) -> str:
    return signing.dumps({"u": str(user_id), "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[str, str]:
    """(user id, kind) from a link we signed; BadUnsubscribeToken otherwise. The link does not expire."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature as error:
        raise BadUnsubscribeToken("This unsubscribe link is not valid.") from error
    if not isinstance(data, dict) or data.get("k") not in DEFAULT_NOTIFICATIONS or not data.get("u"):
        raise BadUnsubscribeToken("This unsubscribe link is not valid.")
    return data["u"], data["k"]


def unsubscribe_url(*, user_id, kind: str) -> str:
    token = unsubscribe_token(user_id=user_id, kind=kind)
    return f"{settings.SITE_URL}{reverse('accounts:unsubscribe', args=[token])}"


@transaction.atomic
def unsubscribe(*, token: str) -> tuple[User, str] | None:
    """Turn one email preference off for the user the signed link names; None if the user is gone."""
    user_id, kind = read_unsubscribe_token(token)
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    prefs, _ = UserPreference.objects.select_for_update().get_or_create(user=user)
    prefs.notification_settings = {**(prefs.notification_settings or {}), kind: False}
    prefs.save(update_fields=["notification_settings", "updated_at"])
    return user, kind


def build_message(
    *,
    user: User,
    kind: str,
    template: str,
    subject: str,
    context: dict | None = None,
    inline_images: list[dict] | None = None,
) -> dict:
    """Render `<template>.txt` and `<template>.html` into the message the worker sends.

    `inline_images` are stored files ({"cid", "name"}) the worker attaches so the HTML shows them as
    `cid:` images: no link to a private file, nothing for a mail client to block.
    """
    ctx = {
        "user": user,
        "product_name": settings.PRODUCT_NAME,
        "site_url": settings.SITE_URL,
        "support_email": settings.SUPPORT_EMAIL,
        "preferences_url": f"{settings.SITE_URL}{reverse('accounts:preferences')}",
        **(context or {}),
    }
    headers: dict[str, str] = {}
    if kind != TRANSACTIONAL:
        link = unsubscribe_url(user_id=user.pk, kind=kind)
        ctx["unsubscribe_url"] = link
        headers["List-Unsubscribe"] = f"<{link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return {
        "template": template,
        "kind": kind,
        "user_id": str(user.pk),
        "subject": subject,
        "body": render_to_string(f"{template}.txt", ctx),
        "html": render_to_string(f"{template}.html", ctx),
        "from_email": settings.DEFAULT_FROM_EMAIL,
        "to": [user.email],
        "headers": headers,
        "inline_images": inline_images or [],
    }


def send_email(
    *,
    user: User,
    kind: str,
    template: str,
    subject: str,
    context: dict | None = None,
    inline_images: list[dict] | None = None,
) -> bool:
    """Queue one email to `user` once the current transaction commits; False when their preference says no."""
    if not wants(user_id=user.pk, kind=kind):
        logger.info("Email skipped by preference", extra={"template": template, "kind": kind, "user_id": str(user.pk)})
        return False
    message = build_message(
        user=user, kind=kind, template=template, subject=subject, context=context, inline_images=inline_images
    )
    send_message(message)
    return True


def send_message(message: dict) -> None:
    """Queue an already rendered message (allauth renders its own) on commit."""
    # robust: a broker down at commit is logged, never raised into the request that already committed.
    transaction.on_commit(lambda: tasks.send_email_task.delay(message), robust=True)
