"""Server time of a published landing page under 20 concurrent clients, on gunicorn with production
settings.

    .venv/bin/python benchmarks/landing_page.py [--clients 20] [--seconds 10] [--warmup 2] [--workers N] [--keep]

Creates a user and a page from the "offer" starting point with a 1080x1080 creative in the hero
(published through the real service: WebP renditions, frozen version), then serves the app with
gunicorn on production settings (DEBUG off, the Redis cache when REDIS_URL is set, as in
production) and asks for the public page `/p/<handle>/<slug>/?utm_source=facebook&utm_campaign=…`
from `--clients` threads for `--seconds` after `--warmup`: the path an ad click takes (cache hit,
the form's signed time token and the visit's attribution filled in per request). Prints the page's
size, requests per second, gunicorn's own server time per request (p50/p95/p99, from its access
log) and the latency the clients saw. The target is server p95 under 15 ms.

Needs PostgreSQL. DATABASE_URL (default postgres://postgres@127.0.0.1:5432/craftads_bench_landing)
must have "bench" in its name, is created and migrated when missing and dropped at the end if this
run created it, unless --keep. Shares its database and server helpers with benchmarks/gallery.py.
"""

import argparse
import http.client
import os
import statistics
import sys
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gallery as helpers

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/craftads_bench_landing"
TARGET_P95_MS = 15.0
helpers.PORT = 8793


def make_page() -> str:
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    from accounts.models import User
    from accounts.services import ensure_user_records
    from campaigns.pages import services
    from generations.models import Asset, AssetKind
    from tests.generations.factories import png_bytes

    call_command("migrate", verbosity=0)
    user, _ = User.objects.get_or_create(email="bench-landing@example.com")
    ensure_user_records(user=user)
    services.ensure_handle(user=user)
    page = services.create_page(user=user, name=f"Offer {os.getpid()}", starting_point="offer")
    asset = Asset.objects.create(
        user=user,
        kind=AssetKind.RESULT,
        file=ContentFile(png_bytes((1080, 1080)), name="bench-ad.png"),
        width=1080,
        height=1080,
        mime_type="image/png",
        file_format="png",
    )
    hero = page.components.get(component_type="hero")
    services.update_component(component=hero, props={**hero.props, "image": str(asset.pk)})
    services.publish_page(page=page, by=user)
    return f"/p/{user.page_handle.handle}/{page.slug}/?utm_source=facebook&utm_medium=paid&utm_campaign=spring-sale"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="gunicorn workers (default: CPUs)")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--any-database", action="store_true")
    options = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if "bench" not in helpers.database_name(url) and not options.any_database:
        raise SystemExit("DATABASE_URL must name a database with 'bench' in its name (or pass --any-database).")
    created = helpers.ensure_database(url)
    media = Path(tempfile.mkdtemp(prefix="craftads-bench-landing-"))
    os.environ["MEDIA_ROOT"] = str(media)
    os.environ.setdefault("FIELD_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    try:
        helpers.setup_django(url)
        path = make_page()
        with tempfile.TemporaryDirectory() as logs:
            access_log, error_log = Path(logs) / "access.log", Path(logs) / "error.log"
            server = helpers.start_server(url, options.workers, access_log, error_log)
            try:
                probe = http.client.HTTPConnection("127.0.0.1", helpers.PORT, timeout=10)
                probe.request("GET", path, headers={"Host": "127.0.0.1"})
                response = probe.getresponse()
                body = response.read()
                if response.status != 200:
                    raise SystemExit(f"the page answered {response.status}; see {error_log}: {body[:300]!r}")
                csp = response.getheader("Content-Security-Policy", "")
                result = helpers.run_combination(path, "", options.clients, options.warmup, options.seconds, access_log)
            finally:
                server.terminate()
                server.wait(timeout=10)
    finally:
        if created and not options.keep:
            helpers.drop_database(url)
    server_ms, client_ms = result["server"], result["latencies"]
    if not server_ms:
        raise SystemExit(f"no successful request: {result['errors'][:3]}")
    p95 = helpers.percentile(server_ms, 0.95)
    print(f"published landing page {path.split('?')[0]}: HTML+CSS {len(body):,} bytes (limit 50,000), CSP: {csp[:60]}…")
    print(
        f"gunicorn {options.workers} workers, {options.clients} clients, {options.seconds:g} s after {options.warmup:g} s warm-up"
    )
    print(f"requests/s        {result['rps']:.0f}  ({len(client_ms)} requests, {len(result['errors'])} errors)")
    print(
        f"server time ms    p50 {statistics.median(server_ms):.2f}  p95 {p95:.2f}  "
        f"p99 {helpers.percentile(server_ms, 0.99):.2f}  (target p95 < {TARGET_P95_MS:g})"
    )
    print(f"client latency ms p50 {statistics.median(client_ms):.2f}  p95 {helpers.percentile(client_ms, 0.95):.2f}")
    print("PASS" if p95 < TARGET_P95_MS else "FAIL: server p95 over target")


if __name__ == "__main__":
    main()
