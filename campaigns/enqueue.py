"""Work sent to the workers by task name: services never import tasks (DESIGN.md section 3).
Publish runs are sent by the job runner (`craftplatform.jobs.enqueue`); emails through here."""

from __future__ import annotations

from craftplatform.celery import app

EMAIL_TASK = "accounts.tasks.send_email_task"


def send_email(message: dict) -> None:
    app.tasks[EMAIL_TASK].apply_async(args=[message])
