"""Scheduled upkeep of generations: the free plan's file retention. (The stuck-job sweep is the job
runner's, `craftplatform.tasks.sweep_jobs_task`, on the `default` queue.)"""

from celery import shared_task

from generations.services import retention as retention_services


@shared_task(name="generations.tasks.maintenance.expire_assets_task")
def expire_assets_task() -> int:
    """Free-plan files past their retention: removed from storage, their assets marked expired."""
    return retention_services.expire_assets()
