"""Many clients at once on a few accounts: the ledger stays exact and no balance ever goes below zero.

The concurrency tests need PostgreSQL: SQLite lets one writer in at a time, so it proves nothing
about row locks. They commit for real (transactional_db), from one connection per thread.
"""

import random
import threading
import time
import traceback
from collections import Counter, defaultdict

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from credits import services as credit_services
from credits.constants import HoldStatus, TransactionType
from credits.errors import IdempotencyConflict, InsufficientCredits
from credits.models import CreditAccount, CreditHold, CreditTransaction
from credits.services import reconcile
from tests.factories import UserFactory

SEED = 20261124
THREADS = 16
TOTAL_OPERATIONS = 2_000
ACCOUNTS = 10
STARTING_GRANT = 200
# Every thread grants each of these keys once (key 0 as its very first call, all threads at the
# same instant); each key must grant exactly once in all.
REPEATED_KEYS = 6
OPERATION_WEIGHTS = {
    "spend": 5,
    "hold": 5,
    "capture_full": 2,
    "capture_partial": 2,
    "release": 2,
    "grant": 2,
    "gift": 4,
}


def repeated_key(number: int) -> str:
    return f"concurrency-repeat:{number}"


def repeated_grant(number: int) -> tuple[int, int]:
    """(account index, amount) of a repeated key: always the same request."""
    return number % ACCOUNTS, 5 + number


class Run:
    """What the threads did, as each saw it. All writes go through `lock`."""

    def __init__(self, users):
        self.users = users
        self.account_pks = [user.credit_account.pk for user in users]
        self.lock = threading.Lock()
        self.delta = defaultdict(int)  # account index -> net change from spends, grants and gifts that succeeded
        self.granted = 0
        self.spent = 0
        self.holds_made = 0
        self.open_holds: list[tuple] = []  # (hold id, account index, amount)
        self.resolved_holds: list[tuple] = []
        self.hold_attempts = defaultdict(list)  # hold id -> [("capture", amount) | ("release", None)]
        self.repeated_results = defaultdict(set)  # key number -> ids of the entries the calls returned
        self.repeated_callers = defaultdict(set)  # key number -> thread indexes
        self.gift_orders: set[bool] = set()  # True: the sender's account sorts before the recipient's
        self.outcomes = Counter()
        self.errors: list[str] = []
        self.violations: list[str] = []
        self.monitor_reads = 0

    def count(self, outcome: str) -> None:
        with self.lock:
            self.outcomes[outcome] += 1

    def error(self, where: str) -> None:
        with self.lock:
            self.errors.append(f"{where}:\n{traceback.format_exc()}")


# --- one function per kind of operation; each raises InsufficientCredits when the rules refuse ---


def do_spend(run: Run, rng: random.Random, thread: int, serial: int) -> None:
    index, amount = rng.randrange(ACCOUNTS), rng.randint(1, 8)
    credit_services.spend_credits(
        user=run.users[index], amount=amount, reference_type="concurrency", reference_id=f"{thread}-{serial}"
    )
    with run.lock:
        run.delta[index] -= amount
        run.spent += amount


def do_hold(run: Run, rng: random.Random, thread: int, serial: int) -> None:
    index, amount = rng.randrange(ACCOUNTS), rng.randint(1, 12)
    hold = credit_services.hold_credits(
        user=run.users[index], amount=amount, reference_type="concurrency", reference_id=f"{thread}-{serial}"
    )
    with run.lock:
        run.holds_made += 1
        run.open_holds.append((hold.pk, index, amount))


def pick_hold(run: Run, rng: random.Random) -> tuple | None:
    """Mostly an open hold (other threads may be settling it right now), sometimes one already settled."""
    with run.lock:
        if run.open_holds and (not run.resolved_holds or rng.random() < 0.85):
            return rng.choice(run.open_holds)
        if run.resolved_holds:
            return rng.choice(run.resolved_holds)
    return None


def settle(run: Run, rng: random.Random, thread: int, serial: int, *, capture: bool, partial: bool) -> None:
    picked = pick_hold(run, rng)
    if picked is None:
        do_hold(run, rng, thread, serial)
        return
    hold_id, _index, amount = picked
    if capture:
        taken = rng.randint(0, amount - 1) if partial else amount
        with run.lock:
            run.hold_attempts[hold_id].append(("capture", taken))
        hold = credit_services.capture_hold(hold_id=hold_id, amount=taken if partial else None)
    else:
        with run.lock:
            run.hold_attempts[hold_id].append(("release", None))
        hold = credit_services.release_hold(hold_id=hold_id)
    if hold.status == HoldStatus.HELD:
        with run.lock:
            run.errors.append(f"hold {hold_id} still held after a capture or release returned")
    with run.lock:
        if picked in run.open_holds:
            run.open_holds.remove(picked)
            run.resolved_holds.append(picked)


def do_capture_full(run: Run, rng: random.Random, thread: int, serial: int) -> None:
    settle(run, rng, thread, serial, capture=True, partial=False)


def do_capture_partial(run: Run, rng: random.Random, thread: int, serial: int) -> None:
    settle(run, rng, thread, serial, capture=True, partial=True)


def do_release(run: Run, rng: random.Random, thread: int, serial: int) -> None:
    settle(run, rng, thread, serial, capture=False, partial=False)


def do_grant(run: Run, rng: random.Random, thread: int, serial: int) -> None:
    index, amount = rng.randrange(ACCOUNTS), rng.randint(1, 10)
    credit_services.grant_credits(
        user=run.users[index],
        amount=amount,
        type=TransactionType.PROMOTION,
        idempotency_key=f"concurrency-grant:{thread}:{serial}",
    )
    with run.lock:
        run.delta[index] += amount
        run.granted += amount


def do_repeated_grant(run: Run, number: int, thread: int) -> None:
    index, amount = repeated_grant(number)
    entry = credit_services.grant_credits(
        user=run.users[index], amount=amount, type=TransactionType.PROMOTION, idempotency_key=repeated_key(number)
    )
    with run.lock:
        run.repeated_results[number].add(entry.pk)
        run.repeated_callers[number].add(thread)


def do_gift(run: Run, rng: random.Random, thread: int, serial: int) -> None:
    sender, recipient = rng.sample(range(ACCOUNTS), 2)
    amount = rng.randint(1, 15)
    with run.lock:
        run.gift_orders.add(run.account_pks[sender] < run.account_pks[recipient])
    credit_services.gift_credits(
        sender=run.users[sender],
        recipient=run.users[recipient],
        amount=amount,
        idempotency_key=f"concurrency-gift:{thread}:{serial}",
    )
    with run.lock:
        run.delta[sender] -= amount
        run.delta[recipient] += amount


OPERATIONS = {
    "spend": do_spend,
    "hold": do_hold,
    "capture_full": do_capture_full,
    "capture_partial": do_capture_partial,
    "release": do_release,
    "grant": do_grant,
    "gift": do_gift,
}


def plan(rng: random.Random) -> list[list]:
    """Each thread's operations: 2,000 in all, repeated-key grants included."""
    per_thread = TOTAL_OPERATIONS // THREADS
    names, weights = zip(*OPERATION_WEIGHTS.items(), strict=True)
    plans = []
    for _ in range(THREADS):
        operations: list = rng.choices(names, weights=weights, k=per_thread - REPEATED_KEYS)
        for number in range(1, REPEATED_KEYS):
            operations.insert(rng.randrange(len(operations) + 1), ("repeat", number))
        plans.append([("repeat", 0), *operations])
    assert sum(len(operations) for operations in plans) == TOTAL_OPERATIONS
    return plans


def worker(run: Run, thread: int, operations: list, start: threading.Barrier) -> None:
    rng = random.Random(SEED + thread)  # noqa: S311 - a repeatable mix of operations, not a secret
    try:
        start.wait()
        for serial, operation in enumerate(operations):
            name = operation[0] if isinstance(operation, tuple) else operation
            try:
                if name == "repeat":
                    do_repeated_grant(run, operation[1], thread)
                else:
                    OPERATIONS[name](run, rng, thread, serial)
                run.count(f"{name}: done")
            except InsufficientCredits:
                run.count(f"{name}: insufficient credits")
            except Exception:  # noqa: BLE001 - deadlocks, IntegrityError, anything else fails the test
                run.error(f"thread {thread}, operation {serial} ({name})")
    except Exception:  # noqa: BLE001 - reported, and fails the test
        run.error(f"thread {thread}")
    finally:
        connection.close()


def monitor(run: Run, account_ids: list, stop: threading.Event) -> None:
    """Reads while the threads write: no balance below zero, and each snapshot reconciles."""
    try:
        while not stop.is_set():
            rows = CreditAccount.objects.filter(pk__in=account_ids).values_list("pk", "balance", "reserved")
            for pk, balance, reserved in rows:
                if balance < 0 or reserved < 0 or reserved > balance:
                    run.violations.append(f"account {pk}: balance {balance}, reserved {reserved}")
            # One SQL statement, one snapshot: a balance and its ledger are committed together or not at all.
            run.violations.extend(str(problem) for problem in reconcile.find_discrepancies())
            run.monitor_reads += 1
            time.sleep(0.005)
    except Exception:  # noqa: BLE001 - reported, and fails the test
        run.error("monitor")
    finally:
        connection.close()


@pytest.fixture
def committed_db(transactional_db):
    """Real commits, visible to every thread's own connection (tests/conftest.py puts the seeded rows back)."""


@pytest.mark.postgres
def test_concurrent_operations_keep_the_ledger_exact(committed_db):
    bonus = settings.CREDITS_SIGNUP_BONUS
    users = [UserFactory() for _ in range(ACCOUNTS)]
    for user in users:
        credit_services.grant_credits(
            user=user, amount=STARTING_GRANT, type=TransactionType.PROMOTION, idempotency_key=f"start:{user.pk}"
        )
        user.credit_account.refresh_from_db()
    run = Run(users)
    account_ids = run.account_pks
    # One hold per account that no thread settles: some credits are still reserved at the end.
    for user in users:
        credit_services.hold_credits(user=user, amount=3, reference_type="concurrency", reference_id="kept")
    run.holds_made += ACCOUNTS

    start = threading.Barrier(THREADS)
    stop = threading.Event()
    threads = [
        threading.Thread(target=worker, args=(run, number, operations, start), daemon=True)
        for number, operations in enumerate(plan(random.Random(SEED)))  # noqa: S311
    ]
    watcher = threading.Thread(target=monitor, args=(run, account_ids, stop), daemon=True)
    watcher.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    stop.set()
    watcher.join(timeout=30)

    assert not any(thread.is_alive() for thread in [*threads, watcher]), "a thread is stuck"
    assert run.errors == [], "\n".join(run.errors[:5])
    assert run.violations == []
    assert run.monitor_reads > 0
    # The mix really happened: every kind of operation succeeded, gifts went both ways round the lock order.
    for name in [*OPERATIONS, "repeat"]:
        assert run.outcomes[f"{name}: done"] > 0, run.outcomes
    assert run.gift_orders == {True, False}

    # Every account agrees with its ledger and its open holds.
    assert reconcile.find_discrepancies() == []
    accounts = {account.user_id: account for account in CreditAccount.objects.filter(pk__in=account_ids)}
    for account in accounts.values():
        assert account.balance >= 0
        assert 0 <= account.reserved <= account.balance
        ledger = CreditTransaction.objects.filter(account=account).aggregate(total=Sum("amount"))["total"]
        assert account.balance == ledger
        held = CreditHold.objects.filter(account=account, status=HoldStatus.HELD).aggregate(total=Sum("amount"))
        assert account.reserved == (held["total"] or 0)

    # A repeated key granted once, and every call with it got that one entry back.
    for number in range(REPEATED_KEYS):
        entries = list(CreditTransaction.objects.filter(idempotency_key=repeated_key(number)))
        assert len(entries) == 1
        assert run.repeated_results[number] == {entries[0].pk}
        assert run.repeated_callers[number] == set(range(THREADS))

    # Each hold resolved once, the way one of the calls asked; a capture wrote one usage entry of its amount.
    holds = list(CreditHold.objects.filter(account_id__in=account_ids).select_related("transaction"))
    assert len(holds) == run.holds_made
    captured = defaultdict(int)
    for hold in holds:
        attempts = run.hold_attempts[hold.pk]
        if hold.status == HoldStatus.HELD:
            assert attempts == []
            assert (hold.captured_amount, hold.transaction, hold.resolved_at) == (None, None, None)
        elif hold.status == HoldStatus.RELEASED:
            assert ("release", None) in attempts
            assert (hold.captured_amount, hold.transaction) == (None, None)
        else:
            assert ("capture", hold.captured_amount) in attempts
            captured[hold.account_id] += hold.captured_amount
            if hold.captured_amount:
                assert hold.transaction.amount == -hold.captured_amount
                assert hold.transaction.type == TransactionType.USAGE
                assert CreditTransaction.objects.filter(idempotency_key=f"hold-capture:{hold.pk}").count() == 1
            else:
                assert hold.transaction is None
    assert {hold.captured_amount < hold.amount for hold in holds if hold.status == HoldStatus.CAPTURED} == {
        True,
        False,
    }
    assert {hold.status for hold in holds} == set(HoldStatus.values)

    # Conservation, account by account and in total; gifts net to zero.
    repeated_total = 0
    for number in range(REPEATED_KEYS):
        index, amount = repeated_grant(number)
        run.delta[index] += amount
        repeated_total += amount
    for index, user in enumerate(users):
        account = accounts[user.pk]
        expected = bonus + STARTING_GRANT + run.delta[index] - captured[account.pk]
        assert account.balance == expected, f"account {index}"
    total_granted = ACCOUNTS * (bonus + STARTING_GRANT) + run.granted + repeated_total
    total_charged = run.spent + sum(captured.values())
    assert sum(account.balance for account in accounts.values()) == total_granted - total_charged
    gifts = CreditTransaction.objects.filter(type__in=[TransactionType.GIFT_SENT, TransactionType.GIFT_RECEIVED])
    assert gifts.aggregate(total=Sum("amount"))["total"] == 0
    usage = CreditTransaction.objects.filter(type=TransactionType.USAGE).aggregate(total=Sum("amount"))["total"]
    assert usage == -total_charged


@pytest.mark.postgres
def test_a_key_taken_at_the_same_time_for_another_request_is_a_conflict(committed_db):
    first, second = UserFactory(), UserFactory()
    for user in (first, second):
        credit_services.get_or_open_account(user=user)
    granted, commit = threading.Event(), threading.Event()
    outcome: dict = {}

    def grant_and_wait() -> None:
        try:
            with transaction.atomic():
                credit_services.grant_credits(
                    user=first, amount=10, type=TransactionType.PURCHASE, idempotency_key="payment:1"
                )
                granted.set()
                commit.wait(timeout=20)
        finally:
            connection.close()

    def grant_the_same_key_elsewhere() -> None:
        try:
            credit_services.grant_credits(
                user=second, amount=10, type=TransactionType.PURCHASE, idempotency_key="payment:1"
            )
        except Exception as error:  # noqa: BLE001 - what the second caller gets is what the test checks
            outcome["error"] = error
        finally:
            connection.close()

    holder = threading.Thread(target=grant_and_wait, daemon=True)
    holder.start()
    assert granted.wait(timeout=20)
    contender = threading.Thread(target=grant_the_same_key_elsewhere, daemon=True)
    contender.start()
    # Commit the first grant only once the second waits on it (on the unique key).
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                break
        time.sleep(0.02)
    commit.set()
    holder.join(timeout=20)
    contender.join(timeout=20)

    assert CreditTransaction.objects.filter(idempotency_key="payment:1").count() == 1
    error = outcome.get("error")
    if not isinstance(error, IdempotencyConflict):
        raise error or AssertionError("the second grant with the key succeeded")


# --- what the database itself refuses ---


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE credits_credittransaction SET amount = amount + 1, balance_after = balance_after + 1 WHERE id = %s",
        "UPDATE credits_credittransaction SET description = 'edited' WHERE id = %s",
        "DELETE FROM credits_credittransaction WHERE id = %s",
    ],
)
def test_the_database_refuses_to_change_a_ledger_entry(db, user, statement):
    entry = credit_services.grant_credits(
        user=user, amount=30, type=TransactionType.PROMOTION, idempotency_key="promo:append-only"
    )
    with (
        pytest.raises(IntegrityError, match="credit ledger entries cannot be changed or deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [entry.pk])

    stored = CreditTransaction.objects.get(pk=entry.pk)
    assert (stored.amount, stored.balance_after, stored.description) == (30, entry.balance_after, "")


@pytest.mark.postgres
def test_the_database_refuses_orm_updates_and_deletes_of_ledger_entries(db, user):
    entry = credit_services.grant_credits(
        user=user, amount=30, type=TransactionType.PROMOTION, idempotency_key="promo:append-only-orm"
    )
    with pytest.raises(IntegrityError, match="cannot be changed or deleted"), transaction.atomic():
        CreditTransaction.objects.filter(pk=entry.pk).update(description="edited")
    with pytest.raises(IntegrityError, match="cannot be changed or deleted"), transaction.atomic():
        CreditTransaction.objects.filter(pk=entry.pk).delete()

    assert CreditTransaction.objects.get(pk=entry.pk).description == ""


# The check constraints hold on every database (SQLite enforces them too).
@pytest.mark.parametrize(
    ("change", "constraint"),
    [
        (lambda balance: {"balance": -1}, "credits_account_balance_not_negative"),
        (lambda balance: {"reserved": -1}, "credits_account_reserved_not_negative"),
        (lambda balance: {"reserved": balance + 1}, "credits_account_reserved_covered"),
    ],
    ids=["balance below zero", "reserved below zero", "reserved above balance"],
)
def test_the_database_refuses_an_account_below_zero(db, user, change, constraint):
    credit_services.grant_credits(user=user, amount=30, type=TransactionType.PROMOTION, idempotency_key="promo:floor")
    account = CreditAccount.objects.get(user=user)
    balance = settings.CREDITS_SIGNUP_BONUS + 30
    assert (account.balance, account.reserved) == (balance, 0)

    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        CreditAccount.objects.filter(pk=account.pk).update(**change(balance))

    account.refresh_from_db()
    assert (account.balance, account.reserved) == (balance, 0)


@pytest.mark.postgres
def test_a_raw_update_below_zero_is_refused(db, user):
    account = credit_services.get_or_open_account(user=user)
    with (
        pytest.raises(IntegrityError, match="credits_account_balance_not_negative"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE credits_creditaccount SET balance = -1, reserved = 0 WHERE id = %s", [account.pk])

    account.refresh_from_db()
    assert account.balance == settings.CREDITS_SIGNUP_BONUS
