"""The Celery application: queues, reliability and serialisation settings.

Workers consume three queues: `generation` (renders, image operations),
`sync` (Meta syncs) and `default` (emails, sweeps, everything else).
"""

import os
from pathlib import Path

from celery import Celery
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "craftplatform.settings.local")

app = Celery("craftplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")

QUEUE_NAMES = ("generation", "sync", "default")


def build_conf(settings) -> dict:
    """The Celery configuration derived from Django settings (one place, tested)."""
    broker_url = settings.CELERY_BROKER_URL
    transport_options: dict = {
        "visibility_timeout": settings.CELERY_VISIBILITY_TIMEOUT,
        # Message priorities (issue 12, item 17: paid plans' jobs first). Redis keeps one list per
        # step and a worker always takes from the lowest step that has a message: 0 is served first.
        # Every step gets its own list so no two priorities share one. With prefetch 1 and acks_late
        # (below) a worker holds only the job it runs, so a paid job waits for that one at most.
        "priority_steps": list(range(10)),
    }
    if broker_url.startswith("filesystem://"):
        folder = Path(settings.CELERY_BROKER_DIR)
        (folder / "queue").mkdir(parents=True, exist_ok=True)
        (folder / "processed").mkdir(parents=True, exist_ok=True)
        (folder / "control").mkdir(parents=True, exist_ok=True)
        transport_options = {
            "control_folder": str(folder / "control"),
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "store_processed": False,
        }
    return {
        "broker_url": broker_url,
        "broker_transport_options": transport_options,
        "broker_connection_retry_on_startup": True,
        "task_queues": tuple(Queue(name, Exchange(name), routing_key=name) for name in QUEUE_NAMES),
        "task_default_queue": "default",
        "task_default_exchange": "default",
        "task_default_routing_key": "default",
        "task_routes": {
            # Emails about jobs go on `default`: a backed-up `generation` queue must not hold them.
            "generations.tasks.notifications.*": {"queue": "default"},
            "generations.tasks.*": {"queue": "generation"},
            "campaigns.tasks.*": {"queue": "sync"},
        },
        # A task is acknowledged only once it finished, and a task whose worker
        # died is put back: every task must be safe to run twice.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        "task_time_limit": settings.CELERY_TASK_TIME_LIMIT,
        "task_soft_time_limit": settings.CELERY_TASK_SOFT_TIME_LIMIT,
        "task_always_eager": settings.CELERY_TASK_ALWAYS_EAGER,
        "task_eager_propagates": True,
        "worker_send_task_events": False,
        "beat_scheduler": settings.CELERY_BEAT_SCHEDULER,
        "timezone": "UTC",
    }


def validate_conf(settings) -> None:
    """Refuse a Redis visibility timeout that could hand a running task to a second worker."""
    needed = settings.CELERY_TASK_TIME_LIMIT + settings.CELERY_MAX_COUNTDOWN
    if (
        settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
        and needed >= settings.CELERY_VISIBILITY_TIMEOUT
    ):
        raise ImproperlyConfigured(
            f"CELERY_VISIBILITY_TIMEOUT ({settings.CELERY_VISIBILITY_TIMEOUT}s) must exceed "
            f"CELERY_TASK_TIME_LIMIT + CELERY_MAX_COUNTDOWN ({needed}s), or Redis re-delivers "
            "tasks that are still running."
        )
    if settings.CELERY_TASK_SOFT_TIME_LIMIT >= settings.CELERY_TASK_TIME_LIMIT:
        raise ImproperlyConfigured("CELERY_TASK_SOFT_TIME_LIMIT must be below CELERY_TASK_TIME_LIMIT.")


def _conf_from_django_settings() -> dict:
    validate_conf(django_settings)
    return build_conf(django_settings)


# Django settings are lazy: Celery calls this once it configures itself. Not a signal
# receiver: Celery logs and swallows a receiver's exception, so a worker with unsafe
# limits would start anyway, without any of this configuration.
app.add_defaults(_conf_from_django_settings)


app.autodiscover_tasks()
