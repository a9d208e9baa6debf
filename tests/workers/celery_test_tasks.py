"""Tasks that exist only for the worker tests; workers load them with `-I tests.workers.celery_test_tasks`."""

import json
import os
import time
from pathlib import Path

from celery import shared_task

ATTEMPTS_FILE = "attempts.jsonl"
COMPLETIONS_FILE = "completions.jsonl"


def _append(path: Path, record: dict) -> None:
    # One short line per write with O_APPEND: lines from different processes never interleave.
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


def read_records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@shared_task(bind=True, acks_late=True, name="tests.workers.celery_test_tasks.record_attempt_task")
def record_attempt_task(self, folder: str, seconds: float) -> None:
    """Write down who started, work for `seconds`, write down who finished (safe to run twice)."""
    who = {"pid": os.getpid(), "hostname": self.request.hostname, "task_id": self.request.id}
    _append(Path(folder) / ATTEMPTS_FILE, {**who, "at": time.time()})
    time.sleep(seconds)
    _append(Path(folder) / COMPLETIONS_FILE, {**who, "at": time.time()})
