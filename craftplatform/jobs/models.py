"""The abstract job model: one vocabulary of states and the fields the runner fences by."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

from craftplatform.models import MutableModel


class JobStatus(models.TextChoices):
    """Every background job's states. `RUNNING` is stored as "processing" (the name the first jobs
    used), so rows written before the runner existed read the same."""

    QUEUED = "queued", "Queued"
    RUNNING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
FINISHED_STATUSES = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


class Job(MutableModel):
    """A background job with its own state in the database (DESIGN.md section 3, "Jobs: one runner").

    Subclasses name the Celery task that runs them (`job_task`, sent by name) and may override
    `job_hold_ids` (the credit holds completion must capture) and `on_job_failed` (clean-up inside
    the failing transaction). `attempts` is the fencing token: the claim increments it, and every
    write after the claim checks it.
    """

    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # When the job (last) entered the queue; a retry with backoff resets it.
    queued_at = models.DateTimeField(null=True, blank=True)
    # When a task message was last sent for it (or is due, for a message sent with a countdown).
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # The broker refused the message at commit: the sweep sends it again.
    enqueue_pending = models.BooleanField(default=False)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True, help_text="When it finished, whichever way.")
    error_code = models.CharField(max_length=50, blank=True)
    error_message = models.TextField(blank=True)

    # The Celery task (by name) that runs one job: it takes the job id as its only argument.
    job_task: ClassVar[str] = ""
    # Settings naming this kind's caps (read at call time, so tests may override them).
    max_attempts_setting: ClassVar[str] = "JOBS_MAX_ATTEMPTS"
    lease_seconds_setting: ClassVar[str] = "JOBS_LEASE_SECONDS"
    # Optional: a Celery task (by name, taking the job id) sent once a failure has committed, to
    # tell the user. Every way a job fails sends it (the worker's failure, the sweep's time-outs,
    # holds found released at the claim); a cancelled job does not: its owner asked for that.
    failure_notice_task: ClassVar[str] = ""
    # The field holding the job's queue priority, sent as the task message's priority (Celery on
    # Redis: 0 is served first, 9 last; see craftplatform.celery). Empty: messages carry none.
    queue_priority_field: ClassVar[str] = ""

    class Meta:
        abstract = True

    def job_hold_ids(self) -> list[Any]:
        """The credit holds completion captures (all, or the job does not complete)."""
        return []

    def on_job_failed(self) -> list[str]:
        """Called under the row lock in the transaction that fails the job (holds are released);
        returns the names of the fields it set on the row, saved with the failure."""
        return []

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES
