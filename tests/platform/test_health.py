"""/healthz: 200 when the database, cache and broker answer; 503 naming the one that does not."""

import re

import pytest
from django.test import override_settings

from craftplatform.celery import app as celery_app

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: a connection there is refused at once.
UNREACHABLE_REDIS_CACHE = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
        },
    }
}
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def workers_not_eager(settings):
    """Settings of a deployment with real workers: the health check has a broker to reach."""
    # Let the Celery app configure itself (eager, in the suite) before the setting changes:
    # configured afterwards, it would stop running the next tests' tasks inline.
    celery_app.conf.get("task_always_eager")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    return settings


def assert_reveals_nothing_but_class_names(response):
    body = response.json()
    for check in body["checks"].values():
        assert set(check) <= {"ok", "error", "ms"}
        if "error" in check:
            assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", check["error"])
    text = response.content.decode()
    for detail in ("127.0.0.1", "redis://", "refused", "Errno", "Error 111", "Traceback"):
        assert detail not in text


def test_healthz_answers_ok_when_every_service_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "cache": True,
        "broker": True,
    }
    assert "failed" not in body
    assert "no-store" in response["Cache-Control"]


def test_healthz_reaches_the_configured_broker_when_workers_are_not_eager(client, workers_not_eager):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"]["ok"] is True


def test_healthz_names_an_unreachable_cache(client):
    with override_settings(CACHES=UNREACHABLE_REDIS_CACHE):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["cache"]
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["cache"]["error"] == "ConnectionError"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert_reveals_nothing_but_class_names(response)


def test_healthz_names_an_unreachable_broker(client, workers_not_eager, monkeypatch):
    # Celery prefers these variables to its configuration.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    monkeypatch.setitem(celery_app.conf, "broker_url", UNREACHABLE_BROKER)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["broker"]
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"] == "OperationalError"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["cache"]["ok"] is True
    assert_reveals_nothing_but_class_names(response)


def test_healthz_names_every_failed_service(client, workers_not_eager, monkeypatch):
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    monkeypatch.setitem(celery_app.conf, "broker_url", UNREACHABLE_BROKER)

    with override_settings(CACHES=UNREACHABLE_REDIS_CACHE):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["cache", "broker"]
    assert_reveals_nothing_but_class_names(response)
