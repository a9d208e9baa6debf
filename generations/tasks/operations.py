"""Tasks: image operations (upscale, background removal, vectorise).

Thin: the service claims the operation with a conditional update, so a second delivery of the same
task (acks_late after a worker died, a retry racing the sweep) does nothing; that makes acks_late safe.
"""

import logging
import random

from celery import shared_task
from celery.exceptions import Retry
from django.conf import settings

from generations import providers
from generations.services import operations as operation_services

logger = logging.getLogger(__name__)

MAX_RETRIES = 3
BACKOFF_BASE_SECONDS = 10


def retry_countdown(retries: int, retry_after: float | None) -> float:
    """Exponential backoff with full jitter (10, 20, 40 s ceilings), never sooner than the provider
    asked (Retry-After), never later than the broker's visibility timeout allows."""
    countdown = random.uniform(0.5, 1.0) * BACKOFF_BASE_SECONDS * 2**retries  # noqa: S311 - jitter, not security
    if retry_after is not None:
        countdown = max(countdown, float(retry_after))
    return min(countdown, float(settings.CELERY_MAX_COUNTDOWN))


@shared_task(
    bind=True, acks_late=True, max_retries=MAX_RETRIES, name="generations.tasks.operations.run_image_operation_task"
)
def run_image_operation_task(self, operation_id: str) -> str | Retry:
    """Run one image operation. A provider error that may pass is retried with backoff (the service
    has put the operation back in the queue); after the last retry the operation fails and its hold
    is released."""
    try:
        return operation_services.run_image_operation(operation_id=operation_id)
    except providers.TransientProviderError as exc:
        if self.request.retries >= self.max_retries:
            operation_services.fail_image_operation(
                operation_id=operation_id, error_message=f"{exc.message} Nothing was charged."
            )
            return "failed"
        countdown = retry_countdown(self.request.retries, exc.retry_after)
        logger.warning(
            "image operation will be retried",
            extra={"operation_id": operation_id, "countdown": round(countdown, 1), "retries": self.request.retries},
        )
        if self.request.is_eager:
            # Eager mode (tests, the embedded default): a raised Retry would propagate into the web
            # request that enqueued the job; returned, Celery's apply() runs the retry inline instead.
            return self.retry(exc=exc, countdown=countdown, throw=False)
        raise self.retry(exc=exc, countdown=countdown) from exc
