"""The sync run, a job on the shared runner (`craftplatform.jobs`, queue `sync`).

It reads the structure of the account's campaigns (status and budgets, Ads Manager's changes
included), then ad-level daily insights for two breakdown reports, in windows of days. Meta
restates recent days, so every sync re-reads the last `META_SYNC_RESTATE_DAYS` days; older days
are read once, by the account's first sync (back to its oldest campaign, at most 37 months). Each
window is stored in fenced transactions of `META_SYNC_STORE_ROWS` rows, then recorded in the run's
progress, so a worker that dies loses at most one window, and the next attempt continues where it
stopped: upserts make a re-read window change nothing. "Reduce the amount of data" halves the window, then the page.
Usage headers slow the sync down before Meta throttles it; a rate limit re-queues it for the time
Meta asks; an expired token flags the connection and stops, keeping what was stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Min, Sum
from django.utils import timezone

from campaigns.connections import services as connection_services
from campaigns.connections.models import MetaAdAccount
from campaigns.meta import insights
from campaigns.meta.errors import MetaAuthError, MetaError, MetaRateLimited, MetaTransientError
from campaigns.publishing.models import Campaign, CampaignChange
from campaigns.sync import ingest, selectors
from campaigns.sync.models import Breakdown, PerformanceRecord, SyncRun
from campaigns.sync.read_ahead import read_ahead
from craftplatform import jobs
from craftplatform.jobs import LostLease

logger = logging.getLogger(__name__)

MAX_HISTORY_DAYS = 37 * 31  # Meta keeps insights for 37 months
MIN_PAGE_SIZE = 25
NEEDS_REAUTH_MESSAGE = "Meta no longer accepts CraftAds' access. Connect Meta again; what was synced is kept."


@dataclass
class Attempt:
    run_id: object
    number: int
    token: str
    ad_account: MetaAdAccount
    links: ingest.Links
    counts: ingest.Counts = field(default_factory=ingest.Counts)
    started: float = field(default_factory=time.monotonic)
    lease_refreshed: float = 0.0


def sync_range(ad_account: MetaAdAccount, *, today: date, first_sync: bool) -> tuple[date, date]:
    restate_from = today - timedelta(days=settings.META_SYNC_RESTATE_DAYS - 1)
    if not first_sync:
        return restate_from, today
    oldest = Campaign.objects.filter(ad_account=ad_account).aggregate(first=Min("created_at"))["first"]
    since = min(restate_from, oldest.date()) if oldest else restate_from
    return max(since, today - timedelta(days=MAX_HISTORY_DAYS)), today


def _account_day(ad_account: MetaAdAccount) -> date:
    return selectors.account_today(ad_account)


def _plan(since: date, until: date, recent: date) -> list[tuple[date, date]]:
    """Older days (a first sync's back-fill) in large windows read as asynchronous report runs;
    the recent days Meta restates in small windows read directly."""
    windows = []
    if since < recent:
        windows += _windows(since, min(until, recent - timedelta(days=1)), settings.META_SYNC_BACKFILL_WINDOW_DAYS)
    windows += _windows(max(since, recent), until, settings.META_SYNC_WINDOW_DAYS)
    return windows


def _windows(since: date, until: date, days: int) -> list[tuple[date, date]]:
    windows, start = [], since
    while start <= until:
        end = min(until, start + timedelta(days=days - 1))
        windows.append((start, end))
        start = end + timedelta(days=1)
    return windows


def run_sync(*, run_id) -> str:
    """Run (or continue) one sync. Safe to call twice: only the claim's winner works."""
    number = jobs.claim(SyncRun, run_id)
    if number is None:
        return "skipped"
    run = SyncRun.objects.select_related("ad_account__connection").get(pk=run_id)
    now = timezone.now()
    if run.retry_at and run.retry_at > now:  # an early message: Meta's wait is not over
        jobs.requeue(SyncRun, run_id, attempt=number, countdown=(run.retry_at - now).total_seconds())
        return "early"
    ad_account, connection = run.ad_account, run.ad_account.connection
    if not connection.can_publish:
        jobs.fail(SyncRun, run_id, message=NEEDS_REAUTH_MESSAGE, code="needs_reauth", attempt=number)
        return "needs_reauth"
    attempt = Attempt(run.pk, number, connection.access_token, ad_account, ingest.Links.for_account(ad_account))
    try:
        if run.since is None:
            first = not SyncRun.objects.filter(ad_account=ad_account, status=jobs.JobStatus.COMPLETED).exists()
            since, until = sync_range(ad_account, today=selectors.account_today(ad_account), first_sync=first)
            with jobs.fenced(SyncRun, run_id, attempt=number) as locked:
                locked.since, locked.until = since, until
                locked.save(update_fields=["since", "until", "updated_at"])
            run.since, run.until = since, until
        _sync_structure(attempt)
        recent = _account_day(ad_account) - timedelta(days=settings.META_SYNC_RESTATE_DAYS - 1)
        for breakdown in (Breakdown.PLACEMENT, Breakdown.DEMOGRAPHIC):
            for since, until in _plan(run.since, run.until, recent):
                label = f"{breakdown}:{since.isoformat()}"
                if label not in run.progress:
                    _sync_window(attempt, breakdown, since, until, label)
        return _finish(attempt)
    except LostLease:
        logger.info("Sync attempt lost its lease", extra={"run_id": str(run_id), "attempt": number})
        return "lost"
    except MetaRateLimited as exc:
        return _wait(attempt, exc)
    except MetaAuthError as exc:
        jobs.fail(SyncRun, run_id, message=NEEDS_REAUTH_MESSAGE, code="needs_reauth", attempt=number)
        connection_services.mark_needs_reauth(connection_id=connection.pk, error=exc)
        return "needs_reauth"
    except MetaTransientError as exc:
        return jobs.retry_later(SyncRun, run_id, attempt=number, message=exc.explanation, code="meta_transient")
    except MetaError as exc:
        jobs.fail(SyncRun, run_id, message=exc.explanation, code="meta_refused", attempt=number)
        return "failed"


LEASE_REFRESH_SECONDS = 5.0


def _fence(attempt: Attempt, *, force: bool = True) -> None:
    """Extend the lease (LostLease if another attempt took the run). Between pages it is done at most
    every few seconds: each batch's writes are fenced by their own transaction anyway."""
    now = time.monotonic()
    if not force and now - attempt.lease_refreshed < LEASE_REFRESH_SECONDS:
        return
    if not jobs.refresh_lease(SyncRun, attempt.run_id, attempt=attempt.number):
        raise LostLease()
    attempt.lease_refreshed = now


def _slow_down(usage: dict) -> None:
    """Pause in proportion to how close Meta says we are to its limit (nothing below the threshold)."""
    highest = 0.0
    for entries in usage.get("x-business-use-case-usage", {}).values():
        for entry in entries if isinstance(entries, list) else [entries]:
            if isinstance(entry, dict):
                highest = max(
                    highest, *(float(entry.get(k) or 0) for k in ("call_count", "total_cputime", "total_time"))
                )
    highest = max(highest, float(usage.get("x-ad-account-usage", {}).get("acc_id_util_pct") or 0))
    app = usage.get("x-app-usage", {})
    highest = max(highest, *(float(app.get(k) or 0) for k in ("call_count", "total_cputime", "total_time")))
    threshold = settings.META_SYNC_SLOWDOWN_PERCENT
    if highest >= threshold:
        share = min(1.0, (highest - threshold) / max(1.0, 100 - threshold))
        time.sleep(share * settings.META_SYNC_MAX_PAUSE_SECONDS)


def _sync_structure(attempt: Attempt) -> None:
    """Our campaigns' delivery status and budgets as Meta has them (changes made in Ads Manager)."""
    campaigns = list(Campaign.objects.filter(ad_account=attempt.ad_account).exclude(meta_campaign_id=""))
    if not campaigns:
        return
    _fence(attempt)
    states = insights.campaign_states(attempt.token, campaign_ids=[c.meta_campaign_id for c in campaigns])
    with jobs.fenced(SyncRun, attempt.run_id, attempt=attempt.number):
        for campaign in campaigns:
            state = states.get(campaign.meta_campaign_id) or {}
            status = str(state.get("status") or "")
            if status and status in {"ACTIVE", "PAUSED", "ARCHIVED"} and status != campaign.delivery_status:
                CampaignChange.objects.create(
                    campaign=campaign,
                    action="changed_at_meta",
                    field="status",
                    before=campaign.delivery_status,
                    after=status,
                    meta_object_id=campaign.meta_campaign_id,
                    pushed=False,
                )
                Campaign.objects.filter(pk=campaign.pk).update(delivery_status=status, updated_at=timezone.now())


def _sync_window(attempt: Attempt, breakdown: str, since: date, until: date, label: str) -> None:
    window = [(since, until)]
    page_size = settings.META_SYNC_PAGE_SIZE
    while window:
        start, end = window.pop(0)
        try:
            _read_window(attempt, breakdown, start, end, page_size)
        except MetaTransientError as exc:
            if not insights.is_too_much_data(exc):
                raise
            if end > start:  # halve the range
                middle = start + timedelta(days=(end - start).days // 2)
                window[:0] = [(start, middle), (middle + timedelta(days=1), end)]
            elif page_size > MIN_PAGE_SIZE:  # one day is too much: ask for smaller pages
                page_size = max(MIN_PAGE_SIZE, page_size // 2)
                window.insert(0, (start, end))
            else:
                raise
    with jobs.fenced(SyncRun, attempt.run_id, attempt=attempt.number) as run:
        run.progress = [*run.progress, label]
        run.save(update_fields=["progress", "updated_at"])


def _report_pages(attempt: Attempt, breakdown: str, since: date, until: date, page_size: int):
    """A large (back-fill) window: an asynchronous report run, polled with backoff, then read."""
    report_id = insights.start_report(
        attempt.token, account_id=attempt.ad_account.account_id, report=breakdown, since=since, until=until
    )
    deadline = time.monotonic() + settings.META_SYNC_REPORT_TIMEOUT_SECONDS
    pause = 1.0
    while True:
        _fence(attempt)
        state, _percent = insights.report_status(attempt.token, report_id)
        if state == "completed":
            return insights.report_pages(attempt.token, report_id, page_size=page_size)
        if state == "failed" or time.monotonic() > deadline:
            # Meta could not make it (or not in time): ask for less, as with "reduce the amount of data".
            raise MetaTransientError("Please reduce the amount of data you're asking for (the report run failed).")
        time.sleep(pause)
        pause = min(pause * 2, 30.0)


def _read_window(attempt: Attempt, breakdown: str, since: date, until: date, page_size: int) -> None:
    _fence(attempt)
    if (until - since).days + 1 > settings.META_SYNC_WINDOW_DAYS:
        pages = _report_pages(attempt, breakdown, since, until, page_size)
    else:
        pages = insights.insight_pages(
            attempt.token,
            account_id=attempt.ad_account.account_id,
            report=breakdown,
            since=since,
            until=until,
            page_size=page_size,
        )

    # The next pages are fetched and parsed while the database stores the ones before.
    for batch in read_ahead(_batches(attempt, breakdown, pages), _as_is):
        with jobs.fenced(SyncRun, attempt.run_id, attempt=attempt.number) as run:
            counts = ingest.store_page(ad_account=attempt.ad_account, page=batch)
            run.rows_fetched += counts.fetched
            run.rows_inserted += counts.inserted
            run.rows_updated += counts.updated
            run.rows_unchanged += counts.unchanged
            run.save(update_fields=["rows_fetched", "rows_inserted", "rows_updated", "rows_unchanged", "updated_at"])
        _fence(attempt, force=False)


def _as_is(batch: ingest.ParsedPage) -> ingest.ParsedPage:
    return batch


def _batches(attempt: Attempt, breakdown: str, pages: Iterator[insights.Page]) -> Iterator[ingest.ParsedPage]:
    """Pages parsed and gathered into batches of `META_SYNC_STORE_ROWS` rows or more, one transaction each: a
    transaction per page costs as much again as its rows. Progress is recorded per window, so a
    worker that dies re-reads its window whatever the batch size. Every answer's usage headers are
    read here, where Graph is called, so the pause holds back the next request. A Graph error
    first hands over the rows read before it, which are stored as they were page by page."""
    pending: ingest.ParsedPage | None = None
    try:
        for page in pages:
            parsed = ingest.parse_page(
                page.rows, ad_account=attempt.ad_account, breakdown=breakdown, links=attempt.links
            )
            if pending is None:
                pending = parsed
            else:
                pending.extend(parsed)
            _slow_down(page.usage)
            if len(pending.rows) >= settings.META_SYNC_STORE_ROWS:
                yield pending
                pending = None
    except MetaError:
        if pending is not None:
            yield pending
        raise
    if pending is not None:
        yield pending


def _finish(attempt: Attempt) -> str:
    def store(run: SyncRun, captured: int) -> list[str]:
        run.duration_ms = int((time.monotonic() - attempt.started) * 1000)
        run.retry_at = None
        return ["duration_ms", "retry_at"]

    jobs.complete(SyncRun, attempt.run_id, attempt=attempt.number, store=store)
    now = timezone.now()
    # The campaigns' cached totals: spend so far, from the placement report (every ad, every day).
    spent = (
        PerformanceRecord.objects.filter(ad_account=attempt.ad_account, breakdown=Breakdown.PLACEMENT)
        .exclude(campaign=None)
        .values("campaign")
        .annotate(total=Sum("spend"))
    )
    for row in spent:
        Campaign.objects.filter(pk=row["campaign"]).update(spend=row["total"], updated_at=now)
    type(attempt.ad_account.connection).objects.filter(pk=attempt.ad_account.connection_id).update(
        last_synced_at=now, updated_at=now
    )
    return "done"


def _wait(attempt: Attempt, exc: MetaRateLimited) -> str:
    seconds = max(1, int(exc.wait_seconds))
    try:
        with jobs.fenced(SyncRun, attempt.run_id, attempt=attempt.number) as run:
            run.retry_at = timezone.now() + timedelta(seconds=seconds)
            run.rate_limit_waits += 1
            run.error_message = f"Meta asked CraftAds to wait; the sync continues by itself in {seconds} s."
            run.save(update_fields=["retry_at", "rate_limit_waits", "error_message", "updated_at"])
    except LostLease:
        return "lost"
    if not jobs.requeue(SyncRun, attempt.run_id, attempt=attempt.number, countdown=seconds):
        return "lost"
    logger.info("Sync waits for Meta's rate limit", extra={"run_id": str(attempt.run_id), "seconds": seconds})
    return "waiting"
