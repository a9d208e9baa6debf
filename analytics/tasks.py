"""Rollups are recomputed by beat; the tasks are thin wrappers over the services."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from analytics import drain
from analytics.services import alerts, rollups


@shared_task(name="analytics.tasks.recompute_recent_rollups_task", acks_late=True)
def recompute_recent_rollups_task() -> int:
    """Recompute today and the last ANALYTICS_RECOMPUTE_DAYS days (late rows), the ad rollups of
    the last ANALYTICS_PERFORMANCE_RECOMPUTE_DAYS (Meta's restated numbers), then check today's AI
    cost against the alert rules. Safe to run twice: both are idempotent."""
    today = timezone.now().date()
    days = rollups.recompute_recent(
        today=today,
        days=settings.ANALYTICS_RECOMPUTE_DAYS,
        performance_days=settings.ANALYTICS_PERFORMANCE_RECOMPUTE_DAYS,
    )
    alerts.check_cost_alerts(day=today)
    return days


@shared_task(name="analytics.tasks.drain_page_events_task")
def drain_page_events_task() -> int:
    # Safe to run beside other drains: the consumer group hands each entry to one consumer, and a
    # batch written twice is stored once (see analytics.drain).
    return drain.drain(max_batches=200)
