"""Work sent to the workers, by task name: services never import tasks (DESIGN.md section 3).

Tasks are looked up in the Celery app's registry by name, so eager mode (tests, the embedded
default) runs them in-process as usual; a delayed retry in eager mode is left to the sweep.
"""

from __future__ import annotations

from craftplatform.celery import app

PUBLISH_TASK = "campaigns.tasks.run_publish_task"
EMAIL_TASK = "accounts.tasks.send_email_task"


def publish_run(run_id, *, countdown: int = 0) -> None:
    if countdown and app.conf.task_always_eager:
        return  # the sweep re-queues it once `retry_at` has passed
    app.tasks[PUBLISH_TASK].apply_async(args=[str(run_id)], countdown=countdown or None)


def send_email(message: dict) -> None:
    app.tasks[EMAIL_TASK].apply_async(args=[message])
