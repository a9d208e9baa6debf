"""Work sent to the workers by task name: services never import tasks (DESIGN.md section 3).

Publish and sync runs are sent by the job runner (`craftplatform.jobs.enqueue`); emails, lead
notifications and webhook deliveries through here. The task is looked up in the Celery app's
registry (its module imported by name the first time, as the worker's autodiscovery would), so
eager mode in tests and the embedded default runs it inline like `.delay()` would.
"""

from __future__ import annotations

from importlib import import_module

from craftplatform.celery import app

EMAIL_TASK = "accounts.tasks.send_email_task"
DELIVER_WEBHOOK = "campaigns.tasks.deliver_webhook_task"
SEND_LEAD_EMAIL = "campaigns.tasks.send_lead_email_task"
SEND_EMAIL = EMAIL_TASK


def send(name: str, *args, countdown: int | None = None) -> None:
    if name not in app.tasks:
        import_module(name.rsplit(".", 1)[0])
    app.tasks[name].apply_async(args=args, countdown=countdown)


def send_email(message: dict) -> None:
    send(EMAIL_TASK, message)
