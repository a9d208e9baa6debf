"""Holds: credits reserved for a running job, then captured (charged) or released, exactly once.

On PostgreSQL the usual hold, capture and release are one statement each
(credits/services/hold_statements.py); anything else (a new account, the day's first paid
action, a key seen before, a refusal, a check under the lock such as a daily limit, a hold
already resolved, a capture of nothing) takes the general path below, which locks the account
(credits.lock_objects), re-checks, and writes the ledger entry in the same transaction. SQLite,
the embedded default, always takes the general path.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from credits.constants import HoldStatus, TransactionType
from credits.errors import CreditError, IdempotencyConflict, InsufficientCredits
from credits.lock_objects import lock_account
from credits.models import CreditAccount, CreditHold
from credits.services import hold_statements
from credits.services.ledger import lock_account_of, refresh_daily_allowance, write_entry


def _in_one_statement() -> bool:
    return connection.vendor == "postgresql"


def hold_credits(
    *,
    user: User,
    amount: int,
    reference_type: str,
    reference_id: str,
    description: str = "",
    operation: str = "",
    quantity: int = 1,
    idempotency_key: str | None = None,
    ttl: timedelta | None = None,
    check: Callable[[CreditAccount], None] | None = None,
) -> CreditHold:
    """Reserve credits for a job. `check` runs under the account lock (daily limits) and may raise."""
    hold, _available = take_hold(
        user=user,
        amount=amount,
        reference_type=reference_type,
        reference_id=reference_id,
        description=description,
        operation=operation,
        quantity=quantity,
        idempotency_key=idempotency_key,
        ttl=ttl,
        check=check,
    )
    return hold


def take_hold(
    *,
    user: User,
    amount: int,
    reference_type: str,
    reference_id: str,
    description: str = "",
    operation: str = "",
    quantity: int = 1,
    idempotency_key: str | None = None,
    ttl: timedelta | None = None,
    check: Callable[[CreditAccount], None] | None = None,
) -> tuple[CreditHold, int]:
    """hold_credits, also answering what was available before the hold (a replayed hold: what is available now)."""
    if amount <= 0:
        raise CreditError("A hold must be a positive number of credits.")
    now = timezone.now()
    expires_at = now + (ttl or timedelta(seconds=settings.CREDITS_HOLD_TTL_SECONDS))
    if check is None and _in_one_statement():
        taken = hold_statements.hold(
            user_id=user.pk,
            amount=amount,
            reference_type=reference_type,
            reference_id=str(reference_id),
            operation=operation,
            quantity=quantity,
            idempotency_key=idempotency_key,
            description=description[:255],
            now=now,
            expires_at=expires_at,
            today=timezone.localdate() if settings.CREDITS_DAILY_ALLOWANCE else None,
        )
        if taken is not None:
            return taken
    return _take_hold_locked(
        user=user,
        amount=amount,
        reference_type=reference_type,
        reference_id=reference_id,
        description=description,
        operation=operation,
        quantity=quantity,
        idempotency_key=idempotency_key,
        ttl=ttl,
        check=check,
    )


def _take_hold_locked(
    *,
    user: User,
    amount: int,
    reference_type: str,
    reference_id: str,
    description: str,
    operation: str,
    quantity: int,
    idempotency_key: str | None,
    ttl: timedelta | None,
    check: Callable[[CreditAccount], None] | None,
) -> tuple[CreditHold, int]:
    """The general path: lock the account, replay a key, grant the day's credits, check, reserve, write."""
    with transaction.atomic():
        locked = lock_account_of(user)
        if idempotency_key:
            existing = CreditHold.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                if (existing.amount, existing.reference_type, existing.reference_id) != (
                    amount,
                    reference_type,
                    str(reference_id),
                ):
                    raise IdempotencyConflict(f"The key {idempotency_key!r} was used before for a different hold.")
                return existing, locked.available
        refresh_daily_allowance(locked)
        if check is not None:
            check(locked)
        available = locked.available
        if available < amount:
            raise InsufficientCredits(needed=amount, available=available)
        locked.reserved += amount
        locked.save(update_fields=["reserved", "updated_at"])
        hold = CreditHold.objects.create(
            account=locked,
            amount=amount,
            reference_type=reference_type,
            reference_id=str(reference_id),
            operation=operation,
            quantity=quantity,
            idempotency_key=idempotency_key,
            description=description[:255],
            expires_at=timezone.now() + (ttl or timedelta(seconds=settings.CREDITS_HOLD_TTL_SECONDS)),
        )
        return hold, available


def _lock_hold(hold_id: Any) -> tuple[CreditAccount, CreditHold]:
    account_id = CreditHold.objects.values_list("account_id", flat=True).get(pk=hold_id)
    account = lock_account(account_id)
    return account, CreditHold.objects.select_for_update().get(pk=hold_id)


def capture_hold(*, hold_id: Any, amount: int | None = None, description: str = "") -> CreditHold:
    """Charge a hold (all of it, or less; the rest is returned). Does nothing to a resolved hold."""
    if _in_one_statement() and (amount is None or amount > 0):
        settled = hold_statements.capture(
            hold_id=hold_id, amount=amount, description=description[:255], now=timezone.now()
        )
        if settled is not None:
            return settled
    return _capture_hold_locked(hold_id=hold_id, amount=amount, description=description)


def _capture_hold_locked(*, hold_id: Any, amount: int | None, description: str) -> CreditHold:
    with transaction.atomic():
        account, hold = _lock_hold(hold_id)
        if hold.status != HoldStatus.HELD:
            return hold
        amount = hold.amount if amount is None else amount
        if not 0 <= amount <= hold.amount:
            raise CreditError(f"A capture must be between 0 and the {hold.amount} credits held.")
        account.reserved -= hold.amount
        if amount:
            hold.transaction = write_entry(
                account,
                type=TransactionType.USAGE,
                amount=-amount,
                idempotency_key=f"hold-capture:{hold.pk}",
                reference_type=hold.reference_type,
                reference_id=hold.reference_id,
                operation=hold.operation,
                description=description or hold.description,
                metadata={"hold_id": str(hold.pk), "held": hold.amount},
                extra_fields=("reserved",),
            )
        else:
            account.save(update_fields=["reserved", "updated_at"])
        hold.status = HoldStatus.CAPTURED
        hold.captured_amount = amount
        hold.resolved_at = timezone.now()
        hold.save(update_fields=["status", "captured_amount", "transaction", "resolved_at", "updated_at"])
        return hold


def release_hold(*, hold_id: Any) -> CreditHold:
    """Give a hold's credits back without charging. Does nothing to a resolved hold."""
    if _in_one_statement():
        settled = hold_statements.release(hold_id=hold_id, now=timezone.now())
        if settled is not None:
            return settled
    return _release_hold_locked(hold_id=hold_id)


def _release_hold_locked(*, hold_id: Any) -> CreditHold:
    with transaction.atomic():
        account, hold = _lock_hold(hold_id)
        if hold.status != HoldStatus.HELD:
            return hold
        account.reserved -= hold.amount
        account.save(update_fields=["reserved", "updated_at"])
        hold.status = HoldStatus.RELEASED
        hold.resolved_at = timezone.now()
        hold.save(update_fields=["status", "resolved_at", "updated_at"])
        return hold


def release_expired_holds(*, now: datetime | None = None) -> int:
    """Release every hold whose expiry passed (a job that never settled it)."""
    now = now or timezone.now()
    released = 0
    for hold_id in CreditHold.objects.filter(status=HoldStatus.HELD, expires_at__lt=now).values_list("pk", flat=True):
        if release_hold(hold_id=hold_id).status == HoldStatus.RELEASED:
            released += 1
    return released
