"""Meta performance sync at scale: 1,000,000 insight rows read from the fake Graph API over HTTP and
stored by the product's sync, beside a PostgreSQL COPY of the same rows into the same table.

    .venv/bin/python benchmarks/meta_sync.py [--ads 10000] [--days 25] [--restated-ads 200] [--keep]

Fills a dedicated PostgreSQL database (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/craftads_bench_sync; it must have "bench" in its name) with one
published campaign of `--ads` ads on a connected ad account, then:

1. **ingest**: a sync run of `--days` days ending three days ago (`--ads` x days x 2 placements +
   2 age and gender groups = 1,000,000 rows at the defaults), through `campaigns.sync.runner.run_sync`,
   the function the sync task runs (claim, windows, cursor pages over HTTP, one fenced transaction
   per `META_SYNC_STORE_ROWS` rows, the upsert), reading the fake Graph API served by a separate process;
2. **COPY**: the same rows (read back from the table) are removed, then written again into the same
   table, with its indexes and constraints, by one `COPY … FROM STDIN`: the floor for loading them;
3. **re-sync**: the daily sync's range (the last `META_SYNC_RESTATE_DAYS` = 28 days) of every ad,
   after the fake restated 7 days of `--restated-ads` ads: the three newest days are new, the
   restated rows change, the rest are read and left as they are.

Targets (issue 14): ingest at 50 % or more of COPY's rows/s; the re-sync under 60 s.
"""

import argparse
import cProfile
import multiprocessing
import os
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gallery import database_name, drop_database, ensure_database, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/craftads_bench_sync"
TOKEN = "EAAbenchmarktoken"  # noqa: S105 (the fake's own made-up token)
ACCOUNT = "act_111"
FIRST_AD = 120_300_000_000_001
TARGET_SHARE = 0.5
TARGET_RESYNC_SECONDS = 60.0


def serve_fake(ads: int, restate: list[tuple[str, str]], days: tuple[str, str], pipe) -> None:
    """The fake Graph API in its own process (its JSON work must not share this process's CPU)."""
    from tests.fakes.graph_server import FakeGraphServer

    server = FakeGraphServer()
    fake = server.graph
    fake.tokens[TOKEN] = {"expires_at": time.time() + 86400, "long": True}
    fake.objects["campaign"]["120300000000000"] = {"id": "120300000000000", "account_id": ACCOUNT, "status": "ACTIVE"}
    fake.objects["adset"]["120299999999999"] = {
        "id": "120299999999999",
        "account_id": ACCOUNT,
        "campaign_id": "120300000000000",
        "status": "ACTIVE",
    }
    for n in range(ads):
        ad_id = str(FIRST_AD + n)
        fake.objects["ad"][ad_id] = {
            "id": ad_id,
            "account_id": ACCOUNT,
            "adset_id": "120299999999999",
            "status": "ACTIVE",
        }
    for ad_id, day in restate:
        fake.restate(ad_id, day, spend="77.77", clicks="333")
    fake.prepare_insights(ACCOUNT, *days)  # rows kept as JSON text: serving a page joins them
    server.thread.start()
    pipe.send(server.base_url)
    pipe.recv()  # until told to stop
    server.server.shutdown()


class Fake:
    def __init__(self, ads: int, restate: list[tuple[str, str]], days: tuple[date, date]) -> None:
        here, there = multiprocessing.Pipe()
        self.pipe = here
        span = (days[0].isoformat(), days[1].isoformat())
        self.process = multiprocessing.get_context("spawn").Process(target=serve_fake, args=(ads, restate, span, there))
        self.process.start()
        self.url = here.recv()

    def stop(self) -> None:
        self.pipe.send("stop")
        self.process.join(10)


def build(ads: int):
    from django.db import transaction

    from accounts.models import User
    from campaigns.connections.models import MetaAdAccount, MetaConnection
    from campaigns.publishing.models import Campaign, CampaignAsset
    from generations.models import Generation
    from tests.templates_app.factories import create_template, make_spec

    template = create_template(spec=make_spec(formats=("1:1",)))
    with transaction.atomic():
        user = User.objects.create_user(email=f"sync-{uuid.uuid4().hex[:6]}@bench.invalid")
        connection_row = MetaConnection.objects.create(user=user, status="active", access_token=TOKEN)
        account = MetaAdAccount.objects.create(
            connection=connection_row, account_id=ACCOUNT, name="Bench", currency="EUR", selected=True
        )
        campaign = Campaign.objects.create(
            user=user,
            name="Bench",
            ad_account=account,
            status="published",
            meta_campaign_id="120300000000000",
            currency="EUR",
            budget_amount=10000,
        )
        generations = Generation.objects.bulk_create(
            [
                Generation(user=user, template=template, spec_version=template.spec_version, formats=["1:1"])
                for _ in range(ads)
            ],
            batch_size=5000,
        )
        CampaignAsset.objects.bulk_create(
            [
                CampaignAsset(
                    campaign=campaign, generation=g, formats=["1:1"], ad_name=f"ad {n}", meta_ad_id=str(FIRST_AD + n)
                )
                for n, g in enumerate(generations)
            ],
            batch_size=5000,
        )
    return user, account


def point_at(fake: Fake) -> None:
    from django.conf import settings

    settings.META_APP_ID, settings.META_APP_SECRET = "1234567890", "fake-app-secret"
    settings.META_GRAPH_URL = fake.url


def sync(account, *, since=None, until=None) -> tuple[float, object]:
    """One sync run, as the sync task runs it: `run_sync` on a queued run."""
    from campaigns.sync import runner
    from campaigns.sync.models import SyncRun
    from craftplatform import jobs

    run = SyncRun.objects.create(
        ad_account=account,
        user_id=account.connection.user_id,
        kind="manual",
        since=since,
        until=until,
        **jobs.queued_fields(),
    )
    began = time.perf_counter()
    outcome = runner.run_sync(run_id=run.pk)
    seconds = time.perf_counter() - began
    run.refresh_from_db()
    if outcome != "done":
        raise SystemExit(f"the sync ended {outcome}: {run.error_message}")
    return seconds, run


def copy_same_rows(table: str) -> tuple[float, int]:
    """Read the stored rows out (COPY TO), empty the table, and time one COPY FROM of them."""
    from django.db import connection

    chunks = []
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} TO STDOUT") as out:
            for chunk in out:
                chunks.append(bytes(chunk))
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (the model's table name)
        rows = cursor.fetchone()[0]
        cursor.execute(f"TRUNCATE {table}")
        cursor.execute("CHECKPOINT")
    began = time.perf_counter()
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} FROM STDIN") as into:
        for chunk in chunks:
            into.write(chunk)
    return time.perf_counter() - began, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ads", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=25)
    parser.add_argument("--restated-ads", type=int, default=200)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of this process's ingest to FILE")
    options = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if urlsplit(url).scheme not in {"postgres", "postgresql"} or "bench" not in database_name(url):
        raise SystemExit("Point DATABASE_URL at a PostgreSQL database with 'bench' in its name.")
    created = ensure_database(url)
    setup_django(url)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections

    from campaigns.sync import selectors
    from campaigns.sync.models import PerformanceRecord

    call_command("migrate", verbosity=0, interactive=False)
    fake = None
    try:
        began = time.perf_counter()
        _user, account = build(options.ads)
        print(f"{options.ads:,} ads of one published campaign made in {time.perf_counter() - began:.0f} s", flush=True)
        today = selectors.account_today(account)
        newest = today - timedelta(days=3)
        oldest = newest - timedelta(days=options.days - 1)
        print(
            f"page size {settings.META_SYNC_PAGE_SIZE}, windows of {settings.META_SYNC_WINDOW_DAYS} days, "
            f"restated days {settings.META_SYNC_RESTATE_DAYS}; the fake Graph API runs in its own process",
            flush=True,
        )

        fake = Fake(options.ads, [], (oldest, newest))
        point_at(fake)
        profiler = cProfile.Profile() if options.profile else None
        if profiler:
            profiler.enable()
        ingest_seconds, run = sync(account, since=oldest, until=newest)
        if profiler:
            profiler.disable()
            profiler.dump_stats(options.profile)
        fake.stop()
        stored = PerformanceRecord.objects.count()
        ingest_rate = run.rows_fetched / ingest_seconds
        print(
            f"\n1. ingest through the sync: {run.rows_fetched:,} rows fetched, {run.rows_inserted:,} inserted "
            f"in {ingest_seconds:.1f} s: {ingest_rate:,.0f} rows/s",
            flush=True,
        )
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
        copy_seconds, copied = copy_same_rows(PerformanceRecord._meta.db_table)
        if copied != stored:
            raise SystemExit(f"COPY wrote {copied:,} rows, the sync {stored:,}")
        copy_rate = copied / copy_seconds
        share = ingest_rate / copy_rate
        print(f"2. COPY of the same {copied:,} rows into the same table: {copy_seconds:.1f} s: {copy_rate:,.0f} rows/s")
        verdict = "met" if share >= TARGET_SHARE else "NOT met"
        print(f"   ingest is {share:.0%} of COPY; target {TARGET_SHARE:.0%} or more: {verdict}", flush=True)

        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {PerformanceRecord._meta.db_table}")
        restate = [
            (str(FIRST_AD + n), (newest - timedelta(days=d)).isoformat())
            for n in range(0, options.ads, max(1, options.ads // max(1, options.restated_ads)))
            for d in range(7)
        ]
        fake = Fake(options.ads, restate, (today - timedelta(days=settings.META_SYNC_RESTATE_DAYS - 1), today))
        point_at(fake)
        resync_seconds, run = sync(account)  # the daily sync's own range
        fake.stop()
        fake = None
        print(
            f"3. re-sync of {run.since} to {run.until}: {run.rows_fetched:,} rows fetched, "
            f"{run.rows_inserted:,} inserted, {run.rows_updated:,} updated, {run.rows_unchanged:,} unchanged "
            f"in {resync_seconds:.1f} s ({run.rows_fetched / resync_seconds:,.0f} rows/s)"
        )
        verdict = "met" if resync_seconds < TARGET_RESYNC_SECONDS else "NOT met"
        print(f"   target under {TARGET_RESYNC_SECONDS:.0f} s: {verdict}")
        print(f"\nat {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()[0]:.1f}")
    finally:
        if fake is not None:
            fake.stop()
        connections.close_all()
        if created and not options.keep:
            drop_database(url)


if __name__ == "__main__":
    main()
