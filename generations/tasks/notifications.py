"""Emails about generations that are sent as tasks (queue `default`, see craftplatform/celery.py)."""

from celery import shared_task

from generations import notifications


@shared_task(name="generations.tasks.notifications.send_generation_failed_task")
def send_generation_failed_task(generation_id: str) -> bool:
    """Tell the owner their ads could not be made, whichever way the generation failed (the worker,
    the sweep's time-outs, holds found released). Sent by the job runner once the failure commits; a
    generation that is no longer failed (retried by staff since) gets nothing from it."""
    return notifications.send_generation_failed(generation_id=generation_id)
