"""Analytics at the scale of a busy platform: dashboards' server time under 10 clients, one day's rollup.

    .venv/bin/python benchmarks/analytics.py [--users 100000] [--ledger 5000000] [--generations 1000000]
                                             [--payments 200000] [--days 120] [--clients 10] [--seconds 5]
                                             [--keep] [--rollup-only]

Fills a dedicated PostgreSQL database (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/craftads_bench_analytics; it must have "bench" in its name) with
`--users` users (time zones spread over the world), `--ledger` ledger entries, `--generations`
generations, `--payments` payments and provider calls over the last `--days` days, written with
COPY (a data generator, not the product's write path). Then it times the product's own rollup of
one whole day (`recompute_day`, what the hourly task runs per day), recomputes every day so the
dashboards have data, serves the app with gunicorn on production settings and sends each dashboard
(the user's page with a 90-day range, the staff reports with 28 and 90 days) from `--clients`
threads for `--seconds` each. Server time per request comes from gunicorn's access log.
`--rollup-only` stops after timing the three days (the other days are not recomputed, so the
weekly and monthly active counts read fewer `UserDay` rows than in a full run).

Targets (issue 16): every dashboard p95 under 150 ms, the rollup of one day under 10 s.
Ad performance: `--performance` insight rows (10 million by default) for `--ads` ads of
`--advertisers` advertisers (the busy user, whose page is measured, runs `--busy-ads` of them), every
ad every day, 4 placement rows and 3 age/gender rows an ad and day, written by one
INSERT … SELECT generate_series per day. Landing-page events are not generated (the issue's scale
names none); the landing-page section reads its rollups, which are then empty.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gallery import (
    database_name,
    drop_database,
    ensure_database,
    percentile,
    run_combination,
    session_cookie,
    setup_django,
    start_server,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/craftads_bench_analytics"
TARGET_P95_MS = 150.0
TARGET_ROLLUP_S = 10.0
ZONES = ["UTC", "America/New_York", "America/Los_Angeles", "Europe/Berlin", "Asia/Tokyo", "Australia/Sydney"]


def copy_rows(model, rows, *, fields=None) -> int:
    """COPY model instances into the model's table; every concrete column comes from the instance."""
    from django.db import connection

    columns = [f for f in model._meta.concrete_fields if fields is None or f.attname in fields]
    names = ", ".join(connection.ops.quote_name(f.column) for f in columns)
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {model._meta.db_table} ({names}) FROM STDIN") as copy:
            for obj in rows:
                copy.write_row([f.get_db_prep_save(getattr(obj, f.attname), connection) for f in columns])
                count += 1
    return count


def generate(options, rng: random.Random) -> str:
    """Write the data set; return the id of a busy user (the user dashboard is measured as them)."""
    from django.db import connection, transaction

    from accounts.models import User, UserPreference
    from credits.constants import Operation, PaymentKind, PaymentStatus, TransactionType
    from credits.models import CreditAccount, CreditTransaction, Payment
    from generations.models import Generation, GenerationStatus, ProviderCall
    from templates_app.models import AdTemplate
    from tests.templates_app.factories import create_template, make_spec

    now = datetime.now(UTC)
    start = now - timedelta(days=options.days)
    span = options.days * 86400

    def moment() -> datetime:
        return start + timedelta(seconds=rng.randrange(span))

    template = AdTemplate.objects.first() or create_template(spec=make_spec(formats=("1:1",)))
    user_ids = [uuid.uuid4() for _ in range(options.users)]
    account_ids = [uuid.uuid4() for _ in range(options.users)]
    per_user = max(2, options.ledger // options.users)
    operations = [Operation.GENERATE_FORMAT, Operation.UPSCALE, Operation.AI_COPY, Operation.REMOVE_BACKGROUND]
    balances = [0] * options.users
    with transaction.atomic():
        print(f"  users and preferences: {options.users:,}", flush=True)
        copy_rows(
            User,
            (
                User(
                    id=uid,
                    email=f"user{n}@bench.invalid",
                    password="!",  # noqa: S106 (an unusable password: nobody signs in as these)
                    created_at=start + timedelta(seconds=n * span // options.users),
                    updated_at=now,
                )
                for n, uid in enumerate(user_ids)
            ),
        )
        copy_rows(
            UserPreference,
            (
                UserPreference(
                    id=uuid.uuid4(), user_id=uid, timezone=ZONES[n % len(ZONES)], created_at=now, updated_at=now
                )
                for n, uid in enumerate(user_ids)
            ),
        )

        def ledger():
            written = 0
            for n in range(options.users):
                balance = 0
                for k in range(per_user):
                    if written >= options.ledger:
                        break
                    if k % 4 == 0:
                        amount, kind, op = (
                            rng.choice([20, 100, 250]),
                            rng.choice(
                                [
                                    TransactionType.PURCHASE,
                                    TransactionType.DAILY_ALLOWANCE,
                                    TransactionType.SIGNUP_BONUS,
                                ]
                            ),
                            "",
                        )
                    else:
                        amount = -min(balance, rng.randint(1, 8))
                        if amount == 0:
                            continue
                        kind, op = TransactionType.USAGE, rng.choice(operations)
                    written += 1
                    yield CreditTransaction(
                        id=uuid.uuid4(),
                        account_id=account_ids[n],
                        type=kind,
                        amount=amount,
                        balance_before=balance,
                        balance_after=balance + amount,
                        operation=op,
                        reference_type="generation" if op else "",
                        reference_id="",
                        idempotency_key=None,
                        created_at=moment(),
                    )
                    balance += amount
                balances[n] = balance

        print(f"  ledger entries: {options.ledger:,}", flush=True)
        copy_rows(CreditTransaction, ledger())
        copy_rows(
            CreditAccount,
            (
                CreditAccount(id=account_ids[n], user_id=uid, balance=balances[n], created_at=now, updated_at=now)
                for n, uid in enumerate(user_ids)
            ),
        )
        print(f"  generations: {options.generations:,}", flush=True)

        def generations():
            for _ in range(options.generations):
                created = moment()
                status = rng.choices([GenerationStatus.COMPLETED, GenerationStatus.FAILED], [95, 5])[0]
                yield Generation(
                    id=uuid.uuid4(),
                    user_id=rng.choice(user_ids),
                    template_id=template.pk,
                    spec_version=template.spec_version,
                    status=status,
                    formats=["1:1"],
                    created_at=created,
                    updated_at=created,
                    started_at=created + timedelta(seconds=1),
                    completed_at=created + timedelta(seconds=rng.uniform(1.2, 6)),
                    credits_used=rng.randint(1, 4),
                )

        copy_rows(Generation, generations())
        print(f"  payments and provider calls: {options.payments:,} each", flush=True)
        index_of = {uid: n for n, uid in enumerate(user_ids)}

        def payments():
            for n in range(options.payments):
                uid = rng.choice(user_ids)
                paid = moment()
                yield Payment(
                    id=uuid.uuid4(),
                    user_id=uid,
                    account_id=account_ids[index_of[uid]],
                    kind=rng.choice(list(PaymentKind)),
                    provider_payment_id=f"cs_bench_{n}",
                    amount=Decimal(rng.choice(["9.00", "19.00", "49.00"])),
                    currency="usd",
                    status=PaymentStatus.SUCCEEDED,
                    paid_at=paid,
                    created_at=paid,
                    updated_at=paid,
                    amount_refunded=Decimal("0"),
                )

        copy_rows(Payment, payments())

        def calls():
            for _ in range(options.payments):
                yield ProviderCall(
                    id=uuid.uuid4(),
                    user_id=rng.choice(user_ids),
                    provider=rng.choice(["openai", "automatic1111"]),
                    operation="copy",
                    model="gpt-4o-mini",
                    status="success",
                    cost=Decimal(rng.randint(1, 90)) / 10000,
                    created_at=moment(),
                )

        copy_rows(ProviderCall, calls())
    performance(options, user_ids)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return str(user_ids[0])


BREAKDOWN_ROWS = """(VALUES
    (1, 'placement', 'facebook', 'feed', '', ''), (2, 'placement', 'facebook', 'video_feeds', '', ''),
    (3, 'placement', 'instagram', 'stream', '', ''), (4, 'placement', 'instagram', 'story', '', ''),
    (5, 'demographic', '', '', '18-24', 'female'), (6, 'demographic', '', '', '25-34', 'male'),
    (7, 'demographic', '', '', '35-44', 'unknown')) AS b(k, breakdown, platform, position, age, gender)"""


def performance(options, user_ids) -> None:
    """Advertisers with one ad account and campaign each; `--performance` insight rows over the days."""
    from django.db import connection, transaction

    from campaigns.models import Campaign, MetaAdAccount, MetaConnection, PerformanceRecord

    now = datetime.now(UTC)
    advertisers = min(options.advertisers, len(user_ids))
    per_day = 7 * options.ads
    days = max(1, min(options.days, options.performance // per_day))
    print(
        f"  ad performance: {options.ads:,} ads of {advertisers:,} advertisers, {days} days, {per_day * days:,} rows",
        flush=True,
    )
    accounts = []
    with transaction.atomic():
        connections = [
            MetaConnection(id=uuid.uuid4(), user_id=uid, access_token="", created_at=now, updated_at=now)
            for uid in user_ids[:advertisers]
        ]
        copy_rows(MetaConnection, connections)
        for n, conn in enumerate(connections):
            currency = "EUR" if n % 5 == 4 else "USD"
            account = MetaAdAccount(
                id=uuid.uuid4(),
                connection_id=conn.pk,
                account_id=f"act_{n}",
                name=f"Account {n}",
                currency=currency,
                selected=True,
                created_at=now,
                updated_at=now,
            )
            campaign = Campaign(
                id=uuid.uuid4(),
                user_id=conn.user_id,
                name=f"Campaign {n}",
                ad_account_id=account.pk,
                currency=currency,
                meta_campaign_id=f"mc-{n}",
                created_at=now,
                updated_at=now,
            )
            accounts.append((n, account, campaign))
        copy_rows(MetaAdAccount, (a for _, a, _ in accounts))
        copy_rows(Campaign, (c for _, _, c in accounts))
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bench_accounts (idx int PRIMARY KEY, account uuid, campaign uuid, meta_campaign text, currency text)"
            )
            with cursor.cursor.copy("COPY bench_accounts FROM STDIN") as copy:
                for n, account, campaign in accounts:
                    copy.write_row([n, account.pk, campaign.pk, campaign.meta_campaign_id, account.currency])
    table = PerformanceRecord._meta.db_table
    busy, rest = options.busy_ads, max(1, advertisers - 1)
    # Numbers are a deterministic hash of ad, day and breakdown value: cheap, varied, reproducible.
    # The table name comes from the model; every value is a parameter.
    statement = f"""
        INSERT INTO {table} (id, created_at, updated_at, ad_account_id, campaign_id, campaign_asset_id,
            meta_campaign_id, meta_adset_id, meta_ad_id, date, breakdown, publisher_platform, platform_position,
            age, gender, attribution_setting, currency, impressions, reach, frequency, clicks, inline_link_clicks,
            spend, actions, action_values, conversions, conversion_value, ctr, cpc, cpa, roas)
        SELECT gen_random_uuid(), now(), now(), acc.account, acc.campaign, NULL, acc.meta_campaign, '',
            'ad-' || a, %(day)s::date, b.breakdown, b.platform, b.position, b.age, b.gender, '7d_click',
            acc.currency, m.imp, m.imp / 2, 2, m.clk, m.clk / 2, round(m.imp * 0.006, 2), '{{}}', '{{}}',
            m.clk / 12, (m.clk / 12) * 25, NULL, NULL, NULL, NULL
        FROM generate_series(0, %(ads)s - 1) AS a
        JOIN bench_accounts acc ON acc.idx = CASE WHEN a < %(busy)s THEN 0 ELSE 1 + (a %% %(rest)s) END
        CROSS JOIN {BREAKDOWN_ROWS}
        CROSS JOIN LATERAL (SELECT ((a * 7919 + %(ordinal)s * 104729 + b.k * 31) %% 3000) AS imp,
                                   ((a * 7919 + %(ordinal)s * 104729 + b.k * 31) %% 3000) * ((a + %(ordinal)s + b.k) %% 5) / 100 AS clk) m
    """  # noqa: S608
    today = now.date()
    began = time.perf_counter()
    with connection.cursor() as cursor:
        for offset in range(days):
            day = today - timedelta(days=offset)
            cursor.execute(
                statement,
                {"day": day, "ads": options.ads, "busy": busy, "rest": rest, "ordinal": day.toordinal() % 997},
            )
            if offset % 10 == 9:
                print(f"    {offset + 1} days, {time.perf_counter() - began:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--ledger", type=int, default=5_000_000)
    parser.add_argument("--generations", type=int, default=1_000_000)
    parser.add_argument("--payments", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--performance", type=int, default=10_000_000, help="ad insight rows")
    parser.add_argument("--ads", type=int, default=11_905, help="ads running every day (7 rows an ad and day)")
    parser.add_argument("--advertisers", type=int, default=2_000)
    parser.add_argument("--busy-ads", type=int, default=200, help="ads of the busy user, whose page is measured")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", action="store_true", help="keep the database (and skip generating next time)")
    parser.add_argument(
        "--rollup-only",
        action="store_true",
        help="only time recompute_day for three whole days (no other days, no dashboards)",
    )
    options = parser.parse_args()

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if urlsplit(url).scheme not in {"postgres", "postgresql"} or "bench" not in database_name(url):
        raise SystemExit("Point DATABASE_URL at a PostgreSQL database with 'bench' in its name.")
    created = ensure_database(url)
    setup_django(url)
    from django.contrib.auth.models import Permission  # these imports need django.setup()
    from django.core.management import call_command
    from django.db import connections

    from accounts.models import User
    from analytics.services import heavy_users, rollups
    from credits.models import CreditTransaction

    call_command("migrate", verbosity=0, interactive=False)
    rng = random.Random(16)
    server = None
    logs = Path(tempfile.mkdtemp(prefix="craftads-bench-analytics-"))
    rows = []
    try:
        if not CreditTransaction.objects.exists():
            began = time.perf_counter()
            print("Generating the data set …", flush=True)
            generate(options, rng)
            print(f"  done in {time.perf_counter() - began:.0f} s", flush=True)
        busy_user = User.objects.get(email="user0@bench.invalid")
        today = datetime.now(UTC).date()
        rollup_times = []
        for day in (today - timedelta(days=1), today - timedelta(days=2), today - timedelta(days=3)):
            began = time.perf_counter()
            rollups.recompute_day(day)
            rollup_times.append(time.perf_counter() - began)
        print(f"Rollup of one day: {', '.join(f'{t:.2f} s' for t in rollup_times)}", flush=True)
        if options.rollup_only:
            slowest = max(rollup_times)
            verdict = "met" if slowest < TARGET_ROLLUP_S else "NOT met"
            print(f"target: one day's rollup under {TARGET_ROLLUP_S:.0f} s: {verdict} (slowest {slowest:.2f} s)")
            return
        print(f"Recomputing the other {options.days - 3} days for the dashboards …", flush=True)
        began = time.perf_counter()
        rollups.recompute_range(today - timedelta(days=options.days), today - timedelta(days=4))
        print(f"  done in {time.perf_counter() - began:.0f} s", flush=True)
        # The hourly task's path: the last 3 days, 28 days of ad rollups, the heavy-user ranking.
        began = time.perf_counter()
        rollups.recompute_recent(today=today, days=3, performance_days=28)
        hourly = time.perf_counter() - began
        began = time.perf_counter()
        heavy_users.rank_heavy_users(today=today)
        ranking = time.perf_counter() - began
        print(f"Hourly task's rollups: {hourly:.1f} s, of which the heavy-user ranking {ranking:.1f} s", flush=True)
        staff, _ = User.objects.get_or_create(email="analyst@bench.invalid", defaults={"is_staff": True})
        staff.user_permissions.add(Permission.objects.get(codename="view_platformday"))
        pages = [
            ("user: all sections, 28 days", "/analytics/?days=28", busy_user),
            ("user: all sections, 90 days", "/analytics/?days=90", busy_user),
            ("staff: revenue, 28 days", "/analytics/staff/revenue/?days=28", staff),
            ("staff: revenue, 90 days", "/analytics/staff/revenue/?days=90", staff),
            ("staff: AI cost, 90 days", "/analytics/staff/ai-cost/?days=90", staff),
            ("staff: usage, 28 days", "/analytics/staff/usage/?days=28", staff),
            ("staff: usage, 90 days", "/analytics/staff/usage/?days=90", staff),
            ("staff: heavy users, 28 days", "/analytics/staff/heavy-users/?days=28", staff),
            ("staff: heavy users, 90 days", "/analytics/staff/heavy-users/?days=90", staff),
        ]
        cookies = {user.pk: session_cookie(str(user.pk)) for _, _, user in pages}
        connections.close_all()
        access_log = logs / "access.log"
        server = start_server(url, options.workers, access_log, logs / "error.log")
        for label, path, user in pages:
            print(f"{label} …", flush=True)
            result = run_combination(
                path, cookies[user.pk], options.clients, options.warmup, options.seconds, access_log
            )
            if result["errors"] or not result["latencies"]:
                raise SystemExit(f"{label}: {len(result['errors'])} failed requests, e.g. {result['errors'][:3]}")
            rows.append((label, result))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        connections.close_all()
        if created and not options.keep:
            drop_database(url)

    print()
    print(
        f"Analytics, {options.users:,} users, {options.ledger:,} ledger entries, {options.generations:,} generations, "
        f"{options.payments:,} payments over {options.days} days; {options.clients} clients, gunicorn with {options.workers} workers"
    )
    print(f"{'dashboard':<30} {'req/s':>7}   {'server ms p50':>13} {'p95':>6} {'p99':>6}")
    worst = 0.0
    for label, result in rows:
        server_times = result["server"]
        worst = max(worst, percentile(server_times, 0.95))
        print(
            f"{label:<30} {result['rps']:>7.0f}   {statistics.median(server_times):>13.1f} "
            f"{percentile(server_times, 0.95):>6.1f} {percentile(server_times, 0.99):>6.1f}"
        )
    print(
        f"target: every dashboard p95 under {TARGET_P95_MS:.0f} ms: {'met' if worst < TARGET_P95_MS else 'NOT met'} (worst {worst:.1f} ms)"
    )
    print(f"hourly task's rollups (3 days, 28 days of ad rollups, heavy users): {hourly:.1f} s")
    slowest = max(rollup_times)
    print(
        f"target: one day's rollup under {TARGET_ROLLUP_S:.0f} s: {'met' if slowest < TARGET_ROLLUP_S else 'NOT met'} (slowest {slowest:.2f} s)"
    )


if __name__ == "__main__":
    main()
