"""Generation jobs through one real Celery worker: throughput, and request-to-completed time beside
the renderer's own time for the same work.

    .venv/bin/python benchmarks/generation.py [--jobs 20] [--latency-runs 20] [--template SLUG] [--keep]

A 4-format generation of a typical shipped template is requested through the real service
(`request_generation`: validation, pricing, three credit checks, a hold, the queued row) and run by
one `celery worker` process (prefork, concurrency 1) over Redis, which renders, writes the files and
thumbnails through Django's storage (local files), and captures the hold. Two measurements:

- throughput: `--jobs` requests submitted at once; jobs per second until the last one completed;
- latency: `--latency-runs` requests one at a time; time from calling the service to the job's
  `completed_at`, p50 and p95.

Beside them, in this process, the renderer alone doing the same work: the four formats drawn, the
free plan's watermark applied and each encoded as PNG (median of the same number of runs). The
overhead of queue, storage and bookkeeping is latency p50 minus render p50; the target is under 25 %
of the render time.

The per-minute rate limit of "generate_format" is lifted in the benchmark's own database (it asks
for more formats a minute than a user may). Needs PostgreSQL and Redis. DATABASE_URL (default postgres://postgres@127.0.0.1:5432/craftads_bench_generation)
must have "bench" in its name; it is created when missing, migrated, and dropped at the end if this
run created it (unless --keep). REDIS_URL (default redis://127.0.0.1:6379/12) is the broker.
"""

import argparse
import os
import secrets
import shutil
import signal
import statistics
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
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/craftads_bench_generation"
DEFAULT_BROKER = "redis://127.0.0.1:6379/12"
DEFAULT_TEMPLATE = "restaurant-lunch-deal"
FORMATS = ["1:1", "4:5", "9:16", "16:9"]
TARGET_OVERHEAD = 0.25


def environment(url: str, broker: str, media: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SETTINGS_MODULE": "craftplatform.settings.local",
        "DJANGO_DEBUG": "false",  # DEBUG keeps every query in memory: a cost production does not pay
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MEDIA_ROOT": str(media),
        "CREDITS_DAILY_ALLOWANCE": "false",
        "LOG_LEVEL": "WARNING",
    }


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).with_name("celery")),
        "-A", "craftplatform", "worker", "-Q", "generation", "--pool=prefork", "--concurrency=1",
        "-l", "warning", "-n", f"bench-{secrets.token_hex(3)}@%h",
        "--without-mingle", "--without-gossip", "--without-heartbeat",
    ]  # fmt: skip
    handle = log.open("wb")
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    return process


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=20, help="requests submitted at once (throughput)")
    parser.add_argument("--latency-runs", type=int, default=20, help="requests one at a time (latency)")
    parser.add_argument("--template", default=DEFAULT_TEMPLATE, help="shipped template slug")
    parser.add_argument("--keep", action="store_true", help="keep a database this run created")
    options = parser.parse_args()

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    broker = os.environ.get("REDIS_URL", DEFAULT_BROKER)
    if urlsplit(url).scheme not in {"postgres", "postgresql"} or "bench" not in database_name(url):
        raise SystemExit("Point DATABASE_URL at a PostgreSQL database with 'bench' in its name.")
    try:
        redis.Redis.from_url(broker, socket_connect_timeout=1).ping()
    except (redis.RedisError, OSError) as exc:
        raise SystemExit(f"This benchmark needs Redis at {broker} ({exc.__class__.__name__}).") from exc
    redis.Redis.from_url(broker).flushdb()

    media = Path(tempfile.mkdtemp(prefix="craftads-bench-generation-"))
    env = environment(url, broker, media)
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    created = ensure_database(url)
    django.setup()
    from django.core.management import call_command  # these imports need django.setup()
    from django.db import connection

    from credits import services as credit_services
    from credits.models import PricingRule
    from generations.models import Generation, GenerationStatus
    from generations.services import generation as generation_services
    from generations.watermark import apply_watermark
    from templates_app import selectors as template_selectors
    from templates_app.models import AdTemplate
    from templates_app.renderer import RenderInputs, encode_image, render_ad
    from templates_app.services.library import load_template_library
    from tests.factories import UserFactory

    call_command("migrate", verbosity=0, interactive=False)
    worker = None
    try:
        if not AdTemplate.objects.filter(slug=options.template).exists():
            print("Loading the shipped template library …", flush=True)
            load_template_library()
        template = AdTemplate.objects.get(slug=options.template)
        # The benchmark asks for more formats a minute than the per-user rate limit allows; in its
        # own database the limit is lifted (the rule is still read and applied on every request).
        PricingRule.objects.filter(operation="generate_format").update(rate_limit_per_minute=None)
        user = UserFactory(email=f"bench-{secrets.token_hex(4)}@example.com")
        total_jobs = options.jobs + options.latency_runs + 2
        credit_services.grant_credits(
            user=user, amount=total_jobs * 4, type="bonus", idempotency_key=f"bench:{user.pk}"
        )
        spec = template_selectors.get_spec_for_generation(template_id=template.pk, version=template.spec_version)
        texts = {"headline": "Brunch all weekend"}

        def request() -> object:
            [generation] = generation_services.request_generation(
                user=user,
                request=generation_services.GenerationRequest(
                    template_id=template.pk, formats=FORMATS, texts=texts, output_format="png"
                ),
            )
            return generation.pk

        def wait_all(ids: list, timeout: float = 600) -> list:
            deadline = time.monotonic() + timeout
            while True:
                rows = list(Generation.objects.filter(pk__in=ids).values("status", "completed_at", "error_message"))
                if all(row["status"] in (GenerationStatus.COMPLETED, GenerationStatus.FAILED) for row in rows):
                    failed = [row["error_message"] for row in rows if row["status"] == GenerationStatus.FAILED]
                    if failed:
                        raise SystemExit(f"{len(failed)} job(s) failed: {failed[0]}")
                    return rows
                if time.monotonic() > deadline:
                    raise SystemExit("Timed out waiting for the worker; see its log.")
                time.sleep(0.005)

        log = media / "worker.log"
        worker = start_worker(env, log)
        connection.close()
        # Warm-up: the worker's first job imports and loads fonts.
        wait_all([request(), request()])

        print(f"Renderer alone, {len(FORMATS)} formats + watermark + PNG …", flush=True)
        render_times = []
        inputs = RenderInputs(texts=texts)
        for _ in range(max(5, options.latency_runs)):
            started = time.perf_counter()
            for key in FORMATS:
                encode_image(apply_watermark(render_ad(spec, key, inputs).image), "png")
            render_times.append(time.perf_counter() - started)

        print(f"Latency, {options.latency_runs} requests one at a time …", flush=True)
        latencies = []
        for _ in range(options.latency_runs):
            started = time.time()
            [row] = wait_all([request()])
            latencies.append(row["completed_at"].timestamp() - started)

        print(f"Throughput, {options.jobs} requests at once …", flush=True)
        started = time.time()
        ids = [request() for _ in range(options.jobs)]
        rows = wait_all(ids)
        finished = max(row["completed_at"].timestamp() for row in rows)
        throughput = options.jobs / (finished - started)

        render_p50 = statistics.median(render_times) * 1000
        p50, p95 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.95) * 1000
        overhead = (p50 - render_p50) / render_p50
        print()
        print(f"template {options.template!r}, formats {', '.join(FORMATS)}, PNG, free plan (watermark)")
        print(f"renderer alone (same work, this process): p50 {render_p50:7.1f} ms")
        print(f"request → completed via worker:            p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
        print(
            f"overhead (queue, storage, bookkeeping) at p50: {p50 - render_p50:6.1f} ms = {overhead:.0%} of render "
            f"(target under {TARGET_OVERHEAD:.0%}: {'met' if overhead < TARGET_OVERHEAD else 'NOT met'})"
        )
        print(f"throughput, one worker: {throughput:.2f} jobs/s ({options.jobs} jobs)")
    finally:
        if worker is not None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        connection.close()
        shutil.rmtree(media, ignore_errors=True)
        if created and not options.keep:
            drop_database(url)


if __name__ == "__main__":
    main()
