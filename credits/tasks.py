"""Scheduled credit work: thin wrappers over the services."""

import logging

from celery import shared_task

from credits.services import release_expired_holds
from credits.services.reconcile import find_discrepancies

logger = logging.getLogger(__name__)


@shared_task(name="credits.tasks.release_expired_holds_task")
def release_expired_holds_task() -> int:
    released = release_expired_holds()
    if released:
        logger.warning("Released expired credit holds", extra={"count": released})
    return released


@shared_task(name="credits.tasks.reconcile_credits_task")
def reconcile_credits_task() -> int:
    problems = find_discrepancies()
    for problem in problems:
        logger.error("Credit ledger discrepancy: %s", problem)
    return len(problems)
