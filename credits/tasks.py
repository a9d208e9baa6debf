"""Scheduled credit work: thin wrappers over the services."""

import logging

from celery import shared_task

from credits.services import receipts, release_expired_holds, subscriptions
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


@shared_task(name="credits.tasks.expire_ended_plan_credits_task")
def expire_ended_plan_credits_task() -> int:
    return subscriptions.expire_ended_plan_credits()


@shared_task(name="credits.tasks.send_unsent_receipts_task")
def send_unsent_receipts_task() -> int:
    queued = receipts.send_unsent_receipts()
    if queued:
        logger.warning("Enqueued receipts the broker could not take at commit", extra={"count": queued})
    return queued
