"""Real Celery workers, started as subprocesses, against a real broker.

A worker here is `celery -A craftplatform worker` in its own process group, run
with the embedded-mode settings (`craftplatform.settings.local`) and configured
through the environment only, as an operator starts one. The test process sends
through a separate Celery app built by `craftplatform.celery.build_conf` for the
same broker: the suite's own app runs tasks eagerly.
"""

import email
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.test import override_settings
from pytest_socket import SocketBlockedError

from accounts.tasks import send_email_task
from craftplatform.celery import build_conf
from tests.services import skip_unless_required
from tests.workers.celery_test_tasks import ATTEMPTS_FILE, COMPLETIONS_FILE, read_records, record_attempt_task

CELERY_BIN = Path(sys.executable).with_name("celery")
# A Redis database no other part of the suite uses (scripts/services.sh gives the suite 15).
WORKER_REDIS_DB = 13
REDIS_LOCK_KEY = "craftads-tests:worker-tests-lock"
REDIS_LOCK_WAIT = 90
READY_TIMEOUT = 30
STOP_TIMEOUT = 15
# django.core.mail.backends.filebased writes this line after every message.
FILE_EMAIL_SEPARATOR = "-" * 79


def wait_for(condition: Callable[[], object], *, timeout: float, what: str, details: Callable[[], str] = str):
    """Poll `condition` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}\n{details()}")
        time.sleep(0.1)


@dataclass
class Worker:
    node: str
    process: subprocess.Popen
    log_path: Path
    stopped: bool = False

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return f"--- worker {self.node}, last {lines} log lines ---\n" + "\n".join(self.log().splitlines()[-lines:])

    def is_ready(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(
                f"worker {self.node} exited with {self.process.returncode} before it was ready\n{self.log_tail()}"
            )
        return any(f"{self.node}@" in line and line.rstrip().endswith("ready.") for line in self.log().splitlines())

    def wait_until_ready(self) -> None:
        wait_for(self.is_ready, timeout=READY_TIMEOUT, what=f"worker {self.node} to be ready", details=self.log_tail)

    def kill(self) -> None:
        """SIGKILL the whole process group: the main process and its pool child die at once and ack nothing."""
        self.stopped = True
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        if self.process.poll() is None:
            # Warm shutdown is the main process's job: it stops its pool child itself.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait(timeout=STOP_TIMEOUT)
        # A pool child outliving its main process would otherwise leak.
        self._signal_group(signal.SIGKILL)

    def _signal_group(self, sig: signal.Signals) -> None:
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)


def worker_env(*, broker_url: str, home: Path, extra: dict[str, str]) -> dict[str, str]:
    """A worker's environment: ours, minus everything that would point it at the suite's settings and services."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELERY_", "DJANGO_", "PYTEST_"))
        and key not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "MEDIA_ROOT"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="craftplatform.settings.local",
        DJANGO_DEBUG="false",
        PYTHONPATH=str(settings.BASE_DIR),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
        # The tasks under test read no table; a throwaway SQLite keeps the worker off the suite's database.
        DATABASE_URL=f"sqlite:///{home / 'worker.sqlite3'}",
        MEDIA_ROOT=str(home / "media"),
        # django-environ: filemail:// selects Django's file-based backend, the path is EMAIL_FILE_PATH.
        EMAIL_URL=f"filemail:///{home / 'mail'}",
        CELERY_BROKER_URL=broker_url,
        CELERY_BROKER_DIR=str(home / "broker"),
        CELERY_TASK_ALWAYS_EAGER="false",
    )
    env.update(extra)
    return env


@pytest.fixture
def worker_home(tmp_path) -> Path:
    """Shared by the test and its workers: broker files, sent mail, task records, logs."""
    for name in ("mail", "broker", "records", "logs"):
        (tmp_path / name).mkdir()
    return tmp_path


@pytest.fixture
def start_worker(worker_home) -> Iterator[Callable[..., Worker]]:
    """`start_worker(broker_url, env={...})` starts a real worker; every worker is stopped when the test ends."""
    workers: list[Worker] = []

    def start(broker_url: str, *, env: dict[str, str] | None = None, prefix: str = "worker") -> Worker:
        node = f"{prefix}-{uuid.uuid4().hex[:8]}"
        log_path = worker_home / "logs" / f"{node}.log"
        command = [
            str(CELERY_BIN),
            "-A",
            "craftplatform",
            "worker",
            "-Q",
            "default,generation,sync",
            "--pool=prefork",
            "--concurrency=1",
            "-l",
            "info",
            "-n",
            f"{node}@%h",
            "-I",
            "tests.workers.celery_test_tasks",
            # These talk to other workers only; leaving them out saves a second at start-up.
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=worker_env(broker_url=broker_url, home=worker_home, extra=env or {}),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so the pool child is signalled with it
            )
        worker = Worker(node=node, process=process, log_path=log_path)
        workers.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            worker.stop()


@contextmanager
def sender_app(*, broker_url: str, broker_dir: Path) -> Iterator[Celery]:
    """A Celery app configured as the web process would be for `broker_url` (never eager), to send with."""
    with override_settings(CELERY_BROKER_URL=broker_url, CELERY_BROKER_DIR=broker_dir, CELERY_TASK_ALWAYS_EAGER=False):
        conf = build_conf(settings)
    app = Celery("craftads-test-sender", set_as_current=False)
    app.conf.update(conf)
    try:
        yield app
    finally:
        app.close()


def _empty_redis_database(client: redis.Redis, *, keep: str) -> None:
    for key in client.scan_iter(count=1000):
        if key.decode() != keep:
            client.delete(key)


@pytest.fixture
def redis_broker_url() -> Iterator[str]:
    """A Redis database of the worker tests' own, emptied before and after; skips when Redis does not answer.

    Test runs on one machine share it (queues have fixed names), so a lock makes them take turns.
    """
    base = urlsplit(settings.REDIS_URL or "redis://127.0.0.1:6379/0")
    url = urlunsplit(base._replace(path=f"/{WORKER_REDIS_DB}", query=""))
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5)
    try:
        client.ping()
    except (redis.RedisError, OSError, SocketBlockedError) as exc:
        client.close()
        reason = (
            f"needs a Redis server at {base.hostname}:{base.port or 6379} ({exc.__class__.__name__}); "
            "start one or set REDIS_URL (the README's test command does)"
        )
        skip_unless_required(reason)
    # Expires by itself should this process die holding it.
    lock = client.lock(REDIS_LOCK_KEY, timeout=180, blocking_timeout=REDIS_LOCK_WAIT)
    if not lock.acquire():
        client.close()
        skip_unless_required(f"another test run kept Redis database {WORKER_REDIS_DB} for more than {REDIS_LOCK_WAIT}s")
    try:
        _empty_redis_database(client, keep=REDIS_LOCK_KEY)
        yield url
    finally:
        _empty_redis_database(client, keep=REDIS_LOCK_KEY)
        with suppress(redis.exceptions.LockError):
            lock.release()
        client.close()


@pytest.fixture
def redis_client(redis_broker_url) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_broker_url, socket_connect_timeout=1, socket_timeout=5)
    yield client
    client.close()


def read_sent_emails(folder: Path) -> list[email.message.Message]:
    messages = []
    for path in sorted(folder.glob("*.log")):
        for chunk in path.read_text(encoding="utf-8").split(FILE_EMAIL_SEPARATOR):
            if chunk.strip():
                messages.append(email.message_from_string(chunk.lstrip("\n")))
    return messages


@pytest.mark.worker
@pytest.mark.parametrize("broker", ["filesystem", pytest.param("redis", marks=pytest.mark.redis)])
def test_worker_sends_an_account_email(broker, request, start_worker, worker_home):
    broker_url = "filesystem://" if broker == "filesystem" else request.getfixturevalue("redis_broker_url")
    worker = start_worker(broker_url)
    worker.wait_until_ready()
    token = uuid.uuid4().hex
    message = {
        "subject": f"Your renders are ready {token}",
        "body": f"Three new ads are waiting for you. {token}",
        "html": f"<p>Three new ads are waiting for you. <b>{token}</b></p>",
        "from_email": "CraftAds <no-reply@craftads.local>",
        "to": ["maker@example.com"],
        "template": "worker-test",
    }

    with sender_app(broker_url=broker_url, broker_dir=worker_home / "broker") as app:
        result = app.send_task(send_email_task.name, args=[message])

    sent = wait_for(
        lambda: read_sent_emails(worker_home / "mail"),
        timeout=30,
        what="the worker to send the email",
        details=worker.log_tail,
    )
    wait_for(
        lambda: f"[{result.id}] succeeded" in worker.log(),
        timeout=10,
        what="the worker to log the task's success",
        details=worker.log_tail,
    )
    assert len(sent) == 1
    sent_email = sent[0]
    assert sent_email["Subject"] == f"Your renders are ready {token}"
    assert sent_email["From"] == "CraftAds <no-reply@craftads.local>"
    assert sent_email["To"] == "maker@example.com"
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in sent_email.walk()
        if not part.is_multipart()
    }
    assert parts["text/plain"] == f"Three new ads are waiting for you. {token}"
    assert parts["text/html"] == f"<p>Three new ads are waiting for you. <b>{token}</b></p>"


@pytest.mark.worker
@pytest.mark.redis
def test_task_of_a_killed_worker_runs_again_on_a_new_worker(redis_broker_url, redis_client, start_worker, worker_home):
    # validate_conf requires visibility > time limit + longest countdown: 8 > 5 + 1.
    visibility_timeout = 8
    limits = {
        "CELERY_VISIBILITY_TIMEOUT": str(visibility_timeout),
        "CELERY_TASK_TIME_LIMIT": "5",
        "CELERY_TASK_SOFT_TIME_LIMIT": "4",
        "CELERY_MAX_COUNTDOWN": "1",
    }
    records = worker_home / "records"
    doomed = start_worker(redis_broker_url, env=limits, prefix="doomed")
    doomed.wait_until_ready()

    with sender_app(broker_url=redis_broker_url, broker_dir=worker_home / "broker") as app:
        result = app.send_task(record_attempt_task.name, args=[str(records), 3.0])
    first_attempts = wait_for(
        lambda: read_records(records / ATTEMPTS_FILE),
        timeout=30,
        what="the first worker to start the task",
        details=doomed.log_tail,
    )
    doomed.kill()
    assert read_records(records / COMPLETIONS_FILE) == [], "the worker was meant to die in the middle of the task"

    # Redis gives an unacknowledged message to another consumer once it is older than the visibility
    # timeout. A worker restores such messages as it starts (then only every ~100 s: kombu's restore
    # interval x throttle), so the new worker starts once the first delivery has expired.
    time.sleep(max(0.0, first_attempts[0]["at"] + visibility_timeout + 1 - time.time()))
    survivor = start_worker(redis_broker_url, env=limits, prefix="survivor")
    completions = wait_for(
        lambda: read_records(records / COMPLETIONS_FILE),
        timeout=30,
        what="the new worker to run the task to the end",
        details=survivor.log_tail,
    )
    # Acknowledged: nothing is left in the queue or in the set Redis would redeliver from.
    wait_for(
        lambda: redis_client.hlen("unacked") == 0 and redis_client.llen("default") == 0,
        timeout=10,
        what="the task to be acknowledged",
        details=survivor.log_tail,
    )
    survivor.stop()

    attempts = read_records(records / ATTEMPTS_FILE)
    completions = read_records(records / COMPLETIONS_FILE)
    assert [attempt["task_id"] for attempt in attempts] == [result.id, result.id]
    assert attempts[0]["hostname"].startswith(f"{doomed.node}@")
    assert attempts[1]["hostname"].startswith(f"{survivor.node}@")
    assert attempts[0]["pid"] != attempts[1]["pid"]
    assert len(completions) == 1
    assert completions[0]["pid"] == attempts[1]["pid"]
    assert completions[0]["task_id"] == result.id
