"""Random sequences of ledger operations against a model of what each must do (hypothesis, stateful).

After every step the database must agree with the model and with itself: balances and reserved
credits never below zero, reserved never above the balance, each balance equal to its ledger, each
reserved amount equal to its open holds, and a settled hold never changes again. Runs on any database.
"""

import uuid
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from credits import services as credit_services
from credits.constants import HoldStatus, TransactionType
from credits.errors import CreditError, IdempotencyConflict, InsufficientCredits
from credits.models import CreditAccount, CreditHold, CreditShortfall, CreditTransaction
from tests.factories import UserFactory

amounts = st.integers(min_value=1, max_value=60)


@dataclass
class Account:
    user: object
    pk: object
    balance: int
    reserved: int = 0
    entries: int = 0


@dataclass
class Hold:
    pk: object
    account: int
    amount: int
    status: str = HoldStatus.HELD
    captured: int | None = None
    snapshot: tuple | None = None  # the stored row once settled; it must never change after


@dataclass
class Usage:
    pk: object
    account: int
    amount: int  # credits taken
    refunded: int = 0


@dataclass
class Keyed:
    """A call made with an idempotency key: how to make it again, and what it returned the first time."""

    kind: str
    arguments: dict
    amount: int  # the credits asked for (a refund of "all" names no amount)
    result: object


# How to make each keyed call, and what in its answer must be the same on a replay.
CALLS = {
    "grant": (credit_services.grant_credits, lambda entry: entry.pk),
    "spend": (credit_services.spend_credits, lambda entry: entry.pk),
    "hold": (credit_services.hold_credits, lambda hold: hold.pk),
    "refund": (credit_services.refund_usage, lambda entry: entry.pk),
    "take_back": (
        credit_services.take_back_credits,
        lambda result: (result.transaction.pk, result.taken, result.shortfall),
    ),
    "gift": (credit_services.gift_credits, lambda entries: (entries[0].pk, entries[1].pk)),
}


def settled_rows(pks) -> dict:
    return {
        row[0]: row[1:]
        for row in CreditHold.objects.filter(pk__in=pks).values_list(
            "pk", "status", "amount", "captured_amount", "transaction_id", "resolved_at", "updated_at"
        )
    }


class LedgerMachine(RuleBasedStateMachine):
    holds = Bundle("holds")
    usages = Bundle("usages")

    def __init__(self):
        super().__init__()
        # Each example starts clean: everything it writes is rolled back in teardown().
        self.savepoint = transaction.savepoint()
        self.prefix = uuid.uuid4().hex[:8]
        self.serial = 0
        self.accounts: list[Account] = []
        self.settled: list[Hold] = []
        self.keyed: list[Keyed] = []

    def teardown(self):
        transaction.savepoint_rollback(self.savepoint)

    def new_key(self, kind: str) -> str:
        self.serial += 1
        return f"{kind}:{self.prefix}:{self.serial}"

    def pick(self, number: int) -> tuple[int, Account]:
        index = number % len(self.accounts)
        return index, self.accounts[index]

    @initialize(count=st.integers(min_value=2, max_value=3))
    def open_accounts(self, count):
        bonus = settings.CREDITS_SIGNUP_BONUS
        for _ in range(count):
            user = UserFactory()
            opened = credit_services.get_or_open_account(user=user)
            assert opened.balance == bonus
            self.accounts.append(Account(user, opened.pk, bonus, entries=1 if bonus else 0))

    # --- credits in ---

    @rule(number=st.integers(0, 2), amount=amounts)
    def grant(self, number, amount):
        _, account = self.pick(number)
        arguments = {
            "user": account.user,
            "amount": amount,
            "type": TransactionType.PURCHASE,
            "idempotency_key": self.new_key("grant"),
            "reference_type": "payment",
            "reference_id": str(self.serial),
        }
        entry = credit_services.grant_credits(**arguments)
        assert (entry.amount, entry.balance_before, entry.balance_after) == (
            amount,
            account.balance,
            account.balance + amount,
        )
        account.balance += amount
        account.entries += 1
        self.keyed.append(Keyed("grant", arguments, amount, entry))

    # --- credits out ---

    @rule(target=usages, number=st.integers(0, 2), amount=amounts, keyed=st.booleans())
    def spend(self, number, amount, keyed):
        index, account = self.pick(number)
        arguments = {"user": account.user, "amount": amount, "reference_type": "ad", "reference_id": "1"}
        if keyed:
            arguments["idempotency_key"] = self.new_key("spend")
        if amount > account.balance - account.reserved:
            with pytest.raises(InsufficientCredits):
                credit_services.spend_credits(**arguments)
            return multiple()
        entry = credit_services.spend_credits(**arguments)
        assert (entry.type, entry.amount, entry.balance_before) == (TransactionType.USAGE, -amount, account.balance)
        account.balance -= amount
        account.entries += 1
        if keyed:
            self.keyed.append(Keyed("spend", arguments, amount, entry))
        return Usage(entry.pk, index, amount)

    @rule(target=holds, number=st.integers(0, 2), amount=amounts, keyed=st.booleans())
    def hold(self, number, amount, keyed):
        index, account = self.pick(number)
        arguments = {"user": account.user, "amount": amount, "reference_type": "generation", "reference_id": "1"}
        if keyed:
            arguments["idempotency_key"] = self.new_key("hold")
        if amount > account.balance - account.reserved:
            with pytest.raises(InsufficientCredits):
                credit_services.hold_credits(**arguments)
            return multiple()
        hold = credit_services.hold_credits(**arguments)
        assert (hold.status, hold.amount, hold.captured_amount) == (HoldStatus.HELD, amount, None)
        account.reserved += amount
        if keyed:
            self.keyed.append(Keyed("hold", arguments, amount, hold))
        return Hold(hold.pk, index, amount)

    @rule(target=usages, hold=holds, data=st.data())
    def capture(self, hold, data):
        """All of the hold (no amount) or part of it, zero included; on a settled hold it does nothing."""
        amount = data.draw(st.none() | st.integers(0, hold.amount), label="capture amount")
        was_held = hold.status == HoldStatus.HELD
        settled = credit_services.capture_hold(hold_id=hold.pk, amount=amount)
        assert settled.pk == hold.pk
        if not was_held:
            assert (settled.status, settled.captured_amount) == (hold.status, hold.captured)
            return multiple()
        taken = hold.amount if amount is None else amount
        assert (settled.status, settled.captured_amount) == (HoldStatus.CAPTURED, taken)
        account = self.accounts[hold.account]
        account.reserved -= hold.amount
        account.balance -= taken
        hold.status, hold.captured = HoldStatus.CAPTURED, taken
        self.settled.append(hold)
        if not taken:
            assert settled.transaction_id is None
            return multiple()
        assert (settled.transaction.type, settled.transaction.amount) == (TransactionType.USAGE, -taken)
        account.entries += 1
        return Usage(settled.transaction_id, hold.account, taken)

    @rule(hold=holds)
    def release(self, hold):
        was_held = hold.status == HoldStatus.HELD
        settled = credit_services.release_hold(hold_id=hold.pk)
        assert settled.pk == hold.pk
        if not was_held:
            assert (settled.status, settled.captured_amount) == (hold.status, hold.captured)
            return
        assert (settled.status, settled.captured_amount, settled.transaction_id) == (HoldStatus.RELEASED, None, None)
        self.accounts[hold.account].reserved -= hold.amount
        hold.status = HoldStatus.RELEASED
        self.settled.append(hold)

    @rule(usage=usages, data=st.data())
    def refund(self, usage, data):
        """All of a usage (no amount) or part of it; never more than it took, over all its refunds."""
        amount = data.draw(st.none() | st.integers(1, usage.amount), label="refund amount")
        wanted = usage.amount if amount is None else amount
        arguments = {"transaction_id": usage.pk, "amount": amount, "idempotency_key": self.new_key("refund")}
        if usage.refunded + wanted > usage.amount:
            with pytest.raises(CreditError, match="can still be refunded"):
                credit_services.refund_usage(**arguments)
            return
        entry = credit_services.refund_usage(**arguments)
        assert (entry.type, entry.amount) == (TransactionType.REFUND, wanted)
        usage.refunded += wanted
        account = self.accounts[usage.account]
        account.balance += wanted
        account.entries += 1
        self.keyed.append(Keyed("refund", arguments, wanted, entry))

    @rule(number=st.integers(0, 2), amount=amounts)
    def take_back(self, number, amount):
        """A payment reversal takes what is available (never held credits) and reports the shortfall."""
        _, account = self.pick(number)
        arguments = {
            "user": account.user,
            "amount": amount,
            "type": TransactionType.PAYMENT_REVERSAL,
            "idempotency_key": self.new_key("reversal"),
            "reference_type": "payment",
            "reference_id": str(self.serial),
        }
        result = credit_services.take_back_credits(**arguments)
        taken = min(amount, account.balance - account.reserved)
        assert (result.taken, result.shortfall) == (taken, amount - taken)
        if not taken:
            # Nothing written, so nothing to replay: see test_take_back_with_nothing_taken_replays_the_first_answer.
            assert result.transaction is None
            return
        assert result.transaction.amount == -taken
        account.balance -= taken
        account.entries += 1
        self.keyed.append(Keyed("take_back", arguments, amount, result))

    @rule(number=st.integers(0, 2), data=st.data(), amount=amounts)
    def gift(self, number, data, amount):
        sender, source = self.pick(number)
        offset = data.draw(st.integers(1, len(self.accounts) - 1), label="recipient offset")
        target = self.accounts[(sender + offset) % len(self.accounts)]
        arguments = {"sender": source.user, "recipient": target.user, "amount": amount}
        arguments["idempotency_key"] = self.new_key("gift")
        if amount > source.balance - source.reserved:
            with pytest.raises(InsufficientCredits):
                credit_services.gift_credits(**arguments)
            return
        sent, received = credit_services.gift_credits(**arguments)
        assert (sent.amount, received.amount) == (-amount, amount)
        source.balance -= amount
        target.balance += amount
        source.entries += 1
        target.entries += 1
        self.keyed.append(Keyed("gift", arguments, amount, (sent, received)))

    # --- replays ---

    @precondition(lambda self: self.keyed)
    @rule(data=st.data())
    def replay_the_same_request(self, data):
        """The same key and the same request answer what the first call answered, and change nothing."""
        call = data.draw(st.sampled_from(self.keyed), label="replayed call")
        function, identity = CALLS[call.kind]
        assert identity(function(**call.arguments)) == identity(call.result)

    @precondition(lambda self: self.keyed)
    @rule(data=st.data(), as_spend=st.booleans())
    def replay_the_key_for_another_request(self, data, as_spend):
        """The same key with another amount, or a ledger key reused for a spend, is refused and changes nothing."""
        call = data.draw(st.sampled_from(self.keyed), label="replayed call")
        if as_spend and call.kind in {"grant", "refund", "take_back"}:
            function = credit_services.spend_credits
            arguments = {
                "user": self.accounts[0].user,
                "amount": 1,
                "reference_type": "ad",
                "reference_id": "1",
                "idempotency_key": call.arguments["idempotency_key"],
            }
        else:
            function = CALLS[call.kind][0]
            arguments = {**call.arguments, "amount": call.amount + 1}
        with pytest.raises(IdempotencyConflict):
            function(**arguments)

    # --- after every step ---

    @invariant()
    def database_agrees_with_itself_and_the_model(self):
        if not self.accounts:
            return
        pks = [account.pk for account in self.accounts]
        stored = {
            row[0]: row[1:] for row in CreditAccount.objects.filter(pk__in=pks).values_list("pk", "balance", "reserved")
        }
        ledger = {
            row[0]: row[1:]
            for row in CreditTransaction.objects.filter(account_id__in=pks)
            .values("account")
            .annotate(total=Sum("amount"), entries=Count("pk"))
            .values_list("account", "total", "entries")
        }
        held = dict(
            CreditHold.objects.filter(account_id__in=pks, status=HoldStatus.HELD)
            .values("account")
            .annotate(total=Sum("amount"))
            .values_list("account", "total")
        )
        for account in self.accounts:
            balance, reserved = stored[account.pk]
            assert balance >= 0
            assert 0 <= reserved <= balance
            assert (balance, account.entries) == ledger.get(account.pk, (0, 0))
            assert reserved == held.get(account.pk, 0)
            assert (balance, reserved) == (account.balance, account.reserved)

    @invariant()
    def a_settled_hold_never_changes(self):
        for hold in self.settled:
            if hold.snapshot is None:
                hold.snapshot = settled_rows([hold.pk])[hold.pk]
        rows = settled_rows([hold.pk for hold in self.settled])
        for hold in self.settled:
            assert rows[hold.pk] == hold.snapshot
            assert rows[hold.pk][:3] == (hold.status, hold.amount, hold.captured)


def test_ledger_operations_keep_every_invariant(db):
    run_state_machine_as_test(
        LedgerMachine,
        settings=hypothesis_settings(
            max_examples=60,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )


def test_take_back_with_nothing_taken_replays_the_first_answer(db, user):
    available = credit_services.get_or_open_account(user=user).available + 10
    credit_services.grant_credits(user=user, amount=10, type=TransactionType.PURCHASE, idempotency_key="payment:1")
    hold = credit_services.hold_credits(user=user, amount=available, reference_type="generation", reference_id="1")
    request = {"user": user, "amount": 10, "type": TransactionType.PAYMENT_REVERSAL, "idempotency_key": "refund:1"}

    first = credit_services.take_back_credits(**request)
    assert (first.transaction, first.taken, first.shortfall) == (None, 0, 10)
    credit_services.release_hold(hold_id=hold.pk)
    again = credit_services.take_back_credits(**request)

    assert (again.taken, again.shortfall) == (0, 10)
    assert CreditAccount.objects.get(user=user).balance == available
    assert again.shortfall_record == first.shortfall_record
    assert CreditShortfall.objects.filter(idempotency_key="refund:1").count() == 1
