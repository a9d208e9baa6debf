"""The generations' part of the job sweep (the scheduled sweep, `craftplatform.tasks.sweep_jobs_task`,
sweeps every kind of job; this runs it for generations alone, for staff tools and tests)."""

from datetime import datetime

from craftplatform import jobs
from generations.models import Generation


def sweep_stuck_generations(*, now: datetime | None = None) -> dict[str, int]:
    """Expired leases re-queued by attempt or failed after the cap (holds released), generations
    stuck in the queue failed, lost messages sent again. See `craftplatform.jobs.sweep`."""
    return jobs.sweep(Generation, now=now).as_dict()
