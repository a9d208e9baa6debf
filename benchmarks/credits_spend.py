"""The credit work of one job, per second, through the product's services and by hand in the same run.

    .venv/bin/python benchmarks/credits_spend.py [--clients 8] [--seconds 4] [--warmup 1] [--keep] [--server-binding]

What the product does with credits for each job (DESIGN.md section 5: jobs hold, then capture or
release), three workloads:

- generation: `hold_for_operation` at the request (price, tier, limits, the hold), `capture_hold` at
  completion (the usage entry);
- failed generation: the same hold, `release_hold` on failure;
- image operation: an upscale's hold, then its capture.

Each workload runs through the services (`credits.services`, the functions generations/services
call) and then as the same statements sent by hand through psycopg: read the price and the user's
tier (one SELECT); hold (one statement: lock the account, check, insert the hold, reserve); capture
(one statement: lock account then hold, charge, insert the ledger entry, settle) or release (one
statement). The hand-written side sends the product's own statement texts with the same parameters,
bound on the client as Django binds them; --server-binding binds them on the server instead
(psycopg's default, which also prepares a statement after its fifth run on a connection: Django
turns preparing off by default, for connection poolers). Each client is its own process with its
own connection and its own account; every account's first paid action of the day (which grants the
day's free credits through the general path) is taken before the clock starts, on both sides.

Needs PostgreSQL. DATABASE_URL (default postgres://postgres@127.0.0.1:5432/craftads_bench) names the
database; it must have "bench" in its name (--any-database to override), is created when missing
(through the `postgres` database) and migrated, and is dropped at the end if this run created it,
unless --keep. The run switches off the per-minute and daily limits of the benchmark database's
prices (a benchmark user runs thousands of jobs a minute); the checks still run.
"""

import argparse
import math
import multiprocessing
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import django
import psycopg
from bench_db import database_name, drop_database, ensure_database

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


# The hand-written side sends the product's own statement texts (credits/services/pricing.py and
# hold_statements.py, read once in the parent after django.setup() and handed to each client), so
# both sides send the same statements, the same number of them, with the same parameters: what
# differs is the Python around them (the services, Django's cursor, building the rows returned).


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


def raw_client(url, target, workload, start, warmup, seconds, results, statements) -> None:
    _, operation, quantity, outcome = workload
    user_id = target["user_id"]
    tiers = statements["tiers"]
    serial = iter(range(10**12))
    # Django sends its parameters bound on the client (psycopg's ClientCursor); so does this side,
    # unless --server-binding (psycopg's default: bound on the server, prepared after 5 runs).
    cursor_factory = psycopg.Cursor if statements["server_binding"] else psycopg.ClientCursor
    with psycopg.connect(url, autocommit=True, cursor_factory=cursor_factory) as connection:

        def job() -> None:
            reference = f"{os.getpid()}-{next(serial)}"
            row = connection.execute(statements["price"], [user_id, *statements["live"], operation]).fetchone()
            _name, base_cost, multipliers, _daily, per_minute, minimum_tier, enabled, tier = row
            tier = tier or "free"
            if not enabled or tiers.index(tier) < tiers.index(minimum_tier) or per_minute or _daily is not None:
                raise SystemExit(f"{operation} is switched off, above the plan or limited")
            amount = math.ceil(base_cost * float(multipliers.get(tier, 1.0))) * quantity
            now = datetime.now(UTC)
            held = connection.execute(
                statements["hold"],
                {
                    "id": uuid.uuid4(),
                    "now": now,
                    "user_id": user_id,
                    "amount": amount,
                    "reference_type": "benchmark",
                    "reference_id": reference,
                    "operation": operation,
                    "quantity": quantity,
                    "key": f"benchmark:{reference}",
                    "description": f"{operation} × {quantity}",
                    "expires_at": now + timedelta(hours=2),
                    "today": statements["today"],
                },
            ).fetchone()
            if held is None:
                raise SystemExit("the hold was refused")
            hold_id = held[1]
            if outcome == "capture":
                parameters = {"hold_id": hold_id, "amount": None, "description": "", "now": datetime.now(UTC)}
                settled = connection.execute(statements["capture"], {**parameters, "entry_id": uuid.uuid4()}).fetchone()
            else:
                settled = connection.execute(
                    statements["release"], {"hold_id": hold_id, "now": datetime.now(UTC)}
                ).fetchone()
            if settled is None:
                raise SystemExit("the hold was not settled")

        job()
        start.wait()
        results.put(timed_loop(job, warmup, seconds))


def run_round(url, client, targets, workload, *, warmup, seconds, extra=()) -> float:
    """Start one process per target, release them together, and return jobs per second."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(targets))
    results = context.Queue()
    processes = [
        context.Process(target=client, args=(url, target, workload, start, warmup, seconds, results, *extra))
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
    parser.add_argument(
        "--server-binding",
        action="store_true",
        help="bind the hand-written side's parameters on the server (psycopg's default, prepared after 5 runs) "
        "instead of on the client as Django sends them",
    )
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
    from django.conf import settings  # these imports need django.setup()
    from django.core.management import call_command
    from django.db import connections
    from django.utils import timezone

    from accounts.models import User
    from credits.constants import TIER_ORDER, HoldStatus, TransactionType
    from credits.models import CreditHold, PricingRule
    from credits.services import grant_credits, hold_for_operation, hold_statements, pricing, reconcile, release_hold

    call_command("migrate", verbosity=0, interactive=False)
    PricingRule.objects.update(rate_limit_per_minute=None, daily_limit=None)
    run = uuid.uuid4().hex[:8]
    daily = bool(settings.CREDITS_DAILY_ALLOWANCE)
    statements = {
        "price": pricing.PRICE_AND_TIER_SQL,
        "live": pricing.LIVE_STATUSES,
        "tiers": [tier.value for tier in TIER_ORDER],
        "hold": hold_statements.hold_sql(daily_allowance=daily),
        "capture": hold_statements.capture_sql(partial=False),
        "release": hold_statements.release_sql(),
        "today": timezone.localdate() if daily else None,
        "server_binding": options.server_binding,
    }

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
            # The day's first paid action grants the day's free credits (the general path), on both sides.
            first, _ = hold_for_operation(
                user=user, operation="upscale", quantity=1, reference_type="benchmark", reference_id=f"{run}-first"
            )
            release_hold(hold_id=first.pk)
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
            raw = run_round(
                url,
                raw_client,
                raw_targets,
                workload,
                warmup=options.warmup,
                seconds=options.seconds,
                extra=(statements,),
            )
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
    binding = "server-side (psycopg's default)" if options.server_binding else "client-side, as Django sends them"
    print(f"credit work per job, {options.clients} processes, {options.seconds:g} s after {options.warmup:g} s warm-up")
    print(f"hand-written side: the product's statement texts, parameters bound {binding}")
    print(f"{'workload':<44} {'services jobs/s':>16} {'by hand jobs/s':>15} {'services/hand':>14}")
    for label, service, raw in rows:
        print(f"{label:<44} {service:>16.0f} {raw:>15.0f} {service / raw:>13.0%}")
    worst = min(service / raw for _, service, raw in rows)
    verdict = "met" if worst >= TARGET_RATIO else "NOT met"
    print(f"target: services at least {TARGET_RATIO:.0%} of the same statements by hand, every workload: {verdict}")
    print("every balance reconciles with its ledger and no hold is left open after the run")


if __name__ == "__main__":
    main()
