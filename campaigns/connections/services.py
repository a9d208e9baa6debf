"""Connecting Meta: Facebook Login with a session-bound state, the long-lived token, the ad
accounts and Pages the user picks, expiry warnings, "needs re-auth" and disconnecting."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.services import record_audit_event
from campaigns import enqueue
from campaigns.connections.models import ConnectionStatus, MetaAdAccount, MetaConnection, MetaPage
from campaigns.meta import client as meta
from campaigns.meta.errors import MetaAuthError, MetaError

logger = logging.getLogger(__name__)

SESSION_STATE_KEY = "campaigns_meta_oauth_state"
EXPIRY_WARNING = timedelta(days=7)
SCOPE_REASONS = {
    "ads_management": "create and change campaigns, ad sets and ads",
    "ads_read": "read your ad accounts and their results",
    "business_management": "see ad accounts that belong to your Business Manager",
    "pages_show_list": "list the Facebook Pages your ads can run as",
    "pages_read_engagement": "read your Pages' names and linked Instagram accounts",
}


class ConnectError(Exception):
    """Connecting failed; the message says why in the user's words."""


def redirect_uri() -> str:
    return f"{settings.SITE_URL}{reverse('campaigns:connect_callback')}"


def start_connect(*, session) -> str:
    """The Facebook Login URL; its `state` is kept in this user's session only."""
    state = secrets.token_urlsafe(32)
    session[SESSION_STATE_KEY] = state
    return meta.login_url(state=state, redirect_uri=redirect_uri())


def complete_connect(*, user, session, state: str, code: str, error: str = "") -> MetaConnection:
    expected = session.pop(SESSION_STATE_KEY, None)
    if not state or not expected or not secrets.compare_digest(state, expected):
        raise ConnectError("This Facebook login did not start here (or was already used). Please connect again.")
    if error or not code:
        raise ConnectError("Facebook login was cancelled, so nothing was connected.")
    try:
        token, expires_in = meta.exchange_code(code=code, redirect_uri=redirect_uri())
        profile = meta.me(token)
        granted = meta.granted_permissions(token)
        accounts = meta.ad_accounts(token)
        pages = meta.pages(token)
    except MetaError as exc:
        raise ConnectError(f"Meta refused the connection: {exc.explanation}") from None
    missing = [scope for scope in meta.SCOPES if scope not in granted]
    now = timezone.now()
    with transaction.atomic():
        connection, _ = MetaConnection.objects.select_for_update().get_or_create(user=user)
        connection.access_token = token
        connection.token_expires_at = now + timedelta(seconds=expires_in)
        connection.meta_user_id = str(profile.get("id", ""))
        connection.meta_user_name = str(profile.get("name", ""))[:200]
        connection.scopes_granted = granted
        connection.scopes_missing = missing
        connection.status = ConnectionStatus.ACTIVE
        connection.status_message = ""
        connection.connected_at = now
        connection.expiry_notified_at = None
        connection.save()
        _store_accounts(connection, accounts)
        _store_pages(connection, pages)
        record_audit_event(
            actor=user,
            action="campaigns.meta_connected",
            target=connection,
            details={"scopes_granted": granted, "scopes_missing": missing},
        )
    logger.info("Meta connected", extra={"user_id": str(user.pk), "accounts": len(accounts), "pages": len(pages)})
    return connection


def _store_accounts(connection: MetaConnection, accounts: list[dict]) -> None:
    for account in accounts:
        MetaAdAccount.objects.update_or_create(
            connection=connection,
            account_id=str(account["id"]),
            defaults={
                "name": str(account.get("name") or account["id"])[:200],
                "currency": str(account.get("currency") or "USD")[:3],
                "timezone_name": str(account.get("timezone_name") or "UTC")[:64],
                "account_status": int(account.get("account_status") or 1),
                "spend_cap": int(account.get("spend_cap") or 0),
            },
        )


def _store_pages(connection: MetaConnection, pages: list[dict]) -> None:
    for page in pages:
        MetaPage.objects.update_or_create(
            connection=connection,
            page_id=str(page["id"]),
            defaults={
                "name": str(page.get("name") or page["id"])[:200],
                "instagram_actor_id": str((page.get("instagram_business_account") or {}).get("id", "")),
            },
        )


def choose_accounts(
    *, connection: MetaConnection, account_ids: list[str], page_id: str | None, use_instagram: bool
) -> None:
    """The ad accounts and the Page (and its Instagram account) the user publishes with."""
    with transaction.atomic():
        accounts = connection.ad_accounts.all()
        known = {str(a.pk) for a in accounts}
        if not account_ids or not set(account_ids) <= known:
            raise ConnectError("Choose at least one of your ad accounts.")
        pages = connection.pages.all()
        if page_id and page_id not in {str(p.pk) for p in pages}:
            raise ConnectError("Choose one of your Pages.")
        accounts.update(selected=False)
        connection.ad_accounts.filter(pk__in=account_ids).update(selected=True)
        pages.update(selected=False, use_instagram=False)
        if page_id:
            page = pages.get(pk=page_id)
            page.selected = True
            page.use_instagram = bool(use_instagram and page.instagram_actor_id)
            page.save(update_fields=["selected", "use_instagram", "updated_at"])


def mark_needs_reauth(*, connection_id, error: MetaAuthError | None = None) -> None:
    """Error 190: the token is expired or revoked. Publishes stop until the user connects again."""
    message = (
        "Meta no longer accepts CraftAds' access (the login expired or was revoked). Connect Meta again to continue."
    )
    updated = (
        MetaConnection.objects.filter(pk=connection_id)
        .exclude(status=ConnectionStatus.REVOKED)
        .update(status=ConnectionStatus.NEEDS_REAUTH, status_message=message, updated_at=timezone.now())
    )
    if updated:
        connection = MetaConnection.objects.select_related("user").get(pk=connection_id)
        logger.warning(
            "Meta connection needs re-auth",
            extra={"connection_id": str(connection_id), "code": error.code if error else None},
        )
        transaction.on_commit(
            lambda: enqueue.send_email(
                _email(connection, "needs_reauth", "Reconnect Meta to keep your campaigns running")
            )
        )


def disconnect(*, connection: MetaConnection, actor, request=None) -> None:
    """Revoke the token at Meta (best effort: an already dead token is fine) and forget it."""
    token = connection.access_token
    if token:
        try:
            meta.revoke(token)
        except MetaError as exc:
            logger.info("Revoking at Meta failed; the token is forgotten anyway", extra={"code": exc.code})
    with transaction.atomic():
        MetaConnection.objects.filter(pk=connection.pk).update(
            access_token="",
            status=ConnectionStatus.REVOKED,
            token_expires_at=None,
            status_message="Disconnected. Connect Meta again to publish.",
            updated_at=timezone.now(),
        )
        record_audit_event(actor=actor, action="campaigns.meta_disconnected", target=connection, request=request)


def warn_expiring_connections(*, now=None) -> int:
    """Seven days before a token expires the user is told (banner and email), once per token."""
    now = now or timezone.now()
    due = MetaConnection.objects.select_related("user").filter(
        status=ConnectionStatus.ACTIVE, token_expires_at__lte=now + EXPIRY_WARNING, expiry_notified_at__isnull=True
    )
    count = 0
    for connection in due:
        expired = connection.token_expires_at <= now
        status = ConnectionStatus.NEEDS_REAUTH if expired else ConnectionStatus.EXPIRING
        changed = MetaConnection.objects.filter(pk=connection.pk, expiry_notified_at__isnull=True).update(
            status=status,
            expiry_notified_at=now,
            updated_at=now,
            status_message="" if not expired else "Your Meta login expired. Connect Meta again to continue.",
        )
        if changed:
            count += 1
            enqueue.send_email(_email(connection, "expiring", "Your Meta connection expires soon"))
    return count


def _email(connection: MetaConnection, template: str, subject: str) -> dict:
    context = {
        "connection": connection,
        "user": connection.user,
        "product_name": settings.PRODUCT_NAME,
        "settings_url": f"{settings.SITE_URL}{reverse('campaigns:connection')}",
    }
    return {
        "template": f"campaigns/email/{template}",
        "subject": subject,
        "body": render_to_string(f"campaigns/email/{template}.txt", context),
        "from_email": settings.DEFAULT_FROM_EMAIL,
        "to": [connection.user.email],
    }
