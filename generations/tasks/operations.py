"""Tasks: image operations (upscale, background removal, vectorise).

Thin: the service claims the operation through the job runner, so a second delivery of the same
task (acks_late after a worker died, a retry racing the sweep) does nothing; that makes acks_late
safe. Provider errors that may pass are re-sent by the runner with backoff, up to the attempt cap.
"""

from celery import shared_task

from generations.services import operations as operation_services


@shared_task(acks_late=True, name="generations.tasks.operations.run_image_operation_task")
def run_image_operation_task(operation_id: str) -> str:
    """Run one image operation."""
    return operation_services.run_image_operation(operation_id=operation_id)
