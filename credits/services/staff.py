"""Staff actions that move credits: each checks nothing about permissions (the admin does) but always
writes its audit event in the same transaction as the move, so the trail and the ledger agree."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from credits.constants import HoldStatus, TransactionType
from credits.errors import CreditError
from credits.models import CreditTransaction
from credits.services import webhooks
from credits.services.holds import release_hold
from credits.services.ledger import grant_credits
from credits.services.take_backs import take_back_credits


def release_holds_by_staff(*, actor: User | None, hold_ids: Iterable[Any], request: HttpRequest | None = None) -> int:
    """Release held credits (a job that will never settle them); one audit event per hold. Returns how many."""
    released = 0
    for hold_id in hold_ids:
        with transaction.atomic():
            started = timezone.now()
            hold = release_hold(hold_id=hold_id)
            # Released by this call (not resolved before it): a hold resolves once, so it is audited once.
            if hold.status != HoldStatus.RELEASED or hold.resolved_at is None or hold.resolved_at < started:
                continue
            account_services.record_audit_event(
                actor=actor,
                action="credits.hold_released",
                target=hold,
                details={"amount": hold.amount, "reference": f"{hold.reference_type}:{hold.reference_id}"},
                request=request,
            )
            released += 1
    return released


def retry_events_by_staff(
    *, actor: User | None, event_ids: Iterable[Any], request: HttpRequest | None = None
) -> tuple[int, int]:
    """Process failed Stripe events again (they may grant or take back credits); audited."""
    event_ids = list(event_ids)
    done, still_failing = webhooks.retry_failed_events(event_ids=event_ids)
    account_services.record_audit_event(
        actor=actor,
        action="billing.events_retried",
        target=None,
        details={"events": [str(pk) for pk in event_ids], "processed": done, "still_failing": still_failing},
        request=request,
    )
    return done, still_failing


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
