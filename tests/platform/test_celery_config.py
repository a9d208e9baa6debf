"""The Celery configuration: queues, routing, reliability, and the start-up refusal of unsafe limits."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from kombu import Exchange, Queue

from craftplatform.celery import app as celery_app
from craftplatform.celery import build_conf, validate_conf


@pytest.fixture
def configured_app(settings) -> Iterator[Celery]:
    """A Celery app configured by build_conf from the current settings, as a worker is (never eager)."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app = Celery("craftads-config-test", set_as_current=False)
    app.conf.update(build_conf(settings))
    yield app
    app.close()


@pytest.fixture
def redis_limits(settings):
    """Settings of a Redis deployment with production-like limits that validate_conf accepts."""
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.CELERY_TASK_TIME_LIMIT = 900
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 840
    settings.CELERY_MAX_COUNTDOWN = 600
    settings.CELERY_VISIBILITY_TIMEOUT = 3600
    return settings


def test_workers_have_three_queues_each_with_its_own_direct_exchange(settings):
    conf = build_conf(settings)

    queues = {
        queue.name: (queue.exchange.name, queue.exchange.type, queue.routing_key) for queue in conf["task_queues"]
    }
    assert queues == {
        "generation": ("generation", "direct", "generation"),
        "sync": ("sync", "direct", "sync"),
        "default": ("default", "direct", "default"),
    }
    assert conf["task_default_queue"] == "default"


@pytest.mark.parametrize(
    ("task_name", "queue"),
    [
        ("generations.tasks.render_generation_task", "generation"),
        ("generations.tasks.apply_image_operation_task", "generation"),
        ("campaigns.tasks.sync_campaign_insights_task", "sync"),
        ("campaigns.tasks.publish_campaign_task", "sync"),
        ("accounts.tasks.send_email_task", "default"),
        ("craftplatform.tasks.clear_expired_sessions_task", "default"),
    ],
)
def test_tasks_are_routed_to_the_queue_of_their_app(configured_app, task_name, queue):
    route = configured_app.amqp.router.route({}, task_name)

    assert route["queue"].name == queue


def test_tasks_are_acknowledged_after_they_finish_and_speak_json_only(settings):
    conf = build_conf(settings)

    assert conf["task_acks_late"] is True
    assert conf["task_reject_on_worker_lost"] is True
    assert conf["worker_prefetch_multiplier"] == 1
    assert conf["task_serializer"] == "json"
    assert conf["result_serializer"] == "json"
    assert conf["accept_content"] == ["json"]


def test_time_limits_and_visibility_timeout_come_from_settings(redis_limits):
    conf = build_conf(redis_limits)

    assert conf["task_time_limit"] == 900
    assert conf["task_soft_time_limit"] == 840
    assert conf["broker_url"] == "redis://127.0.0.1:6379/0"
    # One Redis list per message priority (0 served first): paid plans' jobs go first (issue 12, item 17).
    assert conf["broker_transport_options"] == {"visibility_timeout": 3600, "priority_steps": list(range(10))}


def test_the_filesystem_broker_keeps_its_messages_in_the_broker_folder(settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_DIR = tmp_path / "broker"

    options = build_conf(settings)["broker_transport_options"]

    assert options["data_folder_in"] == options["data_folder_out"] == str(tmp_path / "broker" / "queue")
    assert (tmp_path / "broker" / "queue").is_dir()


def test_the_filesystem_broker_writes_nothing_outside_the_broker_folder(settings, tmp_path, monkeypatch):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_DIR = tmp_path / "broker"
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    app = Celery("craftads-config-test", set_as_current=False)
    app.conf.update(build_conf(settings))
    # Kombu remembers bindings per process: a queue of this test's own makes sure one is written now.
    probe = Queue(f"probe-{uuid.uuid4().hex}", Exchange(f"probe-{uuid.uuid4().hex}"), routing_key="probe")
    try:
        # What a worker does at start-up: declare its queues and bind them to their exchanges.
        with app.connection_for_write() as connection:
            for queue in (*app.conf.task_queues, probe):
                queue.bind(connection.default_channel).declare()
    finally:
        app.close()

    assert list(workdir.iterdir()) == []
    assert (tmp_path / "broker" / "control" / f"{probe.exchange.name}.exchange").is_file()


def test_the_application_is_configured_by_build_conf():
    conf = celery_app.conf

    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.accept_content == ["json"]
    assert {queue.name for queue in conf.task_queues} == {"generation", "sync", "default"}
    assert conf.task_routes == {
        "generations.tasks.notifications.*": {"queue": "default"},
        "generations.tasks.*": {"queue": "generation"},
        "campaigns.tasks.*": {"queue": "sync"},
    }
    # First match wins: job emails are not held up behind a backed-up `generation` queue.
    router = celery_app.amqp.router
    route = router.route({}, "generations.tasks.notifications.send_generation_failed_task")
    assert route["queue"].name == "default"
    assert router.route({}, "generations.tasks.generation.render_generation_task")["queue"].name == "generation"


def test_limits_with_enough_room_are_accepted(redis_limits):
    validate_conf(redis_limits)


@pytest.mark.parametrize("scheme", ["redis", "rediss"])
@pytest.mark.parametrize("visibility_timeout", [1500, 1000])
def test_a_redis_visibility_timeout_not_above_time_limit_plus_countdown_is_refused(
    redis_limits, scheme, visibility_timeout
):
    redis_limits.CELERY_BROKER_URL = f"{scheme}://127.0.0.1:6379/0"
    redis_limits.CELERY_VISIBILITY_TIMEOUT = visibility_timeout

    with pytest.raises(ImproperlyConfigured) as refused:
        validate_conf(redis_limits)

    assert str(refused.value) == (
        f"CELERY_VISIBILITY_TIMEOUT ({visibility_timeout}s) must exceed "
        "CELERY_TASK_TIME_LIMIT + CELERY_MAX_COUNTDOWN (1500s), or Redis re-delivers tasks that are still running."
    )


def test_the_visibility_timeout_matters_only_on_redis(redis_limits):
    redis_limits.CELERY_BROKER_URL = "filesystem://"
    redis_limits.CELERY_VISIBILITY_TIMEOUT = 10

    validate_conf(redis_limits)


@pytest.mark.parametrize("soft_time_limit", [900, 901])
def test_a_soft_time_limit_not_below_the_hard_limit_is_refused(redis_limits, soft_time_limit):
    redis_limits.CELERY_TASK_SOFT_TIME_LIMIT = soft_time_limit

    with pytest.raises(ImproperlyConfigured) as refused:
        validate_conf(redis_limits)

    assert str(refused.value) == "CELERY_TASK_SOFT_TIME_LIMIT must be below CELERY_TASK_TIME_LIMIT."


def test_manage_py_check_refuses_an_unsafe_visibility_timeout(redis_limits):
    redis_limits.CELERY_VISIBILITY_TIMEOUT = 60

    with pytest.raises(SystemCheckError) as refused:
        call_command("check", "--tag", "compatibility")

    assert "craftplatform.E001" in str(refused.value)
    assert "CELERY_VISIBILITY_TIMEOUT (60s) must exceed" in str(refused.value)


@pytest.mark.worker
def test_a_worker_refuses_to_start_with_an_unsafe_visibility_timeout(settings, tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CELERY_", "DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="craftplatform.settings.local",
        PYTHONPATH=str(settings.BASE_DIR),
        PYTHONUNBUFFERED="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        # Nothing listens here: a worker that got past its configuration says so at once.
        CELERY_BROKER_URL="redis://127.0.0.1:1/0",
        CELERY_VISIBILITY_TIMEOUT="60",
    )
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("celery")),
                "-A",
                "craftplatform",
                "worker",
                "--pool=solo",
                "-l",
                "info",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while worker.poll() is None and "Cannot connect to" not in log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        exit_code = worker.poll()
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=15)
    output = log_path.read_text()

    assert exit_code not in (None, 0), f"the worker started:\n{output[-3000:]}"
    assert "CELERY_VISIBILITY_TIMEOUT (60s) must exceed" in output
