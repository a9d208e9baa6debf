"""Scheduled upkeep of generations: the stuck-job sweep and the free plan's file retention."""

from celery import shared_task

from generations.services import generation as generation_services
from generations.services import operations as operation_services
from generations.services import retention as retention_services


@shared_task(name="generations.tasks.maintenance.sweep_stuck_jobs_task")
def sweep_stuck_jobs_task() -> dict:
    """Jobs whose lease ran out: queued again, or failed with their holds released after the last attempt."""
    result = generation_services.sweep_stuck_generations()
    result["operations"] = operation_services.sweep_stuck_operations()
    return result


@shared_task(name="generations.tasks.maintenance.expire_assets_task")
def expire_assets_task() -> int:
    """Free-plan files past their retention: removed from storage, their assets marked expired."""
    return retention_services.expire_assets()
