"""Cancelling a queued generation or image operation, by its owner (issue 12, item 16).

Only a job that no worker has claimed yet can be cancelled: `craftplatform.jobs.cancel` moves it
from queued to cancelled under the row lock and releases its holds in the same transaction, so
nothing is charged and no file was ever written. A worker that receives the task afterwards finds
nothing to claim and does nothing. A job already running, or finished, is refused with a message;
cancelling a cancelled job again changes nothing. No email is sent for a job the user cancelled.
"""

from craftplatform import jobs
from generations import selectors
from generations.errors import JobNotCancellable
from generations.models import Generation, ImageOperation

CANCELLED_MESSAGE = "You cancelled this before it started. Nothing was charged."
RUNNING_MESSAGE = "This has already started and can no longer be cancelled. It will finish in a moment."
FINISHED_MESSAGE = "This has already finished, so there is nothing to cancel."


def _cancel(model: type[Generation] | type[ImageOperation], job: Generation | ImageOperation) -> bool:
    """True when this call cancelled the job, False when it was cancelled already; refuses otherwise."""
    if jobs.cancel(model, job.pk, message=CANCELLED_MESSAGE):
        return True
    job.refresh_from_db(fields=["status"])
    if job.status == jobs.JobStatus.CANCELLED:
        return False  # a second click, or a retried request: harmless
    if job.status == jobs.JobStatus.RUNNING:
        raise JobNotCancellable(RUNNING_MESSAGE, code="job_running")
    raise JobNotCancellable(FINISHED_MESSAGE, code="job_finished")


def cancel_generation(*, user, generation_id) -> Generation:
    """Cancel the user's queued generation and release its holds. Http404 when it is not theirs;
    JobNotCancellable when it is running or finished. Safe to call twice."""
    generation = selectors.get_generation_for_user(user=user, generation_id=generation_id)
    _cancel(Generation, generation)
    generation.refresh_from_db()
    return generation


def cancel_operation(*, user, operation_id) -> ImageOperation:
    """Cancel the user's queued image operation and release its hold. Http404 when it is not theirs;
    JobNotCancellable when it is running or finished. Safe to call twice."""
    operation = selectors.get_operation_for_user(user=user, operation_id=operation_id)
    _cancel(ImageOperation, operation)
    operation.refresh_from_db()
    return operation
