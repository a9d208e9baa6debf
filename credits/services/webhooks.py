"""Stripe webhook events: stored once by id, processed once, dispatched by type.

A handler that fails marks the event failed and re-raises, so the endpoint answers
500 and Stripe delivers it again later; an event never succeeds by being dropped.
"""

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from credits.constants import EventStatus
from credits.models import StripeEvent
from credits.services import billing, reversals, subscriptions

logger = logging.getLogger(__name__)


def _checkout_completed(event: dict[str, Any]) -> None:
    billing.fulfil_checkout_session(session_id=event["data"]["object"]["id"])


def _invoice_paid(event: dict[str, Any]) -> None:
    subscriptions.record_invoice_paid(invoice_id=event["data"]["object"]["id"], event_id=event["id"])


def _invoice_failed(event: dict[str, Any]) -> None:
    subscriptions.record_invoice_payment_failed(invoice_id=event["data"]["object"]["id"], event_id=event["id"])


def _subscription_changed(event: dict[str, Any]) -> None:
    subscriptions.sync_subscription(subscription_id=event["data"]["object"]["id"], event_id=event["id"])


def _charge_refunded(event: dict[str, Any]) -> None:
    charge = event["data"]["object"]
    reversals.record_refunds(charge_id=charge["id"], payment_intent_id=charge.get("payment_intent"))


def _refund_changed(event: dict[str, Any]) -> None:
    refund = event["data"]["object"]
    reversals.record_refunds(charge_id=refund["charge"], payment_intent_id=refund.get("payment_intent"))


def _dispute_changed(event: dict[str, Any]) -> None:
    reversals.record_dispute(dispute_id=event["data"]["object"]["id"])


HANDLERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "checkout.session.completed": _checkout_completed,
    "checkout.session.async_payment_succeeded": _checkout_completed,
    "checkout.session.expired": _checkout_completed,
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _invoice_failed,
    "customer.subscription.created": _subscription_changed,
    "customer.subscription.updated": _subscription_changed,
    "customer.subscription.deleted": _subscription_changed,
    "charge.refunded": _charge_refunded,
    "charge.refund.updated": _refund_changed,
    "charge.dispute.created": _dispute_changed,
    "charge.dispute.updated": _dispute_changed,
    "charge.dispute.closed": _dispute_changed,
    "charge.dispute.funds_withdrawn": _dispute_changed,
    "charge.dispute.funds_reinstated": _dispute_changed,
}


def _store(event: dict[str, Any]) -> StripeEvent:
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


def process_event(event: dict[str, Any]) -> StripeEvent:
    """Store a verified event and process it unless that was done before. Raises when the handler fails.

    No lock is held while the handler runs: handlers talk to Stripe first and then lock
    and write in short transactions of their own, keyed by the Stripe object, so two
    deliveries of one event at the same time do the work once between them. The event is
    marked processed by a conditional update; only that update counts an attempt, so a
    replay of a processed event changes nothing.
    """
    stored = _store(event)
    if stored.status in {EventStatus.PROCESSED, EventStatus.IGNORED}:
        return stored
    handler = HANDLERS.get(event["type"])
    try:
        if handler is not None:
            handler(event)
    except Exception as error:
        # F(): another delivery may have counted its own attempt since we read the row.
        StripeEvent.objects.filter(pk=stored.pk).exclude(
            status__in=[EventStatus.PROCESSED, EventStatus.IGNORED]
        ).update(
            status=EventStatus.FAILED,
            attempts=F("attempts") + 1,
            error=f"{type(error).__name__}: {getattr(error, 'message', None) or error}"[:2000],
        )
        logger.warning(
            "Stripe event failed; Stripe will retry it",
            extra={"event_id": event["id"], "event_type": event["type"], "error": type(error).__name__},
        )
        raise
    StripeEvent.objects.filter(pk=stored.pk).exclude(status__in=[EventStatus.PROCESSED, EventStatus.IGNORED]).update(
        status=EventStatus.PROCESSED if handler is not None else EventStatus.IGNORED,
        attempts=F("attempts") + 1,
        error="",
        processed_at=timezone.now(),
    )
    stored.refresh_from_db()
    return stored


def retry_failed_events(*, event_ids: Iterable[Any] | None = None, limit: int = 100) -> tuple[int, int]:
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
