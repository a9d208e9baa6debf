"""The generation job (queue `generation`)."""

from celery import shared_task

from generations.services import generation as generation_services


@shared_task(bind=True, acks_late=True, max_retries=None, name="generations.tasks.generation.render_generation_task")
def render_generation_task(self, generation_id: str) -> str:
    """Render a generation. Safe to run twice: the claim lets one attempt work, the others skip.

    acks_late: a worker that dies mid-job leaves the message to be delivered again, and the sweep
    re-queues the job once its lease runs out, so it completes elsewhere or fails with its holds
    released. Provider errors that may pass are retried with backoff, up to the attempt cap the
    service keeps in the database.
    """
    try:
        return generation_services.run_generation(generation_id=generation_id)
    except generation_services.RetryLater as retry:
        if self.request.is_eager:
            # Eager mode (tests, the embedded default): a raised Retry would propagate into the web
            # request that enqueued the job; returned, Celery's apply() runs the retry inline instead.
            return self.retry(countdown=retry.countdown, throw=False)
        raise self.retry(countdown=retry.countdown) from retry
