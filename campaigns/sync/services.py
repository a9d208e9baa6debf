"""Asking for syncs: the daily one per ad account (beat) and "Sync now" (rate limited per user)."""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.connections.models import ConnectionStatus, MetaAdAccount
from campaigns.sync.models import SyncKind, SyncRun
from craftplatform import jobs, ratelimit
from craftplatform.errors import DomainError

logger = logging.getLogger(__name__)


class SyncError(DomainError):
    pass


def _active_run(ad_account: MetaAdAccount) -> SyncRun | None:
    return SyncRun.objects.filter(ad_account=ad_account, status__in=jobs.ACTIVE_STATUSES).first()


def request_sync(*, ad_account: MetaAdAccount, kind: str, scheduled_for: date | None = None) -> tuple[SyncRun, bool]:
    """A queued sync of the account, or the one already queued or running: (run, created).

    The database holds "one active sync per account" and "one daily sync per account and day", so
    two beat ticks, or "Sync now" while a sync runs, never make two."""
    connection = ad_account.connection
    if not connection.can_publish:
        raise SyncError("Connect Meta again first: CraftAds can no longer read this ad account.", code="needs_reauth")
    try:
        with transaction.atomic():
            run = SyncRun.objects.create(
                ad_account=ad_account,
                user_id=connection.user_id,
                kind=kind,
                scheduled_for=scheduled_for,
                **jobs.queued_fields(),
            )
            jobs.enqueue(SyncRun, run.pk)
    except IntegrityError:
        existing = _active_run(ad_account)
        if existing is None and kind == SyncKind.DAILY:
            existing = SyncRun.objects.filter(ad_account=ad_account, kind=kind, scheduled_for=scheduled_for).first()
        if existing is None:
            raise
        return existing, False
    return run, True


def sync_now(*, user, ad_account: MetaAdAccount) -> tuple[SyncRun, bool]:
    limit = ratelimit.hit("meta-sync-now", user.pk, limit=settings.META_SYNC_NOW_PER_HOUR, window=3600)
    if not limit.allowed:
        raise SyncError(
            f"You asked for {settings.META_SYNC_NOW_PER_HOUR} syncs this hour; the next one is possible in "
            f"{max(1, limit.retry_after // 60)} min. The daily sync runs by itself.",
            code="rate_limited",
        )
    return request_sync(ad_account=ad_account, kind=SyncKind.MANUAL)


def schedule_daily_syncs(*, today: date | None = None) -> int:
    """One daily sync per selected ad account of a working connection; returns how many were queued."""
    today = today or timezone.now().date()
    queued = 0
    accounts = MetaAdAccount.objects.filter(
        selected=True, connection__status__in=[ConnectionStatus.ACTIVE, ConnectionStatus.EXPIRING]
    ).select_related("connection")
    for ad_account in accounts:
        try:
            _, created = request_sync(ad_account=ad_account, kind=SyncKind.DAILY, scheduled_for=today)
        except SyncError:
            continue
        queued += created
    logger.info("Daily Meta syncs queued", extra={"count": queued, "day": today.isoformat()})
    return queued
