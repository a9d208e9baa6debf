"""Background work of the landing-page concerns, sent by task name so services never import tasks.

The task is looked up in the Celery app's registry (its module is imported by name the first time,
as the worker's autodiscovery would), so eager mode in tests and the embedded default runs it
inline like `.delay()` would.
"""

from importlib import import_module

from craftplatform.celery import app

DELIVER_WEBHOOK = "campaigns.tasks.deliver_webhook_task"
SEND_LEAD_EMAIL = "campaigns.tasks.send_lead_email_task"
SEND_EMAIL = "accounts.tasks.send_email_task"


def send(name: str, *args, countdown: int | None = None) -> None:
    if name not in app.tasks:
        import_module(name.rsplit(".", 1)[0])
    app.tasks[name].apply_async(args=args, countdown=countdown)
