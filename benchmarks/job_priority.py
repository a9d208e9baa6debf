"""Paid plans go first (issue 12, item 17): one real worker, 20 free jobs queued, then a paid one.

    .venv/bin/python benchmarks/job_priority.py [--free-jobs 20] [--formats 1:1,4:5,9:16,16:9] [--keep]

One Celery worker (prefork, concurrency 1, the project's configuration: prefetch 1, acks_late) serves
the `generation` queue over Redis. A free-plan user requests `--free-jobs` generations through the
product's service (`request_generation`: the hold, the stored priority, the task sent on commit);
once the worker has started the first of them, a user on the Pro plan requests one. When every job
has finished, the script prints the jobs the worker was running when the paid job was queued, the
free jobs that started after it was queued and before it, and how long it waited. Target: none
started ahead of it, so it waits at most for the job already running.

In the same run, as the reference, the same is done with the last job requested by another
free-plan user: without priority it waits for every free job before it (20).

Needs PostgreSQL and Redis. DATABASE_URL (default postgres://postgres@127.0.0.1:5432/craftads_bench_priority)
must have "bench" in its name; it is created when missing, migrated, and dropped at the end if this
run created it (unless --keep). REDIS_URL (default redis://127.0.0.1:6379/15) is the broker and cache;
only the `generation` queue's keys are removed from it (before and after), nothing else.
"""

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import django
import redis
from bench_db import database_name, drop_database, ensure_database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/craftads_bench_priority"
DEFAULT_BROKER = "redis://127.0.0.1:6379/15"


def clear_queue(broker: str) -> None:
    client = redis.Redis.from_url(broker, socket_connect_timeout=1)
    for key in client.scan_iter(match="generation*"):
        client.delete(key)


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
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--free-jobs", type=int, default=20, help="free jobs queued before the paid one")
    parser.add_argument("--formats", default="1:1,4:5,9:16,16:9", help="formats each job renders (comma-separated)")
    parser.add_argument("--keep", action="store_true", help="keep a database this run created")
    options = parser.parse_args()
    formats = options.formats.split(",")

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    broker = os.environ.get("REDIS_URL", DEFAULT_BROKER)
    if urlsplit(url).scheme not in {"postgres", "postgresql"} or "bench" not in database_name(url):
        raise SystemExit("Point DATABASE_URL at a PostgreSQL database with 'bench' in its name.")
    clear_queue(broker)

    media = Path(tempfile.mkdtemp(prefix="craftads-bench-priority-"))
    env = {
        "DATABASE_URL": url,
        "REDIS_URL": broker,
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SETTINGS_MODULE": "craftplatform.settings.local",
        "DJANGO_DEBUG": "false",
        "MEDIA_ROOT": str(media),
        "CREDITS_DAILY_ALLOWANCE": "false",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    created = ensure_database(url)
    django.setup()
    from django.core.management import call_command  # these imports need django.setup()
    from django.db import connection

    from credits import services as credit_services
    from credits.constants import SubscriptionStatus
    from credits.models import PricingRule, SubscriptionPlan, UserSubscription
    from generations.models import Generation, GenerationStatus
    from generations.services import generation as generation_services
    from tests.factories import UserFactory
    from tests.templates_app.factories import create_template, make_spec

    call_command("migrate", verbosity=0, interactive=False)
    worker = None
    try:
        PricingRule.objects.filter(operation="generate_format").update(rate_limit_per_minute=None, daily_limit=None)
        template = create_template(spec=make_spec(formats=tuple(formats)), slug=f"bench-{secrets.token_hex(3)}")

        def new_user(plan_slug: str | None):
            user = UserFactory(email=f"bench-{secrets.token_hex(4)}@example.com")
            account = credit_services.get_or_open_account(user=user)
            credit_services.grant_credits(
                user=user, amount=200, type="bonus", idempotency_key=f"bench:{user.pk}", description="benchmark"
            )
            if plan_slug:
                UserSubscription.objects.create(
                    user=user, account=account, plan=SubscriptionPlan.objects.get(slug=plan_slug),
                    status=SubscriptionStatus.ACTIVE, stripe_subscription_id=f"sub_bench_{user.pk.hex}",
                )  # fmt: skip
            return user

        def ask(user) -> Generation:
            request = generation_services.GenerationRequest(
                template_id=template.pk, formats=formats, texts={"headline": "Brunch all weekend"}
            )
            [generation] = generation_services.request_generation(user=user, request=request)
            return generation

        def wait(condition, timeout: float, what: str) -> None:
            deadline = time.monotonic() + timeout
            while not condition():
                if time.monotonic() > deadline:
                    raise SystemExit(f"timed out waiting for {what}; see {media / 'worker.log'}")
                time.sleep(0.05)

        connection.close()
        worker = start(
            [str(Path(sys.executable).with_name("celery")), "-A", "craftplatform", "worker", "-Q", "generation",
             "--pool=prefork", "--concurrency=1", "-l", "warning", "-n", f"bench-{secrets.token_hex(3)}@%h",
             "--without-mingle", "--without-gossip", "--without-heartbeat"],
            env, media / "worker.log",
        )  # fmt: skip
        # Warm-up: the worker's process, fonts and connections; not counted.
        warm = ask(new_user(None))
        wait(lambda: Generation.objects.get(pk=warm.pk).status == GenerationStatus.COMPLETED, 120, "the warm-up job")

        def round_with(last_user, label: str) -> tuple[int, int, float]:
            free = new_user(None)
            queued = [ask(free) for _ in range(options.free_jobs)]
            ids = [job.pk for job in queued]
            # "Then a paid job": once the worker has the first free job in hand.
            wait(lambda: Generation.objects.filter(pk__in=ids).exclude(status="queued").exists(), 60, "a free job")
            last = ask(last_user)
            every = [*ids, last.pk]
            wait(
                lambda: not Generation.objects.filter(pk__in=every, status__in=["queued", "processing"]).exists(),
                60 + 15 * len(every),
                f"the {label} round",
            )
            jobs = list(Generation.objects.filter(pk__in=every).order_by("started_at"))
            bad = [job for job in jobs if job.status != GenerationStatus.COMPLETED]
            if bad:
                raise SystemExit(f"{len(bad)} jobs did not complete: {bad[0].error_message}")
            last = next(job for job in jobs if job.pk == last.pk)
            others = [job for job in jobs if job.pk != last.pk]
            arrived = last.queued_at
            # In the worker's hands when the job arrived (started before, finished after).
            running = sum(1 for job in others if job.started_at <= arrived < job.completed_at)
            # Started after it arrived and before it: the jobs that went ahead of it in the queue.
            ahead = sum(1 for job in others if arrived < job.started_at < last.started_at)
            return running, ahead, (last.started_at - arrived).total_seconds()

        print(f"one worker (prefork, concurrency 1), {options.free_jobs} free jobs of {len(formats)} formats each")
        for label, user in (("paid job (Pro plan)", new_user("pro")), ("reference (a free job)", new_user(None))):
            running, ahead, waited = round_with(user, label)
            print(
                f"{label:24} {running} job running when it was queued, then {ahead} free jobs started before it; "
                f"it started {waited:.1f} s after it was queued"
            )
            if label.startswith("paid"):
                paid_ahead = ahead
        met = "met" if paid_ahead == 0 else "NOT met"
        print(f"target: the paid job starts after at most the job already running (0 started ahead of it): {met}")
    finally:
        stop(worker)
        clear_queue(broker)
        connection.close()
        shutil.rmtree(media, ignore_errors=True)
        if created and not options.keep:
            drop_database(url)


if __name__ == "__main__":
    main()
