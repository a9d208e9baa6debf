"""Row locks on credit accounts, always taken in primary-key order so two transactions never deadlock.

On PostgreSQL the usual hold, capture and release lock their one account row inside one statement
(credits/services/hold_statements.py).
"""

from collections.abc import Iterable

from credits.models import CreditAccount


def lock_accounts(account_ids: Iterable) -> dict:
    """Lock the accounts (inside a transaction) and return them by id."""
    accounts = CreditAccount.objects.select_for_update(of=("self",)).filter(pk__in=list(account_ids)).order_by("pk")
    return {account.pk: account for account in accounts}


def lock_account(account_id) -> CreditAccount:
    return lock_accounts([account_id])[account_id]
