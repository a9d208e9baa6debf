"""`?wait=N` on `POST /api/v1/generations/`: answer with the finished files when the job is quick.

The request thread looks at the generations' status rows with a growing pause (50 ms doubling to
500 ms), outside any transaction, until every one has finished or the wait is over. A job renders
in well under a second, so most requests end after a few looks; a waiting request costs a sleeping
thread and one small indexed query per look, not a held transaction or a busy core.
"""

from __future__ import annotations

import time

from generations.models import FINISHED_STATUSES, Generation

MAX_WAIT_SECONDS = 30
FIRST_PAUSE = 0.05
LONGEST_PAUSE = 0.5


def wait_until_finished(*, ids: list, timeout: float) -> bool:
    """True when every generation in `ids` finished (completed, failed or cancelled) within `timeout`."""
    deadline = time.monotonic() + max(0.0, min(timeout, MAX_WAIT_SECONDS))
    pause = FIRST_PAUSE
    while True:
        pending = Generation.objects.filter(pk__in=ids).exclude(status__in=FINISHED_STATUSES).exists()
        if not pending:
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(pause, left))
        pause = min(pause * 2, LONGEST_PAUSE)
