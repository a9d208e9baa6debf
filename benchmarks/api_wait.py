"""`POST /api/v1/generations/?wait=10` under load: 20 clients waiting at once on gunicorn, with page
latency measured beside them.

    .venv/bin/python benchmarks/api_wait.py [--clients 20] [--rounds 3] [--wait 10] [--keep]

gunicorn serves the project as production does (2 worker processes with 16 threads each, the
`gthread` class: a waiting request sleeps in its thread between looks at the job row, so threads,
not processes, are what waiting costs), and one real Celery worker (prefork, concurrency 2) renders
over Redis. Each round, `--clients` API clients each POST one 1-format generation with
`?wait=N` at the same moment, while another client loads the signed-in template gallery page
(`/templates/`) in a loop. Printed: the waiting requests' p50/p95 time and how many got 201 (files)
or 202 (status URL), and the page's p50/p95 idle (before) and under the waiting load.

Needs PostgreSQL and Redis. DATABASE_URL (default postgres://postgres@127.0.0.1:5432/craftads_bench_api_wait)
must have "bench" in its name; it is created when missing, migrated, and dropped at the end if this
run created it (unless --keep). REDIS_URL (default redis://127.0.0.1:6379/13) is the broker and cache.
"""

import argparse
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from importlib import import_module
from pathlib import Path
from urllib.parse import urlsplit

import django
import httpx
import redis
from bench_db import database_name, drop_database, ensure_database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/craftads_bench_api_wait"
DEFAULT_BROKER = "redis://127.0.0.1:6379/13"
DEFAULT_TEMPLATE = "restaurant-lunch-deal"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def stop(process: subprocess.Popen | None) -> None:
    if process is None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def page_loop(client: httpx.Client, stop_event: threading.Event, times: list[float]) -> None:
    while not stop_event.is_set():
        started = time.perf_counter()
        response = client.get("/templates/")
        response.raise_for_status()
        times.append(time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20, help="API clients waiting at once")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --clients requests")
    parser.add_argument("--wait", type=int, default=10, help="?wait= seconds")
    parser.add_argument("--template", default=DEFAULT_TEMPLATE)
    parser.add_argument("--keep", action="store_true", help="keep a database this run created")
    options = parser.parse_args()

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    broker = os.environ.get("REDIS_URL", DEFAULT_BROKER)
    if urlsplit(url).scheme not in {"postgres", "postgresql"} or "bench" not in database_name(url):
        raise SystemExit("Point DATABASE_URL at a PostgreSQL database with 'bench' in its name.")
    redis.Redis.from_url(broker, socket_connect_timeout=1).flushdb()

    media = Path(tempfile.mkdtemp(prefix="craftads-bench-api-wait-"))
    env = {
        "DATABASE_URL": url,
        "REDIS_URL": broker,
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SETTINGS_MODULE": "craftplatform.settings.local",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MEDIA_ROOT": str(media),
        "CREDITS_DAILY_ALLOWANCE": "false",
        "API_THROTTLE_RATE": "100000/hour",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    created = ensure_database(url)
    django.setup()
    from django.conf import settings  # these imports need django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.core.management import call_command
    from django.db import connection

    from accounts import services as account_services
    from credits import services as credit_services
    from credits.models import PricingRule
    from templates_app.models import AdTemplate
    from templates_app.services.library import load_template_library
    from tests.factories import UserFactory

    call_command("migrate", verbosity=0, interactive=False)
    gunicorn = worker = None
    try:
        if not AdTemplate.objects.filter(slug=options.template).exists():
            print("Loading the shipped template library …", flush=True)
            load_template_library()
        PricingRule.objects.filter(operation="generate_format").update(rate_limit_per_minute=None)
        user = UserFactory(email=f"bench-{secrets.token_hex(4)}@example.com")
        jobs = options.clients * options.rounds + 5
        credit_services.grant_credits(user=user, amount=jobs * 2, type="bonus", idempotency_key=f"bench:{user.pk}")
        _, key = account_services.create_api_key(user=user, name="bench")
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        connection.close()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        gunicorn = start(
            [str(Path(sys.executable).with_name("gunicorn")), "craftplatform.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--threads", "16", "--worker-class", "gthread", "--timeout", "60"],
            {**env, "DJANGO_SETTINGS_MODULE": "craftplatform.settings.local"}, media / "gunicorn.log",
        )  # fmt: skip
        worker = start(
            [str(Path(sys.executable).with_name("celery")), "-A", "craftplatform", "worker", "-Q", "generation",
             "--pool=prefork", "--concurrency=2", "-l", "warning", "-n", f"bench-{secrets.token_hex(3)}@%h",
             "--without-mingle", "--without-gossip", "--without-heartbeat"],
            env, media / "worker.log",
        )  # fmt: skip
        api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60)
        page = httpx.Client(base_url=base, cookies={settings.SESSION_COOKIE_NAME: session.session_key}, timeout=60)
        deadline = time.monotonic() + 60
        while True:
            try:
                if api.get("/api/v1/me/").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start; see {media / 'gunicorn.log'}")
            time.sleep(0.2)

        body = {"template": options.template, "formats": ["1:1"], "texts": {"headline": "Brunch all weekend"}}
        # Warm-up: both gunicorn processes, the worker's fonts, the page.
        for _ in range(4):
            api.post(f"/api/v1/generations/?wait={options.wait}", json=body).raise_for_status()
            page.get("/templates/").raise_for_status()

        idle: list[float] = []
        stop_event = threading.Event()
        idle_thread = threading.Thread(target=page_loop, args=(page, stop_event, idle))
        idle_thread.start()
        time.sleep(5)
        stop_event.set()
        idle_thread.join()

        waits: list[float] = []
        statuses: list[int] = []
        loaded: list[float] = []

        def one() -> None:
            started = time.perf_counter()
            response = api.post(f"/api/v1/generations/?wait={options.wait}", json=body)
            waits.append(time.perf_counter() - started)
            statuses.append(response.status_code)

        print(f"{options.rounds} rounds of {options.clients} clients waiting at once (wait={options.wait}) …")
        stop_event = threading.Event()
        page_thread = threading.Thread(target=page_loop, args=(page, stop_event, loaded))
        page_thread.start()
        for _ in range(options.rounds):
            clients = [threading.Thread(target=one) for _ in range(options.clients)]
            for client in clients:
                client.start()
            for client in clients:
                client.join()
        stop_event.set()
        page_thread.join()

        def ms(values: list[float], fraction: float) -> str:
            return f"{percentile(values, fraction) * 1000:7.1f} ms"

        print()
        print(f"template {options.template!r}, 1 format (1:1) per request, gunicorn 2x16 gthread, 1 worker x2")
        print(
            f"waiting requests ({len(waits)}): p50 {ms(waits, 0.5)}  p95 {ms(waits, 0.95)}  "
            f"201 (files): {statuses.count(201)}  202 (status URL): {statuses.count(202)}  "
            f"other: {len(statuses) - statuses.count(201) - statuses.count(202)}"
        )
        print(f"gallery page idle     ({len(idle)}): p50 {ms(idle, 0.5)}  p95 {ms(idle, 0.95)}")
        print(f"gallery page under load ({len(loaded)}): p50 {ms(loaded, 0.5)}  p95 {ms(loaded, 0.95)}")
        print(f"mean page time under load / idle: {statistics.mean(loaded) / statistics.mean(idle):.2f}x")
    finally:
        stop(gunicorn)
        stop(worker)
        connection.close()
        shutil.rmtree(media, ignore_errors=True)
        if created and not options.keep:
            drop_database(url)


if __name__ == "__main__":
    main()
