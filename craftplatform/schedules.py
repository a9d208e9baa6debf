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
    Schedule(
        name="sweep stuck generation jobs",
        task="generations.tasks.maintenance.sweep_stuck_jobs_task",
        crontab={"minute": "*"},
        queue="generation",
        # A worker that died mid-job leaves it processing with an expired lease: re-queue it, or
        # fail it and release its credits after the last attempt.
        description="Re-queues or fails generations and image operations whose lease ran out.",
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
