"""The ledger: accounts, entries, grants, spends, refunds and gifts (holds: holds.py; take-backs: take_backs.py).

Each function is one database transaction that locks the account rows
(credits.lock_objects, primary-key order) and writes the ledger entry beside
the balance change. Keys make outside grants idempotent: the same key with the same request returns the first
result; with a different request it is refused.
"""

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from credits.constants import GRANT_TYPES, TransactionType
from credits.errors import CreditError, IdempotencyConflict, InsufficientCredits
from credits.lock_objects import lock_account, lock_accounts
from credits.models import CreditAccount, CreditTransaction
from credits.services import plans


def request_fingerprint(**parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _actor_fields(actor: User | None) -> dict[str, Any]:
    if actor is None:
        return {"actor_id": None, "actor_label": "system"}
    return {"actor_id": actor.pk, "actor_label": str(actor)[:255]}


def get_or_open_account(*, user: User) -> CreditAccount:
    """The user's account, opened with the sign-up bonus the first time it is asked for."""
    try:
        return CreditAccount.objects.get(user=user)
    except CreditAccount.DoesNotExist:
        pass
    bonus = settings.CREDITS_SIGNUP_BONUS
    try:
        # One transaction: an account never exists without its welcome credits (a crash
        # between the two would otherwise lose them for good, as nothing grants them later).
        with transaction.atomic():
            account = CreditAccount.objects.create(user=user)
            if bonus > 0:
                key = f"signup-bonus:{user.pk}"
                write_entry(
                    account,
                    type=TransactionType.SIGNUP_BONUS,
                    amount=bonus,
                    idempotency_key=key,
                    fingerprint=request_fingerprint(
                        user=str(user.pk), amount=bonus, type=TransactionType.SIGNUP_BONUS, ref=("", "")
                    ),
                    description="Welcome credits",
                )
    except IntegrityError:
        existing = CreditAccount.objects.filter(user=user).first()
        if existing is None:
            raise  # not a concurrent opening: the bonus entry itself was refused
        return existing
    return account


def lock_account_of(user: User) -> CreditAccount:
    """The user's account, locked in the caller's transaction: one query when it exists (the usual case)."""
    try:
        return CreditAccount.objects.select_for_update(of=("self",)).get(user=user)
    except CreditAccount.DoesNotExist:
        return lock_account(get_or_open_account(user=user).pk)


@contextmanager
def key_taken_meanwhile(key: str | None, fingerprint: str) -> Iterator[None]:
    """A key that another account's transaction took after our replay check: answer as a later call would."""
    try:
        yield
    except IntegrityError:
        if key is not None:
            replay(key, fingerprint)  # raises IdempotencyConflict for a different request
        raise


def replay(key: str | None, fingerprint: str) -> CreditTransaction | None:
    if key is None:
        return None
    existing = CreditTransaction.objects.filter(idempotency_key=key).first()
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise IdempotencyConflict(f"The key {key!r} was used before for a different request.")
    return existing


def write_entry(
    account: CreditAccount,
    *,
    type: str,
    amount: int,
    idempotency_key: str | None = None,
    fingerprint: str = "",
    reference_type: str = "",
    reference_id: str = "",
    operation: str = "",
    description: str = "",
    metadata: dict[str, Any] | None = None,
    actor: User | None = None,
    expires_at: datetime | None = None,
    extra_fields: tuple[str, ...] = (),
) -> CreditTransaction:
    """Apply `amount` to a locked account and write its ledger entry, in the caller's transaction."""
    before = account.balance
    after = before + amount
    if after < 0:
        raise InsufficientCredits(needed=-amount, available=account.available)
    account.balance = after
    if amount > 0:
        account.lifetime_granted += amount
        if type == TransactionType.PURCHASE:
            account.lifetime_purchased += amount
    elif type == TransactionType.USAGE:
        account.lifetime_spent += -amount
        # Today's free credits are spent first.
        account.daily_used = min(account.daily_allowance, account.daily_used + -amount)
    account.save(
        update_fields=[
            "balance",
            "lifetime_granted",
            "lifetime_spent",
            "lifetime_purchased",
            "daily_used",
            "updated_at",
            *extra_fields,
        ]
    )
    return CreditTransaction.objects.create(
        account=account,
        type=type,
        amount=amount,
        balance_before=before,
        balance_after=after,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
        reference_type=reference_type,
        reference_id=str(reference_id or ""),
        operation=operation,
        description=description[:255],
        metadata=metadata or {},
        expires_at=expires_at,
        **_actor_fields(actor),
    )


_DAILY_FIELDS = ("daily_allowance", "daily_used", "daily_reset_date")


def refresh_daily_allowance(account: CreditAccount) -> None:
    """On a locked account: expire what is left of yesterday's free credits and grant today's.

    Runs on the first paid action of a day (midnight in TIME_ZONE), so idle accounts
    write nothing. The amount comes from the user's plan (the free plan has some).
    """
    today = timezone.localdate()
    if account.daily_reset_date == today or not settings.CREDITS_DAILY_ALLOWANCE:
        return
    if account.daily_reset_date is not None:
        leftover = min(account.daily_allowance - account.daily_used, account.available)
        if leftover > 0:
            write_entry(
                account,
                type=TransactionType.EXPIRY,
                amount=-leftover,
                idempotency_key=f"daily-expiry:{account.pk}:{account.daily_reset_date.isoformat()}",
                reference_type="daily_allowance",
                reference_id=account.daily_reset_date.isoformat(),
                description="Unused free credits of an earlier day",
            )
    plan = plans.plan_for_account(account)
    account.daily_allowance = plan.daily_allowance if plan else 0
    account.daily_used = 0
    account.daily_reset_date = today
    if account.daily_allowance:
        write_entry(
            account,
            type=TransactionType.DAILY_ALLOWANCE,
            amount=account.daily_allowance,
            idempotency_key=f"daily:{account.pk}:{today.isoformat()}",
            reference_type="daily_allowance",
            reference_id=today.isoformat(),
            description="Today's free credits",
            extra_fields=_DAILY_FIELDS,
        )
    else:
        account.save(update_fields=[*_DAILY_FIELDS, "updated_at"])


def projected_available(account: CreditAccount) -> int:
    """What the user can spend now, counting today's free credits not granted yet (a read: writes nothing)."""
    if account.daily_reset_date == timezone.localdate() or not settings.CREDITS_DAILY_ALLOWANCE:
        return account.available
    available = account.available
    if account.daily_reset_date is not None:
        available -= max(0, min(account.daily_allowance - account.daily_used, available))
    plan = plans.plan_for_account(account)
    return available + (plan.daily_allowance if plan else 0)


def grant_credits(
    *,
    user: User,
    amount: int,
    type: str,
    idempotency_key: str,
    reference_type: str = "",
    reference_id: str = "",
    description: str = "",
    metadata: dict[str, Any] | None = None,
    actor: User | None = None,
    expires_at: datetime | None = None,
) -> CreditTransaction:
    if amount <= 0:
        raise CreditError("A grant must be a positive number of credits.")
    if type not in GRANT_TYPES:
        raise CreditError(f"{type} is not a kind of grant.")
    if not idempotency_key:
        raise CreditError("A grant needs an idempotency key derived from its source.")
    fingerprint = request_fingerprint(
        user=str(user.pk), amount=amount, type=type, ref=(reference_type, str(reference_id))
    )
    if not CreditAccount.objects.filter(user=user).exists():
        get_or_open_account(user=user)
    with key_taken_meanwhile(idempotency_key, fingerprint), transaction.atomic():
        locked = lock_account_of(user)
        # Checked under the lock: a concurrent grant with the same key has committed by now.
        existing = replay(idempotency_key, fingerprint)
        if existing is not None:
            return existing
        return write_entry(
            locked,
            type=type,
            amount=amount,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            reference_type=reference_type,
            reference_id=reference_id,
            description=description,
            metadata=metadata,
            actor=actor,
            expires_at=expires_at,
        )


def spend_credits(
    *,
    user: User,
    amount: int,
    reference_type: str,
    reference_id: str,
    description: str = "",
    operation: str = "",
    idempotency_key: str | None = None,
) -> CreditTransaction:
    """Charge credits at once (no job in between): takes only what is available beside holds."""
    if not isinstance(amount, int) or amount <= 0:
        raise CreditError("A spend must be a positive number of credits.")
    fingerprint = request_fingerprint(user=str(user.pk), amount=amount, ref=(reference_type, str(reference_id)))
    with key_taken_meanwhile(idempotency_key, fingerprint), transaction.atomic():
        locked = lock_account_of(user)
        existing = replay(idempotency_key, fingerprint)
        if existing is not None:
            return existing
        refresh_daily_allowance(locked)
        if locked.available < amount:
            raise InsufficientCredits(needed=amount, available=locked.available)
        return write_entry(
            locked,
            type=TransactionType.USAGE,
            amount=-amount,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            reference_type=reference_type,
            reference_id=reference_id,
            operation=operation,
            description=description,
        )


def refund_usage(
    *,
    transaction_id: Any,
    idempotency_key: str,
    amount: int | None = None,
    description: str = "",
    actor: User | None = None,
) -> CreditTransaction:
    """Give back credits a usage entry took (all, or part); never more than it took in total."""
    usage = CreditTransaction.objects.get(pk=transaction_id)
    if usage.type != TransactionType.USAGE:
        raise CreditError("Only usage can be refunded.")
    amount = -usage.amount if amount is None else amount
    fingerprint = request_fingerprint(usage=str(usage.pk), amount=amount)
    with key_taken_meanwhile(idempotency_key, fingerprint), transaction.atomic():
        account = lock_account(usage.account_id)
        existing = replay(idempotency_key, fingerprint)
        if existing is not None:
            return existing
        refunded = (
            CreditTransaction.objects.filter(
                type=TransactionType.REFUND, reference_type="credit_transaction", reference_id=str(usage.pk)
            ).aggregate(total=Sum("amount"))["total"]
            or 0
        )
        if amount <= 0 or refunded + amount > -usage.amount:
            raise CreditError(f"At most {-usage.amount - refunded} credits of this usage can still be refunded.")
        return write_entry(
            account,
            type=TransactionType.REFUND,
            amount=amount,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            reference_type="credit_transaction",
            reference_id=str(usage.pk),
            operation=usage.operation,
            description=description or f"Refund: {usage.description}",
            actor=actor,
        )


def gift_credits(
    *, sender: User, recipient: User, amount: int, idempotency_key: str, message: str = ""
) -> tuple[CreditTransaction, CreditTransaction]:
    """Move credits from one user to another: two entries in one transaction."""
    if amount <= 0:
        raise CreditError("A gift must be a positive number of credits.")
    if sender.pk == recipient.pk:
        raise CreditError("You cannot gift credits to yourself.")
    source = get_or_open_account(user=sender)
    target = get_or_open_account(user=recipient)
    fingerprint = request_fingerprint(sender=str(sender.pk), recipient=str(recipient.pk), amount=amount)
    with key_taken_meanwhile(f"{idempotency_key}:sent", fingerprint), transaction.atomic():
        locked = lock_accounts([source.pk, target.pk])
        existing = replay(f"{idempotency_key}:sent", fingerprint)
        if existing is not None:
            return existing, CreditTransaction.objects.get(idempotency_key=f"{idempotency_key}:received")
        if locked[source.pk].available < amount:
            raise InsufficientCredits(needed=amount, available=locked[source.pk].available)
        sent = write_entry(
            locked[source.pk],
            type=TransactionType.GIFT_SENT,
            amount=-amount,
            idempotency_key=f"{idempotency_key}:sent",
            fingerprint=fingerprint,
            reference_type="user",
            reference_id=str(recipient.pk),
            description=f"Gift to {recipient}",
            metadata={"message": message[:200]},
            actor=sender,
        )
        received = write_entry(
            locked[target.pk],
            type=TransactionType.GIFT_RECEIVED,
            amount=amount,
            idempotency_key=f"{idempotency_key}:received",
            fingerprint=fingerprint,
            reference_type="user",
            reference_id=str(sender.pk),
            description=f"Gift from {sender}",
            metadata={"message": message[:200]},
            actor=sender,
        )
        return sent, received
