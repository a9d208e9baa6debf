"""Stripe webhook events: stored once by id, processed once, dispatched by type.

A handler that fails marks the event failed and re-raises, so the endpoint answers
500 and Stripe delivers it again later; an event never succeeds by being dropped.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from credits.constants import EventStatus
from credits.models import StripeEvent
from credits.services import billing

logger = logging.getLogger(__name__)


def _checkout_completed(event: dict) -> None:
    billing.fulfil_checkout_session(session_id=event["data"]["object"]["id"])


def _invoice_paid(event: dict) -> None:
    billing.record_invoice_paid(invoice_id=event["data"]["object"]["id"], event_id=event["id"])


def _invoice_failed(event: dict) -> None:
    billing.record_invoice_payment_failed(invoice_id=event["data"]["object"]["id"], event_id=event["id"])


def _subscription_changed(event: dict) -> None:
    billing.sync_subscription(subscription_id=event["data"]["object"]["id"], event_id=event["id"])


def _charge_refunded(event: dict) -> None:
    charge = event["data"]["object"]
    billing.record_charge_reversal(charge=charge, key=f"stripe-refund:{charge['id']}")


def _dispute_created(event: dict) -> None:
    dispute = event["data"]["object"]
    charge = {"payment_intent": dispute.get("payment_intent"), "amount_refunded": 0}
    billing.record_charge_reversal(
        charge=charge, disputed_cents=int(dispute.get("amount") or 0), key=f"stripe-dispute:{dispute['id']}"
    )


HANDLERS: dict[str, Callable[[dict], None]] = {
    "checkout.session.completed": _checkout_completed,
    "checkout.session.async_payment_succeeded": _checkout_completed,
    "checkout.session.expired": _checkout_completed,
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _invoice_failed,
    "customer.subscription.created": _subscription_changed,
    "customer.subscription.updated": _subscription_changed,
    "customer.subscription.deleted": _subscription_changed,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_created,
}


def _store(event: dict) -> StripeEvent:
    created = event.get("created")
    try:
        with transaction.atomic():
            return StripeEvent.objects.create(
                event_id=event["id"],
                type=event["type"],
                livemode=bool(event.get("livemode")),
                api_version=event.get("api_version") or "",
                stripe_created=datetime.fromtimestamp(created, tz=UTC) if created else None,
                payload=event,
            )
    except IntegrityError:
        return StripeEvent.objects.get(event_id=event["id"])


def process_event(event: dict) -> StripeEvent:
    """Store a verified event and process it unless that was done before. Raises when the handler fails."""
    stored = _store(event)
    if stored.status in {EventStatus.PROCESSED, EventStatus.IGNORED}:
        return stored
    handler = HANDLERS.get(event["type"])
    try:
        with transaction.atomic():
            # Concurrent deliveries of one event queue here; the second finds it processed.
            locked = StripeEvent.objects.select_for_update().get(pk=stored.pk)
            if locked.status in {EventStatus.PROCESSED, EventStatus.IGNORED}:
                return locked
            if handler is not None:
                handler(event)
            locked.status = EventStatus.PROCESSED if handler is not None else EventStatus.IGNORED
            locked.attempts += 1
            locked.error = ""
            locked.processed_at = timezone.now()
            locked.save(update_fields=["status", "attempts", "error", "processed_at"])
            return locked
    except Exception as error:
        StripeEvent.objects.filter(pk=stored.pk).update(
            status=EventStatus.FAILED,
            attempts=stored.attempts + 1,
            error=f"{type(error).__name__}: {getattr(error, 'message', None) or error}"[:2000],
        )
        logger.warning(
            "Stripe event failed; Stripe will retry it",
            extra={"event_id": event["id"], "event_type": event["type"], "error": type(error).__name__},
        )
        raise


def retry_failed_events(*, event_ids=None, limit: int = 100) -> tuple[int, int]:
    """Process stored events that failed, again (staff action; Stripe also redelivers on its own).

    Returns (processed, still failing); each failure stays recorded on its event.
    """
    failed_events = StripeEvent.objects.filter(status=EventStatus.FAILED).order_by("created_at")
    if event_ids is not None:
        failed_events = failed_events.filter(pk__in=event_ids)
    done = still_failing = 0
    for stored in failed_events[:limit]:
        try:
            process_event(stored.payload)
        except Exception:  # noqa: BLE001 - recorded on the event; go on with the others
            logger.info("Stripe event still failing", extra={"event_id": stored.event_id})
            still_failing += 1
        else:
            done += 1
    return done, still_failing
