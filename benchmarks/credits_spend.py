"""Spends per second through credits.services.spend_credits, beside the same transaction in raw SQL.

    .venv/bin/python benchmarks/credits_spend.py [--clients 8] [--seconds 5] [--warmup 1] [--keep]

Each client is its own process with its own database connection and spends 1 credit at a time,
for `--seconds` after `--warmup`. Two variants: every client on its own account, then all clients on
two shared accounts (they queue on the row locks). In each, the service is measured first, then the
same transaction written by hand through psycopg: BEGIN; SELECT ... FOR UPDATE; UPDATE the balance;
INSERT the ledger row; COMMIT (the issue's reference and target). Last, for comparison, the form the
service uses on PostgreSQL written by hand: BEGIN; one UPDATE ... RETURNING feeding the INSERT; COMMIT.

Needs PostgreSQL. DATABASE_URL (default postgres://postgres@127.0.0.1:5432/craftads_bench) names the
database; it must have "bench" in its name (--any-database to override), is created when missing
(through the `postgres` database) and migrated, and is dropped at the end if this run created it,
unless --keep.
"""

import argparse
import multiprocessing
import os
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import django
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/craftads_bench"
CREDITS_PER_ACCOUNT = 50_000_000  # far more than any client spends in a run
TARGET_RATIO = 0.40

RAW_LOCK = "SELECT balance, reserved, lifetime_spent FROM credits_creditaccount WHERE id = %s FOR UPDATE"
RAW_UPDATE = "UPDATE credits_creditaccount SET balance = %s, lifetime_spent = %s, updated_at = now() WHERE id = %s"
RAW_INSERT = """
INSERT INTO credits_credittransaction (
    id, created_at, account_id, type, amount, balance_before, balance_after, reference_type, reference_id,
    operation, idempotency_key, request_fingerprint, expires_at, description, metadata, actor_id, actor_label
) VALUES (%s, now(), %s, 'usage', -1, %s, %s, 'benchmark', %s, '', NULL, '', NULL, '', '{}', NULL, 'system')
"""
# The service's own form, written by hand: the UPDATE takes the row lock and checks what is
# available; the INSERT writes the entry from the balance it returns.
RAW_ONE_STATEMENT = """
WITH debited AS (
    UPDATE credits_creditaccount SET balance = balance - 1, lifetime_spent = lifetime_spent + 1, updated_at = now()
    WHERE id = %s AND balance - reserved >= 1
    RETURNING id, balance
)
INSERT INTO credits_credittransaction (
    id, created_at, account_id, type, amount, balance_before, balance_after, reference_type, reference_id,
    operation, idempotency_key, request_fingerprint, expires_at, description, metadata, actor_id, actor_label
) SELECT %s, now(), id, 'usage', -1, balance + 1, balance, 'benchmark', %s, '', NULL, '', NULL, '', '{}', NULL, 'system'
FROM debited
"""


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def ensure_database(url: str) -> bool:
    """Create the database when missing; True when this call created it."""
    admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    name = database_name(url)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def drop_database(url: str) -> None:
    admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database_name(url))))


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "craftplatform.settings.local"
    # DEBUG keeps every query in memory: a cost production does not pay.
    os.environ["DJANGO_DEBUG"] = "false"
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    django.setup()


def timed_loop(spend, warmup: float, seconds: float) -> tuple[int, int]:
    """Spend until the warm-up is over, then count spends for `seconds`. Returns (spends, refusals)."""
    started = time.perf_counter()
    while time.perf_counter() - started < warmup:
        spend()
    done = refused = 0
    measuring = time.perf_counter()
    while time.perf_counter() - measuring < seconds:
        if spend():
            done += 1
        else:
            refused += 1
    return done, refused


def service_client(url, user_id, start, warmup, seconds, results) -> None:
    setup_django(url)
    from accounts.models import User  # these imports need django.setup()
    from credits.errors import InsufficientCredits
    from credits.services import spend_credits

    user = User.objects.get(pk=user_id)
    serial = iter(range(10**12))

    def spend() -> bool:
        try:
            spend_credits(user=user, amount=1, reference_type="benchmark", reference_id=str(next(serial)))
        except InsufficientCredits:
            return False
        return True

    spend()  # connect before the clock starts
    start.wait()
    results.put(timed_loop(spend, warmup, seconds))


def raw_client(url, account_id, start, warmup, seconds, results) -> None:
    serial = iter(range(10**12))
    with psycopg.connect(url, autocommit=True) as connection:

        def spend() -> bool:
            connection.execute("BEGIN")
            balance, reserved, spent = connection.execute(RAW_LOCK, [account_id]).fetchone()
            if balance - reserved < 1:
                connection.execute("ROLLBACK")
                return False
            connection.execute(RAW_UPDATE, [balance - 1, spent + 1, account_id])
            connection.execute(RAW_INSERT, [uuid.uuid4(), account_id, balance, balance - 1, str(next(serial))])
            connection.execute("COMMIT")
            return True

        spend()
        start.wait()
        results.put(timed_loop(spend, warmup, seconds))


def raw_one_statement_client(url, account_id, start, warmup, seconds, results) -> None:
    serial = iter(range(10**12))
    with psycopg.connect(url, autocommit=True) as connection:

        def spend() -> bool:
            connection.execute("BEGIN")
            if connection.execute(RAW_ONE_STATEMENT, [account_id, uuid.uuid4(), str(next(serial))]).rowcount != 1:
                connection.execute("ROLLBACK")
                return False
            connection.execute("COMMIT")
            return True

        spend()
        start.wait()
        results.put(timed_loop(spend, warmup, seconds))


def run_round(url, client, targets, *, warmup, seconds) -> tuple[float, int]:
    """Start one process per target, release them together, and return (spends per second, refusals)."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(targets))
    results = context.Queue()
    processes = [
        context.Process(target=client, args=(url, target, start, warmup, seconds, results)) for target in targets
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120 + warmup + seconds) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        if process.exitcode != 0:
            raise SystemExit(f"a {client.__name__} process failed (exit code {process.exitcode})")
    return sum(done for done, _ in outcomes) / seconds, sum(refused for _, refused in outcomes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured time per round")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured time before it")
    parser.add_argument("--keep", action="store_true", help="keep a database this run created")
    parser.add_argument("--any-database", action="store_true", help="allow a database without 'bench' in its name")
    options = parser.parse_args()

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if urlsplit(url).scheme not in {"postgres", "postgresql"}:
        raise SystemExit(f"This benchmark needs PostgreSQL; DATABASE_URL is {urlsplit(url).scheme}://…")
    if "bench" not in database_name(url) and not options.any_database:
        raise SystemExit(
            f"Refusing to write benchmark users and ledger rows into {database_name(url)!r}: point DATABASE_URL at "
            "a database with 'bench' in its name (the default is craftads_bench), or pass --any-database."
        )
    created = ensure_database(url)
    setup_django(url)
    from django.core.management import call_command  # these imports need django.setup()
    from django.db import connections

    from accounts.models import User
    from credits.constants import TransactionType
    from credits.services import grant_credits, reconcile

    call_command("migrate", verbosity=0, interactive=False)
    run = uuid.uuid4().hex[:8]

    def funded_users(count: int) -> list:
        users = []
        for number in range(count):
            user = User.objects.create_user(email=f"bench-{run}-{count}-{number}@example.invalid")
            grant_credits(
                user=user,
                amount=CREDITS_PER_ACCOUNT,
                type=TransactionType.ADMIN_ADJUSTMENT,
                idempotency_key=f"benchmark:{run}:{user.pk}",
                description="Benchmark credits",
            )
            users.append(user)
        return users

    variants = [
        (f"{options.clients} clients, own account each", options.clients),
        (f"{options.clients} clients, 2 shared accounts", 2),
    ]
    rows = []
    refused = 0
    try:
        for label, account_count in variants:
            users = funded_users(account_count)
            user_ids = [users[client % account_count].pk for client in range(options.clients)]
            account_ids = [users[client % account_count].credit_account.pk for client in range(options.clients)]
            connections.close_all()
            print(f"{label}: service …", flush=True)
            service, service_refused = run_round(
                url, service_client, user_ids, warmup=options.warmup, seconds=options.seconds
            )
            print(f"{label}: raw SQL …", flush=True)
            raw, raw_refused = run_round(url, raw_client, account_ids, warmup=options.warmup, seconds=options.seconds)
            print(f"{label}: raw SQL, one statement …", flush=True)
            one, one_refused = run_round(
                url, raw_one_statement_client, account_ids, warmup=options.warmup, seconds=options.seconds
            )
            refused += service_refused + raw_refused + one_refused
            rows.append((label, service, raw, one))

        problems = reconcile.find_discrepancies()
        if problems or refused:
            raise SystemExit(f"The run is not valid: {refused} spends refused, discrepancies: {problems}")
    finally:
        connections.close_all()
        if created and not options.keep:
            drop_database(url)

    print()
    print(
        f"credits.spend_credits, {options.clients} processes, {options.seconds:g} s after {options.warmup:g} s warm-up"
    )
    print(
        f"{'variant':<34} {'service ops/s':>14} {'raw SQL ops/s':>14} {'service/raw':>12}"
        f" {'raw 1 statement':>16} {'service/that':>13}"
    )
    for label, service, raw, one in rows:
        print(f"{label:<34} {service:>14.0f} {raw:>14.0f} {service / raw:>11.0%} {one:>16.0f} {service / one:>12.0%}")
    worst = min(service / raw for _, service, raw, _ in rows)
    verdict = "met" if worst >= TARGET_RATIO else "NOT met"
    print(f"target: service at least {TARGET_RATIO:.0%} of raw SQL in every variant: {verdict}")
    print("every balance reconciles with its ledger after the run")


if __name__ == "__main__":
    main()
