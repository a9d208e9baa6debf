"""Server time of the template gallery page with 10,000 templates, under 20 concurrent clients.

    .venv/bin/python benchmarks/gallery.py [--templates 10000] [--clients 20] [--seconds 5] [--warmup 1]
                                           [--workers N] [--keep]

Fills a dedicated PostgreSQL database with `--templates` templates (bulk inserts with a precomputed
spec and thumbnail name: nothing is rendered), categories and a signed-in user's favourites, then
serves the app with gunicorn on production settings (DEBUG off, persistent connections) and sends
the gallery page, one filter combination at a time, from `--clients` threads that each keep asking
for `--seconds` after `--warmup`. For each combination it prints the queries the page runs (counted
in-process), requests per second, the server time per request (gunicorn's own request timer,
from the access log) and the latency the clients saw (which adds waiting for a free worker).
The target is server p95 under 100 ms for every combination.

Needs PostgreSQL. DATABASE_URL (default postgres://postgres@127.0.0.1:5432/craftads_bench_gallery)
names the database; it must have "bench" in its name (--any-database to override), is created when
missing and migrated, and is dropped at the end if this run created it, unless --keep. REDIS_URL is
passed on to the server when set (the cache and the sessions cache), as in production.
"""

import argparse
import http.client
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import django
from bench_db import database_name, drop_database, ensure_database
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/craftads_bench_gallery"
TARGET_P95_MS = 100.0
PORT = 8791

COMBINATIONS = [
    ("all templates (recommended)", {}),
    ("category", {"category": "food-and-drink"}),
    ("industry + style", {"industry": "restaurant", "style": "bold"}),
    ("campaign type + format", {"campaign_type": "sales", "format": "9:16"}),
    ("search “summer sale”", {"q": "summer sale"}),
    ("search, typed so far “burg”", {"q": "burg"}),
    ("favourites only", {"favorites": "1"}),
    ("most used, page 5", {"sort": "most_used", "page": "5"}),
    ("best CTR", {"sort": "best_ctr"}),
    ("newest, page 40", {"sort": "newest", "page": "40"}),
    (
        "every filter + search",
        {
            "category": "food-and-drink",
            "industry": "restaurant",
            "campaign_type": "sales",
            "format": "1:1",
            "q": "sale",
            "sort": "newest",
        },
    ),
]

WORDS = [
    *("summer", "winter", "spring", "autumn", "sale", "launch", "offer", "deal", "burger", "pizza", "coffee"),
    *("bakery", "sneaker", "fashion", "spa", "yoga", "gym", "class", "course", "webinar", "open", "house"),
    *("event", "concert", "festival", "app", "download", "trial", "discount", "bundle", "flash", "weekend"),
    *("holiday", "fresh", "organic", "local", "premium", "classic", "modern", "bold", "bright", "calm"),
]
CATEGORIES = [
    ("food-and-drink", "Food & drink"),
    ("retail", "Retail"),
    ("fitness", "Fitness & wellness"),
    ("events", "Events"),
    ("services", "Services"),
    ("property", "Property"),
    ("apps", "Apps & software"),
    ("seasonal", "Seasonal"),
]


# -- the database ----------------------------------------------------------------------------------


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    # One secret for this process and the server: the session made here must verify there.
    os.environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["DJANGO_SETTINGS_MODULE"] = "craftplatform.settings.local"
    os.environ["DJANGO_DEBUG"] = "false"  # DEBUG keeps every query in memory: a cost production does not pay
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    django.setup()


def bench_spec() -> dict:
    """A small valid spec laid out for 1:1; the others are adapted."""
    return {
        "version": 1,
        "slots": {
            "headline": {"type": "text", "label": "Headline", "default": "Summer sale", "max_chars": 40},
            "cta": {"type": "text", "label": "Button", "default": "Shop now", "max_chars": 18},
        },
        "formats": {
            "1:1": {
                "background": "brand.background",
                "layers": [
                    {"type": "shape", "shape": "rect", "box": [0, 0, 1080, 1080], "fill": "brand.primary"},
                    {
                        "type": "text",
                        "slot": "headline",
                        "box": [80, 120, 920, 400],
                        "font": "brand.heading",
                        "size": [48, 110],
                        "max_lines": 3,
                        "color": "#FFFFFF",
                    },
                    {
                        "type": "button",
                        "slot": "cta",
                        "box": [80, 860, 420, 110],
                        "font": "brand.body",
                        "size": [28, 44],
                        "fill": "brand.accent",
                        "color": "#FFFFFF",
                    },
                ],
            }
        },
    }


def load_data(count: int) -> str:
    """Bulk-insert the library; return the id of the user whose favourites the page shows."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts import services as account_services
    from accounts.models import User
    from templates_app import services
    from templates_app.constants import CampaignType, Industry, TemplateStyle
    from templates_app.models import AdCategory, AdTemplate, Category, FavoriteTemplate
    from templates_app.services.templates import build_search_text, refresh_search_vector
    from templates_app.spec import FORMAT_KEYS

    rng = random.Random(42)
    prepared = services.prepare_spec(bench_spec())
    now = timezone.now()
    with transaction.atomic():
        categories = [
            Category.objects.create(slug=slug, name=name, display_order=number)
            for number, (slug, name) in enumerate(CATEGORIES)
        ]
        templates = []
        for number in range(count):
            words = rng.sample(WORDS, 3)
            native = sorted(rng.sample(FORMAT_KEYS, rng.choice([1, 1, 2])), key=FORMAT_KEYS.index)
            template = AdTemplate(
                slug=f"bench-{number}",
                name=f"{words[0].title()} {words[1]} {number}",
                description=f"A {words[2]} template for {words[0]} {words[1]} campaigns.",
                industry=rng.choice(Industry.values),
                style=rng.choice(TemplateStyle.values),
                campaign_type=rng.choice(CampaignType.values),
                tags=rng.sample(WORDS, 3),
                spec=prepared.spec,
                render_spec=prepared.render_spec,
                spec_version=1,
                native_formats=native,
                adapted_formats=[key for key in FORMAT_KEYS if key not in native],
                thumbnail="templates/bench/v1-thumb.webp",
                previews={key: f"templates/bench/v1-{key.replace(':', 'x')}.webp" for key in FORMAT_KEYS},
                is_featured=rng.random() < 0.02,
                usage_count=rng.randint(0, 5000),
                best_ctr=rng.uniform(0.002, 0.06) if rng.random() < 0.3 else None,
                metric_impressions=rng.randint(0, 10**6),
            )
            template.search_text = build_search_text(template)
            templates.append(template)
        AdTemplate.objects.bulk_create(templates, batch_size=1000)
        # created_at is set on insert; spread it over a year so "newest" has something to sort.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE templates_app_adtemplate SET created_at = %s - (random() * interval '365 days')", [now]
            )
        links = []
        for template in templates:
            for category in rng.sample(categories, rng.choice([1, 1, 2])):
                links.append(AdCategory(template=template, category=category))
        AdCategory.objects.bulk_create(links, batch_size=2000)
        ids = [template.pk for template in templates]
        for start in range(0, len(ids), 2000):
            refresh_search_vector(template_ids=ids[start : start + 2000])
        user = User.objects.create_user(email=f"bench-{secrets.token_hex(4)}@example.invalid")
        account_services.ensure_user_records(user=user)
        FavoriteTemplate.objects.bulk_create(
            [FavoriteTemplate(user=user, template=template) for template in rng.sample(templates, 60)]
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE templates_app_adtemplate")
        cursor.execute("VACUUM ANALYZE templates_app_adcategory")
        cursor.execute("VACUUM ANALYZE templates_app_favoritetemplate")
    return str(user.pk)


def session_cookie(user_id: str) -> str:
    """A signed-in session for the user, stored where the server reads it (the database)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User

    user = User.objects.get(pk=user_id)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def count_queries(user_id: str) -> dict[str, int]:
    """Queries per page for each combination, counted in this process through the test client."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(pk=user_id))
    client.get("/templates/")
    counts = {}
    for label, params in COMBINATIONS:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/templates/", params)
        if response.status_code != 200:
            raise SystemExit(f"{label}: the page answered {response.status_code}")
        counts[label] = len(queries)
    return counts


# -- the server and the clients --------------------------------------------------------------------


def start_server(url: str, workers: int, access_log: Path, error_log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "craftplatform.settings.production",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback: no TLS proxy in front
        "MEDIA_SERVED_BY_PROXY": "true",
        "LOG_LEVEL": "WARNING",
        # Production refuses to start without its own key for stored secrets; a throwaway one here.
        "FIELD_ENCRYPTION_KEYS": os.environ.get("FIELD_ENCRYPTION_KEYS") or Fernet.generate_key().decode(),
    }
    env.pop("DJANGO_DEBUG", None)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "craftplatform.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(workers),
            "--access-logfile",
            str(access_log),
            "--access-logformat",
            "%(D)s %(s)s",  # request time in microseconds, status
            "--error-logfile",
            str(error_log),
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn did not start; see {error_log}")


def client_loop(path: str, cookie: str, stop_at: float, measure_from: float, latencies: list, errors: list) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    headers = {"Cookie": cookie, "Host": "127.0.0.1"}
    while True:
        started = time.perf_counter()
        if started >= stop_at:
            break
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            errors.append(repr(exc))
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            continue
        finished = time.perf_counter()
        if response.status != 200:
            errors.append(f"HTTP {response.status}")
        elif started >= measure_from:
            latencies.append((finished - started) * 1000)
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    connection.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def run_combination(path, cookie, clients, warmup, seconds, access_log: Path) -> dict:
    offset = access_log.stat().st_size if access_log.exists() else 0
    latencies: list[float] = []
    errors: list[str] = []
    begin = time.perf_counter()
    measure_from, stop_at = begin + warmup, begin + warmup + seconds
    threads = [
        threading.Thread(target=client_loop, args=(path, cookie, stop_at, measure_from, latencies, errors))
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(0.3)  # let gunicorn flush its access log
    with access_log.open() as log:
        log.seek(offset)
        lines = [line.split() for line in log if line.strip()]
    server = [int(parts[0]) / 1000 for parts in lines if len(parts) == 2 and parts[1] == "200"]
    # The access log holds the warm-up too: keep the last requests, as many as were measured.
    server = server[-len(latencies) :] if latencies else []
    return {"latencies": latencies, "server": server, "errors": errors, "rps": len(latencies) / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--templates", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured time per combination")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured time before it")
    # One sync worker per CPU: the page is CPU-bound, and more workers than CPUs only moves the
    # queueing from gunicorn's listen backlog into the workers' own timers.
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="gunicorn workers (default: CPUs)")
    parser.add_argument("--keep", action="store_true", help="keep a database this run created")
    parser.add_argument("--any-database", action="store_true", help="allow a database without 'bench' in its name")
    options = parser.parse_args()

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if urlsplit(url).scheme not in {"postgres", "postgresql"}:
        raise SystemExit(f"This benchmark needs PostgreSQL; DATABASE_URL is {urlsplit(url).scheme}://…")
    if "bench" not in database_name(url) and not options.any_database:
        raise SystemExit(
            f"Refusing to write {options.templates} benchmark templates into {database_name(url)!r}: point "
            "DATABASE_URL at a database with 'bench' in its name (the default is craftads_bench_gallery), "
            "or pass --any-database."
        )
    created = ensure_database(url)
    setup_django(url)
    from django.core.management import call_command  # these imports need django.setup()
    from django.db import connections

    from templates_app.models import AdTemplate

    call_command("migrate", verbosity=0, interactive=False)
    if AdTemplate.objects.exists():
        raise SystemExit(f"{database_name(url)} holds templates already: drop it or point DATABASE_URL elsewhere.")
    server = None
    logs = Path(tempfile.mkdtemp(prefix="craftads-bench-gallery-"))
    rows = []
    try:
        started = time.perf_counter()
        print(f"Inserting {options.templates:,} templates …", flush=True)
        user_id = load_data(options.templates)
        print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
        queries = count_queries(user_id)
        cookie = session_cookie(user_id)
        connections.close_all()
        access_log = logs / "access.log"
        server = start_server(url, options.workers, access_log, logs / "error.log")
        for label, params in COMBINATIONS:
            print(f"{label} …", flush=True)
            path = "/templates/" + (f"?{urlencode(params)}" if params else "")
            result = run_combination(path, cookie, options.clients, options.warmup, options.seconds, access_log)
            if result["errors"] or not result["latencies"]:
                raise SystemExit(f"{label}: {len(result['errors'])} failed requests, e.g. {result['errors'][:3]}")
            rows.append((label, queries[label], result))
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        connections.close_all()
        if created and not options.keep:
            drop_database(url)

    print()
    print(
        f"Gallery page, {options.templates:,} templates, {options.clients} concurrent clients, "
        f"gunicorn with {options.workers} workers, {options.seconds:g} s per combination after {options.warmup:g} s warm-up"
    )
    print(
        f"{'combination':<30} {'queries':>7} {'req/s':>7}   {'server ms p50':>13} {'p95':>6} {'p99':>6}"
        f"   {'client ms p50':>13} {'p95':>6} {'p99':>6}"
    )
    worst = 0.0
    for label, query_count, result in rows:
        server, client = result["server"], result["latencies"]
        worst = max(worst, percentile(server, 0.95))
        print(
            f"{label:<30} {query_count:>7} {result['rps']:>7.0f}   {statistics.median(server):>13.1f} "
            f"{percentile(server, 0.95):>6.1f} {percentile(server, 0.99):>6.1f}   {statistics.median(client):>13.1f} "
            f"{percentile(client, 0.95):>6.1f} {percentile(client, 0.99):>6.1f}"
        )
    constant = len({count for _, count, _ in rows if count}) == 1
    print(f"queries per page: {'the same for every combination' if constant else 'NOT constant'}")
    verdict = "met" if worst < TARGET_P95_MS else "NOT met"
    print(f"target: server p95 under {TARGET_P95_MS:.0f} ms for every combination: {verdict} (worst {worst:.1f} ms)")


if __name__ == "__main__":
    main()
