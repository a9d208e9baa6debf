"""A hold, its capture and its release, each as one PostgreSQL statement (credits/services/holds.py calls them).

Every paid job takes a hold and settles it; through the ORM that is about fifteen statements and
most of a job's credit work is the ORM's own (issue 10: 17-21 % of the same statements by hand).
Each statement here does what the locked general path does, in the same order and under the
same row locks, and returns nothing (having changed nothing) when the general path has more to
do: a new account, today's free credits not granted yet, a key seen before, too few credits, a
hold already resolved. The caller then takes the general path, which says why.

Locks: a hold locks its account row (FOR UPDATE, re-checking what is available on the newest
version under READ COMMITTED) before it writes; a capture or release locks the account first and
then the hold (the hold's scan joins the locked account, so the account is locked before any hold
row is), the order every other settler uses. One account row is locked, so the primary-key order
of credits.lock_objects has nothing to order. The ledger entry is written in the same statement,
so in the same transaction. tests/credits/test_holds_in_one_statement.py holds these statements
to the general path column by column.
"""

import uuid
from datetime import date, datetime
from typing import Any

from django.db import connection
from psycopg.types.numeric import Int4

from craftplatform.db_statements import statement_cursor
from credits.constants import HoldStatus, TransactionType
from credits.models import CreditAccount, CreditHold, CreditTransaction


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _columns(model: Any, prefix: str = "") -> str:
    return ", ".join(prefix + connection.ops.quote_name(field.column) for field in model._meta.concrete_fields)


_HOLD_FIELDS = [field.attname for field in CreditHold._meta.concrete_fields]

# The hold as hold_credits writes it, column by column.
_NEW_HOLD = {
    "id": "%(id)s",
    "created_at": "%(now)s",
    "updated_at": "%(now)s",
    "account_id": "locked.id",
    "amount": "%(amount)s",
    "status": f"'{HoldStatus.HELD.value}'",
    "captured_amount": "NULL",
    "transaction_id": "NULL",
    "reference_type": "%(reference_type)s",
    "reference_id": "%(reference_id)s",
    "operation": "%(operation)s",
    "quantity": "%(quantity)s",
    "idempotency_key": "%(key)s",
    "description": "%(description)s",
    "expires_at": "%(expires_at)s",
    "resolved_at": "NULL",
}

# A key seen before inserts nothing (ON CONFLICT), so nothing is reserved either: the general
# path then answers with the first hold or refuses a different request.
_HOLD = """
WITH locked AS (
    SELECT id, balance - reserved AS available
      FROM {accounts}
     WHERE user_id = %(user_id)s
       AND balance - reserved >= %(amount)s{today_granted}
       FOR UPDATE
), held AS (
    INSERT INTO {holds} ({hold_columns})
    SELECT {hold_values} FROM locked
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING {hold_columns}
), reserved AS (
    UPDATE {accounts} AS account
       SET reserved = account.reserved + held.amount, updated_at = %(now)s
      FROM held
     WHERE account.id = held.account_id
)
SELECT locked.available, {held_columns} FROM locked JOIN held ON held.account_id = locked.id
"""

# The account, then the held hold (for a capture of part of it, one that holds at least that much).
_LOCK_ACCOUNT_THEN_HOLD = """
WITH account AS (
    SELECT id FROM {accounts}
     WHERE id = (SELECT account_id FROM {holds} WHERE id = %(hold_id)s)
       FOR UPDATE
), hold AS (
    SELECT h.id, h.account_id, h.amount, h.reference_type, h.reference_id, h.operation, h.description
      FROM {holds} AS h JOIN account ON account.id = h.account_id
     WHERE h.id = %(hold_id)s AND h.status = '{held}'{at_least}
       FOR UPDATE OF h
)"""

# The usage entry as capture_hold writes it through _write_entry, column by column.
_CAPTURE_ENTRY = {
    "id": "%(entry_id)s",
    "created_at": "%(now)s",
    "account_id": "charged.id",
    "type": f"'{TransactionType.USAGE.value}'",
    "amount": "-{take}",
    "balance_before": "charged.balance + {take}",
    "balance_after": "charged.balance",
    "reference_type": "hold.reference_type",
    "reference_id": "hold.reference_id",
    "operation": "hold.operation",
    "idempotency_key": "'hold-capture:' || hold.id::text",
    "request_fingerprint": "''",
    "expires_at": "NULL",
    "description": "COALESCE(NULLIF(%(description)s, ''), hold.description)",
    "metadata": "jsonb_build_object('hold_id', hold.id::text, 'held', hold.amount)",
    "actor_id": "NULL",
    "actor_label": "'system'",
}

_CAPTURE = """{lock}, charged AS (
    UPDATE {accounts} AS a
       SET balance = a.balance - {take},
           reserved = a.reserved - hold.amount,
           lifetime_spent = a.lifetime_spent + {take},
           daily_used = LEAST(a.daily_allowance, a.daily_used + {take}),
           updated_at = %(now)s
      FROM hold
     WHERE a.id = hold.account_id
 RETURNING a.id, a.balance
), entry AS (
    INSERT INTO {ledger} ({entry_columns})
    SELECT {entry_values} FROM charged CROSS JOIN hold
    RETURNING id
)
UPDATE {holds} AS settled
   SET status = '{captured}', captured_amount = {take}, transaction_id = entry.id,
       resolved_at = %(now)s, updated_at = %(now)s
  FROM hold CROSS JOIN entry
 WHERE settled.id = hold.id
RETURNING {settled_columns}
"""

_RELEASE = """{lock}, unreserved AS (
    UPDATE {accounts} AS a
       SET reserved = a.reserved - hold.amount, updated_at = %(now)s
      FROM hold
     WHERE a.id = hold.account_id
 RETURNING a.id
)
UPDATE {holds} AS settled
   SET status = '{released}', resolved_at = %(now)s, updated_at = %(now)s
  FROM hold CROSS JOIN unreserved
 WHERE settled.id = hold.id
RETURNING {settled_columns}
"""


def _lock(*, partial: bool) -> str:
    return _LOCK_ACCOUNT_THEN_HOLD.format(
        accounts=_table(CreditAccount),
        holds=_table(CreditHold),
        held=HoldStatus.HELD.value,
        at_least=" AND h.amount >= %(amount)s" if partial else "",
    )


def hold_sql(*, daily_allowance: bool) -> str:
    hold_columns = [field.column for field in CreditHold._meta.concrete_fields]
    return _HOLD.format(
        accounts=_table(CreditAccount),
        holds=_table(CreditHold),
        hold_columns=_columns(CreditHold),
        hold_values=", ".join(_NEW_HOLD[column] for column in hold_columns),
        held_columns=_columns(CreditHold, "held."),
        # The day's free credits are granted (and yesterday's expired) by the general path.
        today_granted="\n       AND daily_reset_date = %(today)s" if daily_allowance else "",
    )


def capture_sql(*, partial: bool) -> str:
    take = "%(amount)s" if partial else "hold.amount"
    entry_columns = [field.column for field in CreditTransaction._meta.concrete_fields]
    return _CAPTURE.format(
        lock=_lock(partial=partial),
        accounts=_table(CreditAccount),
        holds=_table(CreditHold),
        ledger=_table(CreditTransaction),
        take=take,
        entry_columns=_columns(CreditTransaction),
        entry_values=", ".join(_CAPTURE_ENTRY[column].format(take=take) for column in entry_columns),
        captured=HoldStatus.CAPTURED.value,
        settled_columns=_columns(CreditHold, "settled."),
    )


def release_sql() -> str:
    return _RELEASE.format(
        lock=_lock(partial=False),
        accounts=_table(CreditAccount),
        holds=_table(CreditHold),
        released=HoldStatus.RELEASED.value,
        settled_columns=_columns(CreditHold, "settled."),
    )


# Built once per process (table and column names do not change while it runs).
_SQL: dict[str, str] = {}


def _sql(name: str) -> str:
    if not _SQL:
        _SQL.update(
            {
                "hold": hold_sql(daily_allowance=False),
                "hold_today_granted": hold_sql(daily_allowance=True),
                "capture": capture_sql(partial=False),
                "capture_part": capture_sql(partial=True),
                "release": release_sql(),
            }
        )
    return _SQL[name]


def _hold_from(row: tuple[Any, ...]) -> CreditHold:
    return CreditHold.from_db(connection.alias, _HOLD_FIELDS, row)


def hold(
    *,
    user_id: Any,
    amount: int,
    reference_type: str,
    reference_id: str,
    operation: str,
    quantity: int,
    idempotency_key: str | None,
    description: str,
    now: datetime,
    expires_at: datetime,
    today: date | None,
) -> tuple[CreditHold, int] | None:
    """Lock the account, check what is available, reserve and write the hold; (hold, available before) or None."""
    parameters = {
        "id": uuid.uuid4(),
        "now": now,
        "user_id": user_id,
        "amount": Int4(amount),
        "reference_type": reference_type,
        "reference_id": reference_id,
        "operation": operation,
        "quantity": Int4(quantity),
        "key": idempotency_key,
        "description": description,
        "expires_at": expires_at,
        "today": today,
    }
    with statement_cursor() as cursor:
        cursor.execute(_sql("hold" if today is None else "hold_today_granted"), parameters)
        row = cursor.fetchone()
    if row is None:
        return None
    return _hold_from(row[1:]), row[0]


def capture(*, hold_id: Any, amount: int | None, description: str, now: datetime) -> CreditHold | None:
    """Charge a held hold (all of it, or `amount` > 0 of it) with its usage entry; the settled hold or None."""
    parameters = {
        "hold_id": hold_id,
        "amount": None if amount is None else Int4(amount),
        "description": description,
        "now": now,
        "entry_id": uuid.uuid4(),
    }
    with statement_cursor() as cursor:
        cursor.execute(_sql("capture" if amount is None else "capture_part"), parameters)
        row = cursor.fetchone()
    return None if row is None else _hold_from(row)


def release(*, hold_id: Any, now: datetime) -> CreditHold | None:
    """Give a held hold's credits back; the settled hold, or None."""
    with statement_cursor() as cursor:
        cursor.execute(_sql("release"), {"hold_id": hold_id, "now": now})
        row = cursor.fetchone()
    return None if row is None else _hold_from(row)
