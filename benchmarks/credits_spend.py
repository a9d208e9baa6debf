"""The credit work of one job, per second, through the product's services and by hand in the same run.

    .venv/bin/python benchmarks/credits_spend.py [--clients 8] [--seconds 4] [--warmup 1] [--keep]

What the product does with credits for each job (DESIGN.md section 5: jobs hold, then capture or
release), three workloads:

- generation: `hold_for_operation` at the request (price, tier, limits, the hold), `capture_hold` at
  completion (the usage entry);
- failed generation: the same hold, `release_hold` on failure;
- image operation: an upscale's hold, then its capture.

Each workload runs through the services (`credits.services`, the functions generations/services
call) and then as the same statements written by hand through psycopg: read the price and the
user's plan; BEGIN; lock the account; look the key up; reserve; insert the hold; COMMIT; then find
the hold's account; BEGIN; lock the account and the hold; update the balance; insert the ledger
entry; settle the hold; COMMIT (or, on failure, unreserve and mark the hold released). Each client is its own process with its own connection and its own account.

Needs PostgreSQL. DATABASE_URL (default postgres://postgres@127.0.0.1:5432/craftads_bench) names the
database; it must have "bench" in its name (--any-database to override), is created when missing
(through the `postgres` database) and migrated, and is dropped at the end if this run created it,
unless --keep. The run switches off the per-minute and daily limits of the benchmark database's
prices (a benchmark user runs thousands of jobs a minute); the checks still run.
"""

import argparse
import json
import math
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
TARGET_RATIO = 0.50

# (label, operation, quantity, outcome)
WORKLOADS = [
    ("generation (2 formats): hold, capture", "generate_format", 2, "capture"),
    ("failed generation: hold, release", "generate_format", 2, "release"),
    ("image operation (upscale): hold, capture", "upscale", 1, "capture"),
]

RAW_PRICE = "SELECT base_cost, tier_multipliers, enabled FROM credits_pricingrule WHERE operation = %s"
# The user's plan (its tier prices the job): the live subscription's, else the free plan.
RAW_LIVE_PLAN = """
SELECT p.tier FROM credits_usersubscription s JOIN credits_subscriptionplan p ON p.id = s.plan_id
 WHERE s.account_id = %s AND s.status IN ('active', 'trialing', 'past_due')
 ORDER BY s.current_period_end DESC, s.created_at DESC LIMIT 1
"""
RAW_FREE_PLAN = (
    "SELECT tier FROM credits_subscriptionplan WHERE tier = 'free' AND is_active ORDER BY display_order, price LIMIT 1"
)
RAW_HOLD_BY_KEY = "SELECT id FROM credits_credithold WHERE idempotency_key = %s"
RAW_ACCOUNT_OF_HOLD = "SELECT account_id FROM credits_credithold WHERE id = %s"
RAW_LOCK_ACCOUNT = "SELECT balance, reserved FROM credits_creditaccount WHERE id = %s FOR UPDATE"
RAW_RESERVE = "UPDATE credits_creditaccount SET reserved = reserved + %s, updated_at = now() WHERE id = %s"
RAW_INSERT_HOLD = """
INSERT INTO credits_credithold (
    id, created_at, updated_at, account_id, amount, status, captured_amount, transaction_id, reference_type,
    reference_id, operation, quantity, idempotency_key, description, expires_at, resolved_at
) VALUES (%s, now(), now(), %s, %s, 'held', NULL, NULL, 'benchmark', %s, %s, %s, %s, '', now() + interval '1 hour', NULL)
"""
RAW_LOCK_HOLD = "SELECT amount, status FROM credits_credithold WHERE id = %s FOR UPDATE"
RAW_CHARGE = """
UPDATE credits_creditaccount
   SET balance = balance - %(amount)s, reserved = reserved - %(amount)s,
       lifetime_spent = lifetime_spent + %(amount)s, updated_at = now()
 WHERE id = %(account)s
"""
RAW_INSERT_ENTRY = """
INSERT INTO credits_credittransaction (
    id, created_at, account_id, type, amount, balance_before, balance_after, reference_type, reference_id,
    operation, idempotency_key, request_fingerprint, expires_at, description, metadata, actor_id, actor_label
) VALUES (%s, now(), %s, 'usage', %s, %s, %s, 'benchmark', %s, %s, %s, '', NULL, '', %s, NULL, 'system')
"""
RAW_SETTLE_CAPTURED = """
UPDATE credits_credithold SET status = 'captured', captured_amount = %s, transaction_id = %s, resolved_at = now(),
       updated_at = now() WHERE id = %s
"""
RAW_UNRESERVE = "UPDATE credits_creditaccount SET reserved = reserved - %s, updated_at = now() WHERE id = %s"
RAW_SETTLE_RELEASED = (
    "UPDATE credits_credithold SET status = 'released', resolved_at = now(), updated_at = now() WHERE id = %s"
)


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


def timed_loop(job, warmup: float, seconds: float) -> int:
    """Run jobs until the warm-up is over, then count them for `seconds`."""
    started = time.perf_counter()
    while time.perf_counter() - started < warmup:
        job()
    done = 0
    measuring = time.perf_counter()
    while time.perf_counter() - measuring < seconds:
        job()
        done += 1
    return done


def service_client(url, target, workload, start, warmup, seconds, results) -> None:
    setup_django(url)
    from accounts.models import User  # these imports need django.setup()
    from credits import services as credit_services

    _, operation, quantity, outcome = workload
    user = User.objects.get(pk=target["user_id"])
    serial = iter(range(10**12))

    def job() -> None:
        reference = f"{os.getpid()}-{next(serial)}"
        hold, _quote = credit_services.hold_for_operation(
            user=user,
            operation=operation,
            quantity=quantity,
            reference_type="benchmark",
            reference_id=reference,
            idempotency_key=f"benchmark:{reference}",
        )
        if outcome == "capture":
            credit_services.capture_hold(hold_id=hold.pk)
        else:
            credit_services.release_hold(hold_id=hold.pk)

    job()  # connect before the clock starts
    start.wait()
    results.put(timed_loop(job, warmup, seconds))


def raw_client(url, target, workload, start, warmup, seconds, results) -> None:
    _, operation, quantity, outcome = workload
    account_id = target["account_id"]
    serial = iter(range(10**12))
    with psycopg.connect(url, autocommit=True) as connection:

        def job() -> None:
            reference = f"{os.getpid()}-{next(serial)}"
            base_cost, multipliers, enabled = connection.execute(RAW_PRICE, [operation]).fetchone()
            if not enabled:
                raise SystemExit(f"{operation} is switched off")
            plan = connection.execute(RAW_LIVE_PLAN, [account_id]).fetchone()
            tier = plan[0] if plan else connection.execute(RAW_FREE_PLAN).fetchone()[0]
            amount = math.ceil(base_cost * float(multipliers.get(tier, 1.0))) * quantity
            hold_id = uuid.uuid4()
            key = f"benchmark:{reference}"
            connection.execute("BEGIN")
            balance, reserved = connection.execute(RAW_LOCK_ACCOUNT, [account_id]).fetchone()
            if connection.execute(RAW_HOLD_BY_KEY, [key]).fetchone() is not None:
                raise SystemExit("a key used twice")
            if balance - reserved < amount:
                raise SystemExit("out of credits")
            connection.execute(RAW_RESERVE, [amount, account_id])
            connection.execute(RAW_INSERT_HOLD, [hold_id, account_id, amount, reference, operation, quantity, key])
            connection.execute("COMMIT")
            # Completion knows the hold, not the account: find it, then lock account before hold.
            (account_of_hold,) = connection.execute(RAW_ACCOUNT_OF_HOLD, [hold_id]).fetchone()
            connection.execute("BEGIN")
            balance, reserved = connection.execute(RAW_LOCK_ACCOUNT, [account_of_hold]).fetchone()
            held, status = connection.execute(RAW_LOCK_HOLD, [hold_id]).fetchone()
            if status != "held":
                raise SystemExit("hold resolved twice")
            if outcome == "capture":
                entry_id = uuid.uuid4()
                connection.execute(RAW_CHARGE, {"amount": held, "account": account_id})
                connection.execute(
                    RAW_INSERT_ENTRY,
                    [
                        entry_id,
                        account_id,
                        -held,
                        balance,
                        balance - held,
                        reference,
                        operation,
                        f"hold-capture:{hold_id}",
                        json.dumps({"hold_id": str(hold_id), "held": held}),
                    ],
                )
                connection.execute(RAW_SETTLE_CAPTURED, [held, entry_id, hold_id])
            else:
                connection.execute(RAW_UNRESERVE, [held, account_id])
                connection.execute(RAW_SETTLE_RELEASED, [hold_id])
            connection.execute("COMMIT")

        job()
        start.wait()
        results.put(timed_loop(job, warmup, seconds))


def run_round(url, client, targets, workload, *, warmup, seconds) -> float:
    """Start one process per target, release them together, and return jobs per second."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(targets))
    results = context.Queue()
    processes = [
        context.Process(target=client, args=(url, target, workload, start, warmup, seconds, results))
        for target in targets
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120 + warmup + seconds) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        if process.exitcode != 0:
            raise SystemExit(f"a {client.__name__} process failed (exit code {process.exitcode})")
    return sum(outcomes) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=4.0, help="measured time per round")
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
    from credits.constants import HoldStatus, TransactionType
    from credits.models import CreditHold, PricingRule
    from credits.services import grant_credits, reconcile

    call_command("migrate", verbosity=0, interactive=False)
    PricingRule.objects.update(rate_limit_per_minute=None, daily_limit=None)
    run = uuid.uuid4().hex[:8]

    def funded_targets(count: int, label: str) -> list[dict]:
        targets = []
        for number in range(count):
            user = User.objects.create_user(email=f"bench-{run}-{label}-{number}@example.invalid")
            grant_credits(
                user=user,
                amount=CREDITS_PER_ACCOUNT,
                type=TransactionType.ADMIN_ADJUSTMENT,
                idempotency_key=f"benchmark:{run}:{user.pk}",
                description="Benchmark credits",
            )
            targets.append({"user_id": user.pk, "account_id": user.credit_account.pk})
        return targets

    rows = []
    try:
        for index, workload in enumerate(WORKLOADS):
            label = workload[0]
            service_targets = funded_targets(options.clients, f"{index}s")
            raw_targets = funded_targets(options.clients, f"{index}r")
            connections.close_all()
            print(f"{label}: services …", flush=True)
            service = run_round(
                url, service_client, service_targets, workload, warmup=options.warmup, seconds=options.seconds
            )
            print(f"{label}: by hand …", flush=True)
            raw = run_round(url, raw_client, raw_targets, workload, warmup=options.warmup, seconds=options.seconds)
            rows.append((label, service, raw))

        problems = reconcile.find_discrepancies()
        open_holds = CreditHold.objects.filter(status=HoldStatus.HELD).count()
        if problems or open_holds:
            raise SystemExit(f"The run is not valid: {open_holds} holds left open, discrepancies: {problems}")
    finally:
        connections.close_all()
        if created and not options.keep:
            drop_database(url)

    print()
    print(f"credit work per job, {options.clients} processes, {options.seconds:g} s after {options.warmup:g} s warm-up")
    print(f"{'workload':<44} {'services jobs/s':>16} {'by hand jobs/s':>15} {'services/hand':>14}")
    for label, service, raw in rows:
        print(f"{label:<44} {service:>16.0f} {raw:>15.0f} {service / raw:>13.0%}")
    worst = min(service / raw for _, service, raw in rows)
    verdict = "met" if worst >= TARGET_RATIO else "NOT met"
    print(f"target: services at least {TARGET_RATIO:.0%} of the same statements by hand, every workload: {verdict}")
    print("every balance reconciles with its ledger and no hold is left open after the run")


if __name__ == "__main__":
    main()
