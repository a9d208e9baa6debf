"""The job runner's functions. See the package docstring (`craftplatform.jobs`) for the contract."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from craftplatform.celery import app as celery_app
from craftplatform.jobs.holds import HoldsNotHeld, hold_ledger
from craftplatform.jobs.models import ACTIVE_STATUSES, Job, JobStatus
from craftplatform.jobs.retry import backoff_seconds, max_attempts

logger = logging.getLogger(__name__)

J = TypeVar("J", bound=Job)

HOLDS_RETURNED_MESSAGE = (
    "The credits held for this took too long to be used and were returned. Nothing was charged; please try again."
)
QUEUE_TIMEOUT_MESSAGE = "No worker could start this in time, so it was stopped. Nothing was charged; please try again."


class LostLease(Exception):
    """Another attempt owns the job now (the sweep re-queued it), or it has finished: stop, write nothing."""


# -- timing -----------------------------------------------------------------------------------------


def lease_seconds(model: type[Job]) -> int:
    return int(getattr(settings, model.lease_seconds_setting))


def _lease_until(model: type[Job], now: datetime) -> datetime:
    return now + timedelta(seconds=lease_seconds(model))


def _hold_until(model: type[Job], lease_until: datetime) -> datetime:
    return lease_until + timedelta(seconds=settings.JOBS_HOLD_GRACE_SECONDS)


def queued_fields(now: datetime | None = None) -> dict[str, Any]:
    """The fields of a job entering the queue now (for `Model.objects.create(**queued_fields(), ...)`)."""
    now = now or timezone.now()
    return {"status": JobStatus.QUEUED, "queued_at": now, "enqueued_at": now, "enqueue_pending": False}


# -- sending ----------------------------------------------------------------------------------------


def enqueue(model: type[Job], job_id: Any, *, countdown: float | None = None) -> None:
    """Send the job's task (by name) once the current transaction commits.

    Never raises into the caller: when the broker refuses the message, the job is marked
    `enqueue_pending` and the next sweep sends it again. Outside a transaction it sends at once.
    """
    transaction.on_commit(partial(_send, model, job_id, countdown), robust=True)


def _registered_task(name: str) -> Any:
    """The task registered under `name` in this process, importing the apps' task modules (Celery's
    autodiscovery) the first time: services never import them themselves."""
    task = celery_app.tasks.get(name)
    if task is None:
        celery_app.loader.import_default_modules()
        task = celery_app.tasks.get(name)
    return task


def _message_priority(model: type[Job], job_id: Any) -> int | None:
    """The job's queue priority as stored on its row (paid plans first), for every send of it:
    the first, a retry, the sweep's resend."""
    if not model.queue_priority_field:
        return None
    return model._default_manager.filter(pk=job_id).values_list(model.queue_priority_field, flat=True).first()


def _send(model: type[Job], job_id: Any, countdown: float | None) -> None:
    try:
        options: dict[str, Any] = {"countdown": countdown}
        priority = _message_priority(model, job_id)
        if priority is not None:
            options["priority"] = priority
        # By name: the registered task when this process knows it (so eager mode runs it inline),
        # else a plain message for the workers.
        task = _registered_task(model.job_task)
        if task is not None:
            task.apply_async(args=[str(job_id)], **options)
        else:
            celery_app.send_task(model.job_task, args=[str(job_id)], **options)
    except Exception:
        logger.warning(
            "could not send job; the sweep will send it again",
            exc_info=True,
            extra={"job": model.__name__, "job_id": str(job_id)},
        )
        model._default_manager.filter(pk=job_id, status=JobStatus.QUEUED).update(
            enqueue_pending=True, updated_at=timezone.now()
        )


# -- claim, lease, fenced writes ------------------------------------------------------------------


def claim(model: type[Job], job_id: Any) -> int | None:
    """Queued -> running for one attempt; returns the attempt number, None when there is nothing to claim
    (finished, or another attempt runs it). A job whose holds are no longer held is failed instead
    (nothing charged, the user told why) and HoldsNotHeld raised. The holds are extended with the lease."""
    now = timezone.now()
    until = _lease_until(model, now)
    with transaction.atomic():
        claimed = model._default_manager.filter(pk=job_id, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING,
            attempts=F("attempts") + 1,
            lease_expires_at=until,
            started_at=now,
            enqueue_pending=False,
            updated_at=now,
        )
        if claimed != 1:
            return None
        job = model._default_manager.select_for_update().get(pk=job_id)  # ours: the UPDATE holds its lock
        holds = job.job_hold_ids()
        holds_gone = False
        if holds:
            ledger = hold_ledger()
            if not ledger.all_held(holds):
                _fail_locked(job, message=HOLDS_RETURNED_MESSAGE, code="holds_released")
                holds_gone = True
            else:
                ledger.extend(holds, _hold_until(model, until))
        attempt = int(job.attempts)
    if holds_gone:
        raise HoldsNotHeld(str(job_id))
    return attempt


def refresh_lease(model: type[Job], job_id: Any, *, attempt: int, hold_ids: Sequence[Any] = (), **fields: Any) -> bool:
    """Extend this attempt's lease (and its holds), writing `fields` with it. False: the attempt lost
    the job, and wrote nothing."""
    now = timezone.now()
    until = _lease_until(model, now)
    with transaction.atomic():
        refreshed = model._default_manager.filter(pk=job_id, status=JobStatus.RUNNING, attempts=attempt).update(
            lease_expires_at=until, updated_at=now, **fields
        )
        if refreshed and hold_ids:
            hold_ledger().extend(hold_ids, _hold_until(model, until))
    return bool(refreshed)


@contextmanager
def fenced(model: type[J], job_id: Any, *, attempt: int) -> Iterator[J]:
    """A transaction holding the job's row lock, entered only while `attempt` still owns the job
    (running, same attempt); raises LostLease otherwise. Every write of a running job goes here."""
    with transaction.atomic():
        job = model._default_manager.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != JobStatus.RUNNING or job.attempts != attempt:
            raise LostLease()
        yield job


# -- finishing ------------------------------------------------------------------------------------


def complete(model: type[J], job_id: Any, *, attempt: int, store: Callable[[J, int], Iterable[str]] | None = None) -> J:
    """Finish the job for `attempt`, in one transaction under the row lock: check the attempt still
    owns it (LostLease), capture every hold (HoldsNotHeld, and nothing is written, if one is not
    held), call `store(job, credits_captured)` to create the result rows and set fields on `job`
    (it returns the names of the fields it set), then mark it completed."""
    with fenced(model, job_id, attempt=attempt) as job:
        captured = hold_ledger().capture_all(job.job_hold_ids())
        extra = list(store(job, captured)) if store is not None else []
        job.status = JobStatus.COMPLETED
        job.completed_at = timezone.now()
        job.lease_expires_at = None
        job.error_code = ""
        job.error_message = ""
        job.save(
            update_fields=[
                "status",
                "completed_at",
                "lease_expires_at",
                "error_code",
                "error_message",
                "updated_at",
                *extra,
            ]
        )
        return job


def _fail_locked(job: Job, *, message: str, code: str, status: str = JobStatus.FAILED) -> None:
    hold_ledger().release_all(job.job_hold_ids())
    job.status = status
    job.error_code = code[:50]
    job.error_message = message
    job.completed_at = timezone.now()
    job.lease_expires_at = None
    job.enqueue_pending = False
    extra = job.on_job_failed()
    if status == JobStatus.FAILED and job.failure_notice_task:
        transaction.on_commit(partial(_send_failure_notice, type(job), job.pk), robust=True)
    job.save(
        update_fields=[
            "status",
            "error_code",
            "error_message",
            "completed_at",
            "lease_expires_at",
            "enqueue_pending",
            "updated_at",
            *extra,
        ]
    )


def _send_failure_notice(model: type[Job], job_id: Any) -> None:
    """Send the kind's failure notice task (by name) for a job whose failure has committed."""
    task = _registered_task(model.failure_notice_task)
    if task is not None:
        task.apply_async(args=[str(job_id)])
    else:
        celery_app.send_task(model.failure_notice_task, args=[str(job_id)])


def fail(model: type[Job], job_id: Any, *, message: str, code: str = "failed", attempt: int | None = None) -> bool:
    """Fail a queued or running job and release its holds; `message` is what the user reads. With
    `attempt`, only while that attempt owns it. False when it had finished (or another attempt owns it)."""
    with transaction.atomic():
        pending = model._default_manager.select_for_update().filter(pk=job_id, status__in=ACTIVE_STATUSES)
        if attempt is not None:
            pending = pending.filter(attempts=attempt)
        job = pending.first()
        if job is None:
            return False
        _fail_locked(job, message=message, code=code)
    logger.info("job failed", extra={"job": model.__name__, "job_id": str(job_id), "code": code})
    return True


def cancel(model: type[Job], job_id: Any, *, message: str = "Cancelled.") -> bool:
    """Cancel a job that has not started, releasing its holds. False when it is running or finished."""
    with transaction.atomic():
        job = model._default_manager.select_for_update().filter(pk=job_id, status=JobStatus.QUEUED).first()
        if job is None:
            return False
        _fail_locked(job, message=message, code="cancelled", status=JobStatus.CANCELLED)
    return True


# -- retrying -------------------------------------------------------------------------------------


def requeue(
    model: type[Job], job_id: Any, *, attempt: int, countdown: float = 0.0, now: datetime | None = None
) -> bool:
    """Running -> queued, only for `attempt`; the task is sent again (after `countdown` seconds)
    on commit. `queued_at` restarts; the holds are kept for the wait."""
    now = now or timezone.now()
    due = now + timedelta(seconds=countdown)
    with transaction.atomic():
        moved = model._default_manager.filter(pk=job_id, status=JobStatus.RUNNING, attempts=attempt).update(
            status=JobStatus.QUEUED,
            lease_expires_at=None,
            queued_at=now,
            enqueued_at=due,
            enqueue_pending=False,
            updated_at=now,
        )
        if not moved:
            return False
        holds = model._default_manager.get(pk=job_id).job_hold_ids()
        if holds:
            hold_ledger().extend(holds, _hold_until(model, _lease_until(model, due)))
        enqueue(model, job_id, countdown=countdown or None)
    return True


def retry_later(
    model: type[Job], job_id: Any, *, attempt: int, message: str, code: str, retry_after: float | None = None
) -> str:
    """A failure that may pass (a provider timing out): queue the job again with backoff and jitter
    while attempts remain ("retrying"), else fail it with `message` ("failed")."""
    if attempt >= max_attempts(model.max_attempts_setting):
        fail(model, job_id, message=message, code=code, attempt=attempt)
        return "failed"
    countdown = backoff_seconds(attempt, retry_after=retry_after)
    if requeue(model, job_id, attempt=attempt, countdown=countdown):
        logger.warning(
            "job will be retried",
            extra={"job": model.__name__, "job_id": str(job_id), "attempt": attempt, "countdown": round(countdown, 1)},
        )
        return "retrying"
    return "skipped"


# -- the sweep ------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    requeued: int = 0
    failed: int = 0
    resent: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"requeued": self.requeued, "failed": self.failed, "resent": self.resent}


def _resend_after() -> timedelta:
    """How long a sent message may go unclaimed before it is taken as lost."""
    return timedelta(seconds=settings.JOBS_RESEND_AFTER_SECONDS)


def sweep(model: type[Job], *, now: datetime | None = None) -> SweepResult:
    """One pass over one kind of job:

    - running with the lease run out (the worker died or hung): queued again (by attempt) while
      attempts remain, else failed with its holds released and the user told;
    - queued for longer than `JOBS_QUEUE_TIMEOUT_SECONDS`: failed the same way (workers down);
    - queued with its message refused by the broker (`enqueue_pending`) or unclaimed for
      `JOBS_RESEND_AFTER_SECONDS`: sent again (the claim makes a duplicate harmless).
    """
    now = now or timezone.now()
    result = SweepResult()
    cap = max_attempts(model.max_attempts_setting)
    expired = model._default_manager.filter(status=JobStatus.RUNNING, lease_expires_at__lt=now)
    for job_id, attempts in expired.values_list("pk", "attempts"):
        if attempts < cap:
            result.requeued += requeue(model, job_id, attempt=attempts, now=now)
        elif fail(
            model,
            job_id,
            attempt=attempts,
            code="timed_out",
            message=f"This did not finish after {attempts} attempts and was stopped. Nothing was charged; please try again.",
        ):
            result.failed += 1

    timeout = now - timedelta(seconds=settings.JOBS_QUEUE_TIMEOUT_SECONDS)
    too_old = model._default_manager.filter(status=JobStatus.QUEUED).filter(
        Q(queued_at__lt=timeout) | Q(queued_at__isnull=True, created_at__lt=timeout)
    )
    for job_id in too_old.values_list("pk", flat=True):
        result.failed += fail(model, job_id, message=QUEUE_TIMEOUT_MESSAGE, code="queue_timeout")

    lost_before = now - _resend_after()
    lost = model._default_manager.filter(status=JobStatus.QUEUED).filter(
        Q(enqueue_pending=True)
        | Q(enqueued_at__lt=lost_before)
        | Q(enqueued_at__isnull=True, queued_at__lt=lost_before)
    )
    for job_id, pending, enqueued_at in lost.values_list("pk", "enqueue_pending", "enqueued_at"):
        with transaction.atomic():
            taken = model._default_manager.filter(
                pk=job_id, status=JobStatus.QUEUED, enqueue_pending=pending, enqueued_at=enqueued_at
            ).update(enqueue_pending=False, enqueued_at=now, updated_at=now)
            if taken:
                enqueue(model, job_id)
        result.resent += taken
    if result.requeued or result.failed or result.resent:
        logger.warning("swept jobs", extra={"job": model.__name__, **result.as_dict()})
    return result


def job_models() -> list[type[Job]]:
    """Every concrete job model of the project (each subclass of `Job`)."""
    return [model for model in apps.get_models() if issubclass(model, Job)]


def sweep_all(*, now: datetime | None = None) -> dict[str, dict[str, int]]:
    """Sweep every kind of job (the scheduled task on the `default` queue calls this)."""
    return {model._meta.label: sweep(model, now=now).as_dict() for model in job_models()}


__all__ = [
    "HOLDS_RETURNED_MESSAGE",
    "HoldsNotHeld",
    "LostLease",
    "SweepResult",
    "cancel",
    "claim",
    "complete",
    "enqueue",
    "fail",
    "fenced",
    "job_models",
    "queued_fields",
    "refresh_lease",
    "requeue",
    "retry_later",
    "sweep",
    "sweep_all",
]
