"""A spend on PostgreSQL: the debit and its ledger entry in one statement, under the row lock.

A spend without an idempotency key, on an open account whose free credits of the day are
granted, is one UPDATE ... RETURNING feeding the INSERT of its entry. These tests hold it to
what the general path (lock, check, update, insert) does: the same row and account change,
the row locked until the spend's transaction ends, and a spend that waited for another
transaction checked against the balance that transaction left.
"""

import threading
import time

import pytest
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from credits import services
from credits.constants import TransactionType
from credits.errors import CreditError, InsufficientCredits
from credits.models import CreditAccount, CreditTransaction
from credits.services import reconcile
from tests.factories import UserFactory

ENTRY_FIELDS = [field.attname for field in CreditTransaction._meta.concrete_fields]
ACCOUNT_FIELDS = [
    "balance",
    "reserved",
    "lifetime_granted",
    "lifetime_spent",
    "lifetime_purchased",
    "daily_allowance",
    "daily_used",
    "daily_reset_date",
]


def _spend(user, **extra):
    return services.spend_credits(
        user=user,
        amount=3,
        reference_type="generation",
        reference_id="g-7",
        operation="upscale",
        description="Upscale 2x",
        **extra,
    )


def _row(entry: CreditTransaction) -> dict:
    return {name: getattr(entry, name) for name in ENTRY_FIELDS}


def _account_state(user) -> dict:
    account = CreditAccount.objects.get(user=user)
    return {name: getattr(account, name) for name in ACCOUNT_FIELDS}


@pytest.mark.django_db
def test_a_spend_without_a_key_writes_what_the_general_path_writes(user, other_user):
    bonus = settings.CREDITS_SIGNUP_BONUS
    for someone in (user, other_user):
        services.get_or_open_account(user=someone)

    plain = _spend(user)  # one statement on PostgreSQL
    keyed = _spend(other_user, idempotency_key="spend:g-7")  # locked, replay checked, then written

    # What the call returns is the row as stored.
    assert _row(plain) == _row(CreditTransaction.objects.get(pk=plain.pk))
    assert _row(keyed) == _row(CreditTransaction.objects.get(pk=keyed.pk))
    # Every column the same, but those that name the row, its account, its key and its user.
    own = {"id", "created_at", "account_id", "idempotency_key", "request_fingerprint"}
    assert {name: value for name, value in _row(plain).items() if name not in own} == {
        "type": TransactionType.USAGE,
        "amount": -3,
        "balance_before": bonus,
        "balance_after": bonus - 3,
        "reference_type": "generation",
        "reference_id": "g-7",
        "operation": "upscale",
        "expires_at": None,
        "description": "Upscale 2x",
        "metadata": {},
        "actor_id": None,
        "actor_label": "system",
    }
    assert {name: value for name, value in _row(keyed).items() if name not in own} == {
        name: value for name, value in _row(plain).items() if name not in own
    }
    assert (plain.idempotency_key, keyed.idempotency_key) == (None, "spend:g-7")
    assert plain.account_id == CreditAccount.objects.get(user=user).pk
    assert len(plain.request_fingerprint) == len(keyed.request_fingerprint) == 64
    assert _account_state(user) == _account_state(other_user)
    assert _account_state(user)["lifetime_spent"] == 3
    assert reconcile.find_discrepancies() == []


@pytest.mark.django_db
@pytest.mark.parametrize("daily_allowance", [False, True], ids=["no daily credits", "daily credits"])
def test_a_spend_without_a_key_is_one_statement_on_postgresql(user, database_vendor, settings, daily_allowance):
    settings.CREDITS_DAILY_ALLOWANCE = daily_allowance
    services.get_or_open_account(user=user)
    services.spend_credits(user=user, amount=1, reference_type="job", reference_id="first")  # grants the day's

    with CaptureQueriesContext(connection) as plain:
        _spend(user)
    with CaptureQueriesContext(connection) as keyed:
        _spend(user, idempotency_key="spend:g-7")

    def kinds(captured) -> list[str]:
        return [query["sql"].split(None, 1)[0].upper() for query in captured.captured_queries]

    # The test runs inside a transaction, so each spend's own transaction is a savepoint.
    if database_vendor == "postgresql":
        assert kinds(plain) == ["SAVEPOINT", "WITH", "RELEASE"]
    else:
        assert kinds(plain) == ["SAVEPOINT", "SELECT", "UPDATE", "INSERT", "RELEASE"]
    # lock the account, look the key up, update it, write the entry
    assert kinds(keyed) == ["SAVEPOINT", "SELECT", "SELECT", "UPDATE", "INSERT", "RELEASE"]


@pytest.mark.django_db
def test_a_refused_spend_writes_nothing_and_says_what_is_available(user):
    services.get_or_open_account(user=user)
    services.hold_credits(user=user, amount=18, reference_type="job", reference_id="1")
    before = _account_state(user)

    with pytest.raises(InsufficientCredits) as refused:
        _spend(user)

    assert (refused.value.needed, refused.value.available) == (3, settings.CREDITS_SIGNUP_BONUS - 18)
    assert _account_state(user) == before
    assert not CreditTransaction.objects.filter(type=TransactionType.USAGE).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [0, -2, 1.5, "3"])
def test_a_spend_of_anything_but_a_positive_whole_number_is_refused(user, amount):
    services.get_or_open_account(user=user)
    before = _account_state(user)

    with pytest.raises(CreditError, match="A spend must be a positive number of credits"):
        services.spend_credits(user=user, amount=amount, reference_type="job", reference_id="1")

    assert _account_state(user) == before
    assert not CreditTransaction.objects.filter(type=TransactionType.USAGE).exists()


# --- against other transactions, each thread on its own connection (PostgreSQL) ---


@pytest.fixture
def committed_db(transactional_db):
    """Real commits, visible to every thread's own connection (tests/conftest.py puts the seeded rows back)."""


def _in_thread(target, outcome: dict, name: str) -> threading.Thread:
    def run() -> None:
        try:
            outcome[name] = target()
        except Exception as error:  # noqa: BLE001 - what the call raised is what the test checks
            outcome[name] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _wait_until_a_query_waits_for_a_lock() -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    raise AssertionError("the spend never waited for the account lock")


def _spend_while_another_transaction_holds_the_account(user, change, amount: int) -> object:
    """Run `change` in a transaction that stays open until a spend of `amount` waits for its lock."""
    changed, finish = threading.Event(), threading.Event()
    outcome: dict = {}

    def change_and_wait():
        with transaction.atomic():
            change()
            changed.set()
            assert finish.wait(timeout=20)

    holder = _in_thread(change_and_wait, outcome, "holder")
    assert changed.wait(timeout=20)
    spender = _in_thread(
        lambda: services.spend_credits(user=user, amount=amount, reference_type="job", reference_id="waited"),
        outcome,
        "spend",
    )
    _wait_until_a_query_waits_for_a_lock()
    finish.set()
    holder.join(timeout=20)
    spender.join(timeout=20)
    assert not holder.is_alive()
    assert not spender.is_alive()
    assert outcome["holder"] is None
    return outcome["spend"]


@pytest.mark.postgres
def test_a_spend_that_waited_for_the_lock_is_checked_against_what_the_other_transaction_left(committed_db):
    user = UserFactory()
    bonus = services.get_or_open_account(user=user).balance

    outcome = _spend_while_another_transaction_holds_the_account(
        user,
        lambda: services.hold_credits(user=user, amount=bonus - 2, reference_type="job", reference_id="big"),
        amount=5,
    )

    assert isinstance(outcome, InsufficientCredits), outcome
    assert (outcome.needed, outcome.available) == (5, 2)
    account = CreditAccount.objects.get(user=user)
    assert (account.balance, account.reserved, account.lifetime_spent) == (bonus, bonus - 2, 0)
    assert not CreditTransaction.objects.filter(account=account, type=TransactionType.USAGE).exists()


@pytest.mark.postgres
def test_a_spend_that_waited_for_the_lock_starts_from_the_balance_the_other_transaction_left(committed_db):
    user = UserFactory()
    bonus = services.get_or_open_account(user=user).balance

    entry = _spend_while_another_transaction_holds_the_account(
        user,
        lambda: services.grant_credits(user=user, amount=10, type=TransactionType.PROMOTION, idempotency_key="p:1"),
        amount=bonus + 5,  # more than there was before the grant
    )

    assert isinstance(entry, CreditTransaction), entry
    assert (entry.balance_before, entry.balance_after) == (bonus + 10, 5)
    account = CreditAccount.objects.get(user=user)
    assert (account.balance, account.lifetime_granted, account.lifetime_spent) == (5, bonus + 10, bonus + 5)
    assert reconcile.find_discrepancies() == []


@pytest.mark.postgres
def test_a_spend_keeps_the_account_locked_until_its_transaction_ends(committed_db):
    user = UserFactory()
    bonus = services.get_or_open_account(user=user).balance
    spent, finish = threading.Event(), threading.Event()
    outcome: dict = {}

    def spend_and_wait():
        with transaction.atomic():
            entry = services.spend_credits(user=user, amount=1, reference_type="job", reference_id="1")
            spent.set()
            assert finish.wait(timeout=20)
        return entry

    spender = _in_thread(spend_and_wait, outcome, "spend")
    assert spent.wait(timeout=20)
    with pytest.raises(OperationalError, match="could not obtain lock"), transaction.atomic():
        CreditAccount.objects.select_for_update(nowait=True).get(user=user)
    finish.set()
    spender.join(timeout=20)

    assert isinstance(outcome["spend"], CreditTransaction), outcome["spend"]
    with transaction.atomic():
        assert CreditAccount.objects.select_for_update(nowait=True).get(user=user).balance == bonus - 1
