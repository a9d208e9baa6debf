"""Page-event ingest sustained for 60 s, then stored exactly once; COPY against one INSERT per event.

    .venv/bin/python benchmarks/page_events.py [--seconds 60] [--processes 2] [--threads 10] [--workers N]
                                               [--batch 3] [--reference 20000] [--keep]

Publishes a page, serves the app with gunicorn on production settings with Redis (the stream the
beacon appends to), runs the drain (`manage.py drain_page_events`, COPY in batches) as its own
process beside it, as production does, and sends beacon events to `/e/` from `--processes` x
`--threads` keep-alive clients for `--seconds`. Each request is the body the page's own script
(campaigns/static/campaigns/beacon.js) sends: page, version, signed key, UTM parameters, fbclid,
referrer, and `--batch` events of one page view (default 3: view, scroll past the fold, CTA click,
which the script queues and sends together; `--batch 1` is one event per request, as a visit
whose visitor leaves at once sends). Browser user agent. The per-address rate limit is raised for
the run (every client is 127.0.0.1); its counter still runs on every request, counting events.

Prints the events accepted per second (in HTTP 204 answers; requests per second beside), gunicorn's
own server time per request (p50/p95/p99, its access log), then waits for the drain to empty the stream and
checks that the database holds exactly the accepted events (count and distinct ingest ids).
Then the reference, in the same run: `--reference` events loaded by the drain from a backlog
(COPY) against the same events written with one INSERT per event (autocommit, as an endpoint
writing straight to PostgreSQL would), and the ratio. Targets: 3,000 events/s or more accepted,
every one stored once.

Needs PostgreSQL and Redis (REDIS_URL, default redis://127.0.0.1:6379/6). DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/craftads_bench_events) must have "bench" in its name.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gallery as helpers

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/craftads_bench_events"
TARGET_PER_SECOND = 3000
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
helpers.PORT = 8794


BATCH_KINDS = ("view", "scroll", "click", "submit")


def client_process(body_template: dict, seconds: float, threads: int, batch: int, results) -> None:
    pairs = [[BATCH_KINDS[i % len(BATCH_KINDS)], body_template["c"] if i % 4 == 2 else ""] for i in range(batch)]
    template = {key: value for key, value in body_template.items() if key not in ("t", "c")}

    def run(counter: list) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", helpers.PORT, timeout=30)
        stop_at = time.monotonic() + seconds
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            body = json.dumps({**template, "utm_content": f"ad-{n % 50}", "e": pairs})
            try:
                connection.request(
                    "POST",
                    "/e/",
                    body=body,
                    headers={"Content-Type": "text/plain", "User-Agent": UA, "Host": "127.0.0.1"},
                )
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                counter[1] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", helpers.PORT, timeout=30)
                continue
            if response.status == 204:
                counter[0] += batch
            else:
                counter[1] += 1
        connection.close()

    counters = [[0, 0] for _ in range(threads)]
    workers = [threading.Thread(target=run, args=(counter,)) for counter in counters]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put((sum(c[0] for c in counters), sum(c[1] for c in counters)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=10)
    parser.add_argument("--batch", type=int, default=3, help="events per request (the page script's batch)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2)
    parser.add_argument("--gunicorn-threads", type=int, default=8, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--reference", type=int, default=20_000)
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if "bench" not in helpers.database_name(url):
        raise SystemExit("DATABASE_URL must name a database with 'bench' in its name.")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/6")
    os.environ.setdefault("FIELD_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    os.environ["PAGE_EVENTS_RATE_LIMIT"] = "1000000000"
    # Each request waits on Redis (one script call): threads let a worker overlap those waits.
    os.environ.setdefault("GUNICORN_CMD_ARGS", f"--threads {options.gunicorn_threads}")
    os.environ["PAGE_EVENTS_REDIS_URL"] = os.environ["REDIS_URL"]
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="craftads-bench-events-")
    created = helpers.ensure_database(url)
    try:
        helpers.setup_django(url)
        from django.core.management import call_command
        from django.db import connection

        from accounts.models import User
        from accounts.services import ensure_user_records
        from analytics import drain, ingest
        from analytics.models import PageEvent
        from campaigns.pages import services
        from campaigns.pages.rendering import beacon_key

        call_command("migrate", verbosity=0)
        user, _ = User.objects.get_or_create(email="bench-events@example.com")
        ensure_user_records(user=user)
        page = services.create_page(user=user, name=f"Burst {uuid.uuid4().hex[:6]}", starting_point="lead_capture")
        version = services.publish_page(page=page)
        redis = ingest.redis_client()
        redis.delete(ingest.STREAM)
        PageEvent.objects.all().delete()
        body = {
            "p": str(page.pk),
            "v": version.number,
            "k": beacon_key(str(page.pk), version.number),
            "t": "view",
            "c": next(c["id"] for c in version.components if c["type"] == "hero"),
            "utm_source": "facebook",
            "utm_medium": "paid",
            "utm_campaign": "spring-sale",
            "utm_term": "",
            "f": "IwAR0" + "x" * 40,
            "r": "https://m.facebook.com/",
        }
        with tempfile.TemporaryDirectory() as logs:
            access_log, error_log = Path(logs) / "access.log", Path(logs) / "error.log"
            server = helpers.start_server(url, options.workers, access_log, error_log)
            drainer = subprocess.Popen(
                [sys.executable, "manage.py", "drain_page_events"],
                cwd=ROOT,
                env={
                    **os.environ,
                    "DJANGO_SETTINGS_MODULE": "craftplatform.settings.production",
                    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
                    "MEDIA_SERVED_BY_PROXY": "true",
                    "LOG_LEVEL": "WARNING",
                },
                stdout=subprocess.DEVNULL,
            )
            try:
                results = multiprocessing.Queue()
                clients = [
                    multiprocessing.Process(
                        target=client_process,
                        args=(body, options.seconds, options.threads, options.batch, results),
                    )
                    for _ in range(options.processes)
                ]
                started = time.monotonic()
                for client in clients:
                    client.start()
                totals = [results.get() for _ in clients]
                for client in clients:
                    client.join()
                elapsed = time.monotonic() - started
                accepted = sum(t[0] for t in totals)
                failed = sum(t[1] for t in totals)
                with access_log.open() as log:
                    server_ms = [
                        int(parts[0]) / 1000
                        for parts in (line.split() for line in log)
                        if len(parts) == 2 and parts[1] == "204"
                    ]
                backlog = redis.xlen(ingest.STREAM)
                wait_from = time.monotonic()
                while redis.xlen(ingest.STREAM) and time.monotonic() - wait_from < 600:
                    time.sleep(0.2)
                drain_tail = time.monotonic() - wait_from
            finally:
                drainer.terminate()
                drainer.wait(timeout=30)
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()  # keep-alive connections hold a graceful stop
                    server.wait(timeout=10)
        stored = PageEvent.objects.filter(page=page).count()
        distinct = PageEvent.objects.filter(page=page).values("ingest_id").distinct().count()

        # The reference: the same events, COPY through the drain vs one INSERT per event.
        PageEvent.objects.filter(page=page).delete()
        pipe = redis.pipeline(transaction=False)
        for n in range(options.reference):
            event = {**body, "utm_content": f"ad-{n % 50}", "h": "v" * 32, "g": "", "at": time.time()}
            pipe.xadd(ingest.STREAM, {"e": json.dumps(event, separators=(",", ":"))})
        pipe.execute()
        copy_started = time.monotonic()
        drain.drain(consumer="reference")
        copy_seconds = time.monotonic() - copy_started
        copied = PageEvent.objects.filter(page=page).count()
        rows = [
            ingest.row_values({**body, "h": "v" * 32, "g": "", "at": time.time()}, f"insert-{n}")
            for n in range(options.reference)
        ]
        table = PageEvent._meta.db_table
        columns = ", ".join(drain.COLUMNS)
        placeholders = ", ".join(["%s"] * len(drain.COLUMNS))
        insert_started = time.monotonic()
        with connection.cursor() as cursor:
            for row in rows:
                statement = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 (our own names)
                cursor.execute(statement, [row[c] for c in drain.COLUMNS])
        insert_seconds = time.monotonic() - insert_started
    finally:
        if created and not options.keep:
            helpers.drop_database(url)

    rate = accepted / elapsed
    print(
        f"gunicorn {options.workers} workers, {options.processes}x{options.threads} clients, {elapsed:.0f} s, "
        f"{options.batch} event(s) per request, drain running beside"
    )
    print(
        f"accepted          {accepted:,} events = {rate:,.0f} events/s in {accepted // options.batch:,} requests "
        f"= {accepted / options.batch / elapsed:,.0f} requests/s  (non-204 answers: {failed})"
    )
    if server_ms:
        print(
            f"server time ms    p50 {statistics.median(server_ms):.2f}  p95 {helpers.percentile(server_ms, 0.95):.2f}  "
            f"p99 {helpers.percentile(server_ms, 0.99):.2f}  (gunicorn access log, per request)"
        )
    print(f"stream at the end {backlog:,} events waiting; drained {drain_tail:.1f} s after the clients stopped")
    print(
        f"stored            {stored:,} rows, {distinct:,} distinct ingest ids  ({'exactly once' if stored == distinct == accepted else 'MISMATCH'})"
    )
    copy_rate, insert_rate = copied / copy_seconds, options.reference / insert_seconds
    print(
        f"reference         drain (COPY) {copy_rate:,.0f} events/s vs one INSERT per event {insert_rate:,.0f} events/s: ratio {copy_rate / insert_rate:.1f}x"
    )
    ok = rate >= TARGET_PER_SECOND and stored == distinct == accepted
    print("PASS" if ok else f"FAIL: target {TARGET_PER_SECOND:,} events/s accepted and every one stored once")


if __name__ == "__main__":
    main()
