"""The generation job (queue `generation`)."""

from celery import shared_task

from generations.services import generation as generation_services


@shared_task(acks_late=True, name="generations.tasks.generation.render_generation_task")
def render_generation_task(generation_id: str) -> str:
    """Render a generation. Safe to run twice: the runner's claim lets one attempt work, the others skip.

    acks_late: a worker that dies mid-job leaves the message to be delivered again, and the sweep
    re-queues the job once its lease runs out, so it completes elsewhere or fails with its holds
    released. Provider errors that may pass are re-sent by the runner with backoff, up to the cap.
    """
    return generation_services.run_generation(generation_id=generation_id)
