"""Take-backs: debits from outside (payment refunds and disputes, expiry, staff removals).

A take-back never goes below zero nor into held credits; what it cannot take is the shortfall,
recorded under the same key so a replay answers the same.
"""

from dataclasses import dataclass

from django.db import transaction

from accounts.models import User
from credits.constants import TransactionType
from credits.errors import CreditError, IdempotencyConflict
from credits.models import CreditAccount, CreditShortfall, CreditTransaction
from credits.services.ledger import key_taken_meanwhile, lock_account_of, replay, request_fingerprint, write_entry


@dataclass(frozen=True)
class TakeBackResult:
    transaction: CreditTransaction | None
    taken: int
    shortfall: int
    shortfall_record: CreditShortfall | None = None


def _replay_take_back(key: str, fingerprint: str) -> TakeBackResult | None:
    entry = replay(key, fingerprint)
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
    fingerprint = request_fingerprint(
        user=str(user.pk), amount=amount, type=type, ref=(reference_type, str(reference_id))
    )
    with key_taken_meanwhile(idempotency_key, fingerprint), transaction.atomic():
        locked = lock_account_of(user)
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
        entry = write_entry(
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
