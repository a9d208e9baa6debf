"""Analytics at the scale of a busy platform: dashboards' server time under 10 clients, one day's rollup.

    .venv/bin/python benchmarks/analytics.py [--users 100000] [--ledger 5000000] [--generations 1000000]
                                             [--payments 200000] [--days 120] [--clients 10] [--seconds 5]
                                             [--keep]

Fills a dedicated PostgreSQL database (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/craftads_bench_analytics; it must have "bench" in its name) with
`--users` users (time zones spread over the world), `--ledger` ledger entries, `--generations`
generations, `--payments` payments and provider calls over the last `--days` days, written with
COPY (a data generator, not the product's write path). Then it times the product's own rollup of
one whole day (`recompute_day`, what the hourly task runs per day), recomputes every day so the
dashboards have data, serves the app with gunicorn on production settings and sends each dashboard
(the user's page with a 90-day range, the staff reports with 28 and 90 days) from `--clients`
threads for `--seconds` each. Server time per request comes from gunicorn's access log.

Targets (issue 16): every dashboard p95 under 150 ms, the rollup of one day under 10 s.
Ad performance rows (10 million in the issue) are not generated: the sync that stores them has not
landed, and the dashboards do not read them yet.
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
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return str(user_ids[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--ledger", type=int, default=5_000_000)
    parser.add_argument("--generations", type=int, default=1_000_000)
    parser.add_argument("--payments", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", action="store_true", help="keep the database (and skip generating next time)")
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
    from analytics.services import rollups
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
        busy_user = User.objects.filter(email__endswith="@bench.invalid").order_by("email").first()
        today = datetime.now(UTC).date()
        rollup_times = []
        for day in (today - timedelta(days=1), today - timedelta(days=2), today - timedelta(days=3)):
            began = time.perf_counter()
            rollups.recompute_day(day)
            rollup_times.append(time.perf_counter() - began)
        print(f"Rollup of one day: {', '.join(f'{t:.2f} s' for t in rollup_times)}", flush=True)
        print(f"Recomputing the other {options.days - 3} days for the dashboards …", flush=True)
        rollups.recompute_range(today - timedelta(days=options.days), today - timedelta(days=4))
        rollups.recompute_day(today)
        staff, _ = User.objects.get_or_create(email="analyst@bench.invalid", defaults={"is_staff": True})
        staff.user_permissions.add(Permission.objects.get(codename="view_platformday"))
        pages = [
            ("user: credits, 90 days", "/analytics/?days=90", busy_user),
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
    slowest = max(rollup_times)
    print(
        f"target: one day's rollup under {TARGET_ROLLUP_S:.0f} s: {'met' if slowest < TARGET_ROLLUP_S else 'NOT met'} (slowest {slowest:.2f} s)"
    )


if __name__ == "__main__":
    main()
