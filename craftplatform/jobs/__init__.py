"""One job runner for every background job with state (DESIGN.md section 3, "Jobs: one runner").

Generations, image operations, campaign publishing and Meta syncs all run on it. A kind of job is
a concrete subclass of the abstract model `craftplatform.jobs.models.Job`:

    class PublishRun(Job):
        job_task = "campaigns.tasks.publishing.publish_task"      # sent by name, takes the id
        max_attempts_setting = "PUBLISH_MAX_ATTEMPTS"              # optional; JOBS_MAX_ATTEMPTS
        lease_seconds_setting = "PUBLISH_LEASE_SECONDS"            # optional; JOBS_LEASE_SECONDS
        queue_priority_field = "priority"                          # optional: message priority (0 first)

        def job_hold_ids(self): return [self.hold_id]            # optional: holds to capture
        def on_job_failed(self): ...; return ["fields", "set"]   # optional: clean-up on failure
        failure_notice_task = "campaigns.tasks.notices.tell_task"  # optional: sent once a failure commits

It inherits `status` (`JobStatus`: queued, running (stored "processing"), completed, failed,
cancelled), `attempts` (the fencing token), `lease_expires_at`, `queued_at`, `enqueued_at`,
`enqueue_pending`, `started_at`, `completed_at` (finished, whichever way), `error_code` and
`error_message` (what the user reads).

The functions (`from craftplatform import jobs`), each taking the model class and a job id:

- request: create the row with `**jobs.queued_fields()` inside your transaction, then
  `jobs.enqueue(Model, job.pk)`: the task is sent by name on commit (`robust=True`); a broker that
  refuses it marks the job `enqueue_pending` for the sweep instead of failing the request.
- task: `attempt = jobs.claim(Model, id)`; None means "not yours, return". The claim is one
  conditional UPDATE (queued -> running, attempts + 1, lease); a job whose holds are no longer
  held is failed there, nothing charged. Holds are extended with the lease.
- while working: `jobs.refresh_lease(Model, id, attempt=attempt, hold_ids=..., progress=...)`
  (False: you lost the job, stop); any other write goes in `with jobs.fenced(Model, id,
  attempt=attempt) as job:` (row lock, LostLease if the attempt no longer owns it).
- files: write them under names that include the attempt, and only let rows refer to them in the
  completing transaction; on LostLease delete only your own files (`stored_files()` does).
- done: `jobs.complete(Model, id, attempt=attempt, store=fn)` under the row lock: fences by attempt
  (LostLease), captures every hold (HoldsNotHeld rolls everything back: call `jobs.fail` with
  `jobs.HOLDS_RETURNED_MESSAGE`), then `fn(job, captured)` creates the result rows and returns the
  names of the fields it set on `job`; all in one transaction.
- failure: `jobs.fail(Model, id, message=..., code=..., attempt=attempt)` releases the holds.
  A failure that may pass: `jobs.retry_later(Model, id, attempt=attempt, message=..., code=...,
  retry_after=...)` re-queues by attempt with exponential backoff and full jitter
  (`JOBS_BACKOFF_BASE_SECONDS`, `JOBS_BACKOFF_MAX_SECONDS`), or fails after the attempt cap.
- every failure (the worker's, the sweep's time-outs, holds found released at the claim) sends the
  kind's `failure_notice_task` (by name, the job id) once it commits, so the user is told whichever
  way it failed; a cancellation does not.
- `jobs.cancel(Model, id)` cancels a job that has not started.
- the sweep (`craftplatform.tasks.sweep_jobs_task`, every minute on the `default` queue) runs
  `jobs.sweep(Model)` for every Job subclass: expired leases are re-queued by attempt, or failed
  with holds released after the cap; jobs queued longer than `JOBS_QUEUE_TIMEOUT_SECONDS` fail;
  messages refused or unclaimed for `JOBS_RESEND_AFTER_SECONDS` are sent again.

Credit holds are settled through `craftplatform.jobs.holds` (a port `credits` registers at start-up),
so this package does not import the apps below it.
"""

from craftplatform.jobs.holds import HoldsNotHeld
from craftplatform.jobs.models import ACTIVE_STATUSES, FINISHED_STATUSES, Job, JobStatus
from craftplatform.jobs.retry import backoff_seconds, max_attempts
from craftplatform.jobs.runner import (
    HOLDS_RETURNED_MESSAGE,
    QUEUE_TIMEOUT_MESSAGE,
    LostLease,
    SweepResult,
    cancel,
    claim,
    complete,
    enqueue,
    fail,
    fenced,
    job_models,
    queued_fields,
    refresh_lease,
    requeue,
    retry_later,
    sweep,
    sweep_all,
)

__all__ = [
    "ACTIVE_STATUSES",
    "FINISHED_STATUSES",
    "HOLDS_RETURNED_MESSAGE",
    "QUEUE_TIMEOUT_MESSAGE",
    "HoldsNotHeld",
    "Job",
    "JobStatus",
    "LostLease",
    "SweepResult",
    "backoff_seconds",
    "cancel",
    "claim",
    "complete",
    "enqueue",
    "fail",
    "fenced",
    "job_models",
    "max_attempts",
    "queued_fields",
    "refresh_lease",
    "requeue",
    "retry_later",
    "sweep",
    "sweep_all",
]
