"""The ledger: grants, spends, holds, refunds, take-backs and gifts.

Each function is one database transaction that locks the account rows
(credits.lock_objects, primary-key order) and writes the ledger entry beside
the balance change. Keys make
outside grants idempotent: the same key with the same request returns the first
result; with a different request it is refused.
"""

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from credits.constants import GRANT_TYPES, HoldStatus, TransactionType
from credits.errors import CreditError, IdempotencyConflict, InsufficientCredits
from credits.lock_objects import lock_account, lock_accounts
from credits.models import CreditAccount, CreditHold, CreditShortfall, CreditTransaction
from credits.services import plans


def _fingerprint(**parts: Any) -> str:
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
                _write_entry(
                    account,
                    type=TransactionType.SIGNUP_BONUS,
                    amount=bonus,
                    idempotency_key=key,
                    fingerprint=_fingerprint(
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


def _lock_account_of(user: User) -> CreditAccount:
    """The user's account, locked in the caller's transaction: one query when it exists (the usual case)."""
    try:
        return CreditAccount.objects.select_for_update(of=("self",)).get(user=user)
    except CreditAccount.DoesNotExist:
        return lock_account(get_or_open_account(user=user).pk)


@contextmanager
def _key_taken_meanwhile(key: str | None, fingerprint: str) -> Iterator[None]:
    """A key that another account's transaction took after our replay check: answer as a later call would."""
    try:
        yield
    except IntegrityError:
        if key is not None:
            _replay(key, fingerprint)  # raises IdempotencyConflict for a different request
        raise


def _replay(key: str | None, fingerprint: str) -> CreditTransaction | None:
    if key is None:
        return None
    existing = CreditTransaction.objects.filter(idempotency_key=key).first()
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise IdempotencyConflict(f"The key {key!r} was used before for a different request.")
    return existing


def _write_entry(
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
            _write_entry(
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
        _write_entry(
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
    fingerprint = _fingerprint(user=str(user.pk), amount=amount, type=type, ref=(reference_type, str(reference_id)))
    if not CreditAccount.objects.filter(user=user).exists():
        get_or_open_account(user=user)
    with _key_taken_meanwhile(idempotency_key, fingerprint), transaction.atomic():
        locked = _lock_account_of(user)
        # Checked under the lock: a concurrent grant with the same key has committed by now.
        existing = _replay(idempotency_key, fingerprint)
        if existing is not None:
            return existing
        return _write_entry(
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
    fingerprint = _fingerprint(user=str(user.pk), amount=amount, ref=(reference_type, str(reference_id)))
    with _key_taken_meanwhile(idempotency_key, fingerprint), transaction.atomic():
        locked = _lock_account_of(user)
        existing = _replay(idempotency_key, fingerprint)
        if existing is not None:
            return existing
        refresh_daily_allowance(locked)
        if locked.available < amount:
            raise InsufficientCredits(needed=amount, available=locked.available)
        return _write_entry(
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
    if amount <= 0:
        raise CreditError("A hold must be a positive number of credits.")
    with transaction.atomic():
        locked = _lock_account_of(user)
        if idempotency_key:
            existing = CreditHold.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                if (existing.amount, existing.reference_type, existing.reference_id) != (
                    amount,
                    reference_type,
                    str(reference_id),
                ):
                    raise IdempotencyConflict(f"The key {idempotency_key!r} was used before for a different hold.")
                return existing
        refresh_daily_allowance(locked)
        if check is not None:
            check(locked)
        if locked.available < amount:
            raise InsufficientCredits(needed=amount, available=locked.available)
        locked.reserved += amount
        locked.save(update_fields=["reserved", "updated_at"])
        return CreditHold.objects.create(
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


def _lock_hold(hold_id: Any) -> tuple[CreditAccount, CreditHold]:
    account_id = CreditHold.objects.values_list("account_id", flat=True).get(pk=hold_id)
    account = lock_account(account_id)
    return account, CreditHold.objects.select_for_update().get(pk=hold_id)


def capture_hold(*, hold_id: Any, amount: int | None = None, description: str = "") -> CreditHold:
    """Charge a hold (all of it, or less; the rest is returned). Does nothing to a resolved hold."""
    with transaction.atomic():
        account, hold = _lock_hold(hold_id)
        if hold.status != HoldStatus.HELD:
            return hold
        amount = hold.amount if amount is None else amount
        if not 0 <= amount <= hold.amount:
            raise CreditError(f"A capture must be between 0 and the {hold.amount} credits held.")
        account.reserved -= hold.amount
        if amount:
            hold.transaction = _write_entry(
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
    fingerprint = _fingerprint(usage=str(usage.pk), amount=amount)
    with _key_taken_meanwhile(idempotency_key, fingerprint), transaction.atomic():
        account = lock_account(usage.account_id)
        existing = _replay(idempotency_key, fingerprint)
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
        return _write_entry(
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


@dataclass(frozen=True)
class TakeBackResult:
    transaction: CreditTransaction | None
    taken: int
    shortfall: int
    shortfall_record: CreditShortfall | None = None


def _replay_take_back(key: str, fingerprint: str) -> TakeBackResult | None:
    entry = _replay(key, fingerprint)
    if entry is not None:
        record = CreditShortfall.objects.filter(transaction=entry).first()
        return TakeBackResult(entry, -entry.amount, record.amount if record else 0, record)
    record = CreditShortfall.objects.filter(idempotency_key=key).first()
    if record is None:
        return None
    if record.request_fingerprint != fingerprint:
        raise IdempotencyConflict(f"The key {key!r} was used before for a different request.")
    return TakeBackResult(record.transaction, record.requested - record.amount, record.amount, record)


def take_back_credits(
    *,
    user: User,
    amount: int,
    type: str,
    idempotency_key: str,
    reference_type: str = "",
    reference_id: str = "",
    description: str = "",
    actor: User | None = None,
    record_shortfall: bool = True,
) -> TakeBackResult:
    """Debit up to `amount` (payment refunds, expiry), never below zero nor into held credits.

    What cannot be taken is the shortfall: recorded as a `CreditShortfall` under the same
    key (so a replay answers the same, even when nothing could be taken), unless the
    caller asks otherwise (expiry of unused credits has no shortfall to chase).
    """
    if type not in {TransactionType.PAYMENT_REVERSAL, TransactionType.EXPIRY, TransactionType.ADMIN_ADJUSTMENT}:
        raise CreditError(f"{type} is not a kind of take-back.")
    if amount <= 0:
        raise CreditError("A take-back must be a positive number of credits.")
    fingerprint = _fingerprint(user=str(user.pk), amount=amount, type=type, ref=(reference_type, str(reference_id)))
    with _key_taken_meanwhile(idempotency_key, fingerprint), transaction.atomic():
        locked = _lock_account_of(user)
        existing = _replay_take_back(idempotency_key, fingerprint)
        if existing is not None:
            return existing
        return _take_back_locked(
            locked,
            amount=amount,
            type=type,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            reference_type=reference_type,
            reference_id=reference_id,
            description=description,
            actor=actor,
            record_shortfall=record_shortfall,
        )


def _take_back_locked(
    locked: CreditAccount,
    *,
    amount: int,
    type: str,
    idempotency_key: str,
    fingerprint: str,
    reference_type: str,
    reference_id: str,
    description: str,
    actor: User | None,
    record_shortfall: bool,
) -> TakeBackResult:
    taken = min(amount, locked.available)
    shortfall = amount - taken
    entry = None
    if taken:
        entry = _write_entry(
            locked,
            type=type,
            amount=-taken,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            reference_type=reference_type,
            reference_id=reference_id,
            description=description,
            metadata={"requested": amount, "shortfall": shortfall},
            actor=actor,
        )
    record = None
    if shortfall and record_shortfall:
        record = CreditShortfall.objects.create(
            account=locked,
            amount=shortfall,
            requested=amount,
            type=type,
            reference_type=reference_type,
            reference_id=str(reference_id or ""),
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint,
            transaction=entry,
            description=(description or "Credits already spent")[:255],
        )
    return TakeBackResult(entry, taken, shortfall, record)


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
    fingerprint = _fingerprint(sender=str(sender.pk), recipient=str(recipient.pk), amount=amount)
    with _key_taken_meanwhile(f"{idempotency_key}:sent", fingerprint), transaction.atomic():
        locked = lock_accounts([source.pk, target.pk])
        existing = _replay(f"{idempotency_key}:sent", fingerprint)
        if existing is not None:
            return existing, CreditTransaction.objects.get(idempotency_key=f"{idempotency_key}:received")
        if locked[source.pk].available < amount:
            raise InsufficientCredits(needed=amount, available=locked[source.pk].available)
        sent = _write_entry(
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
        received = _write_entry(
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


@transaction.atomic
def admin_adjust_credits(
    *,
    actor: User | None,
    user: User,
    amount: int,
    reason: str,
    idempotency_key: str,
    request: HttpRequest | None = None,
) -> CreditTransaction:
    """Staff add (positive) or remove (negative) credits, with a reason; audited. All or nothing."""
    if not reason.strip():
        raise CreditError("Give a reason for the adjustment.")
    if amount > 0:
        entry = grant_credits(
            user=user,
            amount=amount,
            type=TransactionType.ADMIN_ADJUSTMENT,
            idempotency_key=idempotency_key,
            description=reason,
            actor=actor,
        )
    elif amount < 0:
        result = take_back_credits(
            user=user,
            amount=-amount,
            type=TransactionType.ADMIN_ADJUSTMENT,
            idempotency_key=idempotency_key,
            description=reason,
            actor=actor,
            record_shortfall=False,
        )
        if result.shortfall:
            raise CreditError(f"Only {result.taken} credits were available to remove; nothing more was taken.")
        if result.transaction is None:
            raise CreditError("Nothing was available to remove.")
        entry = result.transaction
    else:
        raise CreditError("The adjustment must not be zero.")
    account_services.record_audit_event(
        actor=actor,
        action="credits.adjusted",
        target=user,
        details={"amount": amount, "reason": reason, "transaction_id": str(entry.pk)},
        request=request,
    )
    return entry
