"""Every periodic task of the platform, declared here and only here.

`sync_schedules()` writes them into django-celery-beat's tables, where staff
can pause or retune them in the admin: an existing entry keeps the staff's
changes; an entry no longer declared here is removed. It runs after every
`migrate` and by `manage.py sync_schedules`.
"""

import json
from dataclasses import dataclass, field

from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

PREFIX = "craftads: "


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    crontab: dict
    queue: str = "default"
    expires_seconds: int = 3600
    description: str = ""
    kwargs: dict = field(default_factory=dict)


SCHEDULES: list[Schedule] = [
    Schedule(
        name="clear expired sessions",
        task="craftplatform.tasks.clear_expired_sessions_task",
        crontab={"minute": "17", "hour": "3"},
        # Sessions live in the database (cached_db); expired rows pile up otherwise.
        description="Deletes expired sessions from the database once a day.",
        expires_seconds=6 * 3600,
    ),
    Schedule(
        name="release expired credit holds",
        task="credits.tasks.release_expired_holds_task",
        crontab={"minute": "*/5"},
        # A job that died without settling its hold must not keep the user's credits reserved.
        description="Releases credit holds whose expiry passed.",
        expires_seconds=4 * 60,
    ),
    Schedule(
        name="reconcile credits",
        task="credits.tasks.reconcile_credits_task",
        crontab={"minute": "40", "hour": "4"},
        # The ledger is the truth: report any balance that disagrees, never fix it silently.
        description="Checks every balance against its ledger and open holds; logs differences.",
        expires_seconds=6 * 3600,
    ),
    # --- money (issue 10): plan credits after cancellation, receipts the broker missed ---
    Schedule(
        name="expire ended plan credits",
        task="credits.tasks.expire_ended_plan_credits_task",
        crontab={"minute": "7"},
        # A cancelled plan's credits expire (or keep the rollover) at the end of its last paid period.
        description="Expires the unused credits of plans whose last paid period ended.",
        expires_seconds=50 * 60,
    ),
    Schedule(
        name="send unsent receipts",
        task="credits.tasks.send_unsent_receipts_task",
        crontab={"minute": "*/5"},
        # The broker was down when a payment committed: its receipt is enqueued here instead.
        description="Enqueues receipts whose enqueue failed at commit.",
        expires_seconds=4 * 60,
    ),
    # --- end money ---
    Schedule(
        # Job runner (issue 10, jobs area): one sweep for every kind of job, on `default` so a
        # backed-up `generation` queue cannot starve it. (Renamed, so the old entry is removed.)
        name="sweep jobs",
        task="craftplatform.tasks.sweep_jobs_task",
        crontab={"minute": "*"},
        queue="default",
        description="Re-queues or fails jobs whose lease ran out, fails jobs stuck in the queue, re-sends lost messages.",
        expires_seconds=50,
    ),
    Schedule(
        name="expire free-plan files",
        task="generations.tasks.maintenance.expire_assets_task",
        crontab={"minute": "25", "hour": "2"},
        queue="generation",
        # Seed 004's retention: free users' files go after 30 days, paid users' are kept.
        description="Removes free-plan files past their retention and marks the assets expired.",
        expires_seconds=6 * 3600,
    ),
    # -- Campaigns (Meta publishing) --------------------------------------------------
    Schedule(
        name="sync Meta performance",
        task="campaigns.tasks.schedule_daily_syncs_task",
        crontab={"minute": "20", "hour": "5"},
        queue="sync",
        # One sync per connected ad account per day (the database refuses a second for the same day),
        # after Meta has closed the previous day in most time zones.
        description="Queues the daily performance sync of every selected Meta ad account.",
        expires_seconds=6 * 3600,
    ),
    Schedule(
        name="roll up template performance",
        task="campaigns.tasks.rollup_template_metrics_task",
        crontab={"minute": "50", "hour": "6"},
        queue="sync",
        # After the daily syncs: the gallery's "best click-through rate" ranks by synced numbers.
        description="Rolls synced ad numbers up into each template's daily metrics.",
        expires_seconds=6 * 3600,
    ),
    Schedule(
        name="warn expiring Meta connections",
        task="campaigns.tasks.warn_expiring_connections_task",
        crontab={"minute": "10", "hour": "8"},
        queue="sync",
        # Long-lived tokens last about 60 days: users are told 7 days before (banner and email).
        description="Emails users whose Meta login expires within 7 days.",
        expires_seconds=6 * 3600,
    ),
    Schedule(
        name="recompute analytics rollups",
        task="analytics.tasks.recompute_recent_rollups_task",
        crontab={"minute": "7"},
        # Dashboards read rollups only: recompute today and the last days (late payments, jobs that
        # ended after midnight), then check the day's AI cost against the alert rules.
        description="Recomputes the analytics rollups of recent days and checks the AI cost alert.",
        expires_seconds=50 * 60,
    ),
    # --- Landing pages (issue 15) ---
    Schedule(
        name="drain page events",
        task="analytics.tasks.drain_page_events_task",
        crontab={"minute": "*"},
        # The beacon only appends to the Redis stream; this moves events into the database (COPY).
        # Deployments with heavy traffic run `manage.py drain_page_events` as its own process too.
        description="Moves accepted page events from the Redis stream into the database.",
        expires_seconds=50,
    ),
    Schedule(
        name="retry webhook deliveries",
        task="campaigns.tasks.retry_webhook_deliveries_task",
        crontab={"minute": "*"},
        # A retry whose task was lost (worker restart) is found by its due time and sent again.
        description="Sends webhook deliveries whose next attempt is due.",
        expires_seconds=50,
    ),
    Schedule(
        name="delete expired leads",
        task="campaigns.tasks.purge_expired_leads_task",
        crontab={"minute": "35", "hour": "3"},
        # Each page's lead retention setting (days; 0 keeps them).
        description="Deletes leads older than their page's retention.",
        expires_seconds=6 * 3600,
    ),
    # API contract (issue 17): Idempotency-Key records are kept 24 hours.
    Schedule(
        name="purge old idempotency keys",
        task="accounts.tasks.purge_idempotency_records_task",
        crontab={"minute": "23"},
        # A key is honoured for 24 hours; older records only grow the table.
        description="Deletes API Idempotency-Key records older than 24 hours (at most 50,000 a run).",
        expires_seconds=3000,
    ),
]


@transaction.atomic
def sync_schedules() -> dict[str, int]:
    created = 0
    declared = set()
    for spec in SCHEDULES:
        name = PREFIX + spec.name
        declared.add(name)
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=spec.crontab.get("minute", "*"),
            hour=spec.crontab.get("hour", "*"),
            day_of_week=spec.crontab.get("day_of_week", "*"),
            day_of_month=spec.crontab.get("day_of_month", "*"),
            month_of_year=spec.crontab.get("month_of_year", "*"),
            timezone="UTC",
        )
        PeriodicTask.objects.create(
            name=name,
            task=spec.task,
            crontab=crontab,
            queue=spec.queue,
            expire_seconds=spec.expires_seconds,
            kwargs=json.dumps(spec.kwargs),
            description=spec.description,
        )
        created += 1
    removed, _ = PeriodicTask.objects.filter(name__startswith=PREFIX).exclude(name__in=declared).delete()
    return {"created": created, "removed": removed, "declared": len(declared)}


def sync_after_migrate(sender, using="default", **kwargs) -> None:
    sync_schedules()
