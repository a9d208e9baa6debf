"""Platform housekeeping tasks."""

import logging

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from craftplatform import jobs

logger = logging.getLogger(__name__)


@shared_task(name="craftplatform.tasks.clear_expired_sessions_task")
def clear_expired_sessions_task() -> int:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    logger.info("Deleted expired sessions", extra={"count": deleted})
    return deleted


@shared_task(name="craftplatform.tasks.sweep_jobs_task")
def sweep_jobs_task() -> dict[str, dict[str, int]]:
    """Every kind of job (craftplatform.jobs): expired leases re-queued or failed with their holds
    released, jobs stuck in the queue failed, lost messages sent again. Runs on `default`, so a
    backed-up `generation` queue cannot starve it."""
    return jobs.sweep_all()
