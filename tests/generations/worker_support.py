"""Running generation jobs on real Celery worker processes from a test: the worker shares the
suite's PostgreSQL test database and media folder, and the web side (this process) sends to Redis."""

from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.test import override_settings
from kombu import pools as kombu_pools

from craftplatform.celery import app as celery_app
from craftplatform.celery import build_conf


def database_url() -> str:
    """The URL of the database this test runs on (the test database), for a worker process."""
    db = connection.settings_dict
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db.get('USER') or 'postgres'}{password}@{host}:{port}/{db['NAME']}"


def worker_settings_env(**extra: str) -> dict[str, str]:
    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    return {
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        # As the test settings: no daily free credits, so balances move by the prices alone.
        "CREDITS_DAILY_ALLOWANCE": "false",
        **extra,
    }


@contextmanager
def celery_sends_to(broker_url: str):
    """This process's Celery app sends to the broker instead of running tasks eagerly."""
    with override_settings(CELERY_BROKER_URL=broker_url, CELERY_TASK_ALWAYS_EAGER=False):
        conf = build_conf(settings)
    saved = {key: celery_app.conf.get(key) for key in conf}
    _forget_connections()  # a pool made earlier would still point at the old broker
    celery_app.conf.update(conf)
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        celery_app.conf.update(saved)
        _forget_connections()


def _forget_connections() -> None:
    # kombu keeps pools per connection in a registry of its own: reset it with the app's references.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu_pools.reset()
