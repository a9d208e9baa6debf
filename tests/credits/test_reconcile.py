"""`manage.py reconcile_credits`: silent agreement on a clean ledger, every difference named otherwise."""

import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import F

from credits import services as credit_services
from credits.constants import TransactionType
from credits.models import CreditAccount
from tests.factories import UserFactory


@pytest.fixture
def accounts(db):
    """Three accounts with some history: grants, a spend, a captured and an open hold, a gift, a refund."""
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    for number, user in enumerate((first, second, third)):
        credit_services.grant_credits(
            user=user, amount=100, type=TransactionType.PURCHASE, idempotency_key=f"payment:{number}"
        )
    usage = credit_services.spend_credits(user=first, amount=7, reference_type="ad", reference_id="1")
    credit_services.refund_usage(transaction_id=usage.pk, amount=2, idempotency_key="refund:1")
    captured = credit_services.hold_credits(user=second, amount=10, reference_type="generation", reference_id="1")
    credit_services.capture_hold(hold_id=captured.pk, amount=6)
    credit_services.hold_credits(user=second, amount=4, reference_type="generation", reference_id="2")
    credit_services.gift_credits(sender=third, recipient=first, amount=15, idempotency_key="gift:1")
    return [(user, CreditAccount.objects.get(user=user)) for user in (first, second, third)]


def reconcile() -> str:
    out = io.StringIO()
    call_command("reconcile_credits", stdout=out)
    return out.getvalue()


def reconcile_failing() -> tuple[str, str]:
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("reconcile_credits", stdout=out)
    return str(failure.value), out.getvalue()


def test_a_clean_ledger_reconciles_silently(accounts):
    bonus = settings.CREDITS_SIGNUP_BONUS
    balances = {user.email: (account.balance, account.reserved) for user, account in accounts}
    first, second, third = (user.email for user, _ in accounts)
    assert balances == {
        first: (bonus + 100 - 7 + 2 + 15, 0),
        second: (bonus + 100 - 6, 4),
        third: (bonus + 100 - 15, 0),
    }

    assert reconcile() == "3 accounts checked: every balance agrees with its ledger.\n"


def test_an_empty_database_reconciles(db):
    assert reconcile() == "0 accounts checked: every balance agrees with its ledger.\n"


@pytest.mark.parametrize("difference", [5, -3])
def test_a_tampered_balance_is_named_with_its_difference(accounts, difference):
    user, account = accounts[0]
    CreditAccount.objects.filter(pk=account.pk).update(balance=F("balance") + difference)

    message, output = reconcile_failing()

    assert message == "1 discrepancies in 3 accounts."
    tampered = account.balance + difference
    assert output == (
        f"account {account.pk} ({user.email}): balance is {tampered}, "
        f"its ledger sums to {account.balance} (difference {difference:+d})\n"
    )
    # The command reports; it never repairs.
    assert CreditAccount.objects.get(pk=account.pk).balance == tampered


def test_a_tampered_reserved_amount_is_found(accounts):
    user, account = accounts[1]
    assert account.reserved == 4
    CreditAccount.objects.filter(pk=account.pk).update(reserved=0)

    message, output = reconcile_failing()

    assert message == "1 discrepancies in 3 accounts."
    assert output == (f"account {account.pk} ({user.email}): reserved is 0, its open holds sum to 4 (difference -4)\n")


def test_every_difference_in_every_account_is_reported(accounts):
    (first, first_account), (second, second_account), _ = accounts
    CreditAccount.objects.filter(pk=first_account.pk).update(balance=F("balance") - 1, reserved=1)
    CreditAccount.objects.filter(pk=second_account.pk).update(balance=F("balance") + 10)

    message, output = reconcile_failing()

    assert message == "3 discrepancies in 3 accounts."
    assert sorted(output.splitlines()) == sorted(
        [
            (
                f"account {first_account.pk} ({first.email}): balance is {first_account.balance - 1}, "
                f"its ledger sums to {first_account.balance} (difference -1)"
            ),
            f"account {first_account.pk} ({first.email}): reserved is 1, its open holds sum to 0 (difference +1)",
            (
                f"account {second_account.pk} ({second.email}): balance is {second_account.balance + 10}, "
                f"its ledger sums to {second_account.balance} (difference +10)"
            ),
        ]
    )
