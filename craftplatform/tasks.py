"""Platform housekeeping tasks."""

import logging

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task(name="craftplatform.tasks.clear_expired_sessions_task")
def clear_expired_sessions_task() -> int:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    logger.info("Deleted expired sessions", extra={"count": deleted})
    return deleted
