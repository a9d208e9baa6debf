"""Background work of the landing-page concerns, sent by task name so services never import tasks.

Looked up in the Celery app's registry (the task modules are autodiscovered), so eager mode in
tests and the embedded default runs them inline like `.delay()` would.
"""

from craftplatform.celery import app


def send(name: str, *args, countdown: int | None = None) -> None:
    app.tasks[name].apply_async(args=args, countdown=countdown)


DELIVER_WEBHOOK = "campaigns.tasks.deliver_webhook_task"
SEND_LEAD_EMAIL = "campaigns.tasks.send_lead_email_task"
