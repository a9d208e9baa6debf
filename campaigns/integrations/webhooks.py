"""Outgoing webhooks: the user's endpoints, signed deliveries, retries with backoff for a day, the
delivery log and replays.

Signature (Stripe's scheme, so receivers can reuse their code): header
`CraftAds-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the endpoint's
secret>`; `CraftAds-Event` names the event and `CraftAds-Delivery` the delivery id (the same on
every retry, so a receiver can drop duplicates). A delivery is claimed with a conditional update
before it is sent, so two workers never send the same attempt; any 2xx is delivered; timeouts,
429 and 5xx are retried at growing intervals until `WEBHOOK_RETRY_WINDOW_SECONDS` has passed since
the event; other 4xx and refused addresses fail at once. Nothing here reads private addresses: the
POST goes through craftplatform.safe_http.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from campaigns import enqueue
from campaigns.integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from craftplatform import safe_http
from craftplatform.errors import DomainError

logger = logging.getLogger(__name__)

BACKOFF_SECONDS = (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 6 * 3600, 6 * 3600)
MAX_ENDPOINTS = 10


class WebhookError(DomainError):
    default_message = "The webhook could not be saved."


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def _clean_events(events) -> list[str]:
    allowed = set(WebhookEvent.values)
    events = [event for event in (events or []) if event]
    if not events or any(event not in allowed for event in events):
        raise WebhookError(f"Choose the events to send: {', '.join(WebhookEvent.values)}.")
    return sorted(set(events))


def create_endpoint(*, user, url: str, events, description: str = "") -> WebhookEndpoint:
    if len(url or "") > 1000:
        raise WebhookError("The address is too long.")
    try:
        safe_http.check_url(url)
    except safe_http.UnsafeURL as exc:
        raise WebhookError(exc.message) from None
    if WebhookEndpoint.objects.filter(user=user).count() >= MAX_ENDPOINTS:
        raise WebhookError(f"You can register at most {MAX_ENDPOINTS} webhooks.")
    return WebhookEndpoint.objects.create(
        user=user,
        url=url.strip(),
        events=_clean_events(events),
        secret="whsec_" + secrets.token_urlsafe(32),
        description=" ".join((description or "").split())[:200],
    )


def update_endpoint(*, endpoint: WebhookEndpoint, events, is_active: bool) -> WebhookEndpoint:
    endpoint.events = _clean_events(events)
    endpoint.is_active = is_active
    endpoint.save(update_fields=["events", "is_active", "updated_at"])
    return endpoint


def rotate_secret(*, endpoint: WebhookEndpoint) -> str:
    endpoint.secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint.secret


def queue_event(*, user, event: str, event_id: str, payload: dict) -> list[WebhookDelivery]:
    """Create one delivery per active endpoint listening to `event`; sent after the caller's commit."""
    endpoints = [e for e in WebhookEndpoint.objects.filter(user=user, is_active=True) if event in e.events]
    body = {"id": event_id, "type": event, "created": int(time.time()), "data": payload}
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=e, event=event, event_id=event_id, payload=body, next_attempt_at=timezone.now())
        for e in endpoints
    )
    for delivery in deliveries:
        transaction.on_commit(lambda pk=str(delivery.pk): enqueue.send(enqueue.DELIVER_WEBHOOK, pk))
    return deliveries


def _retryable(status: int | None) -> bool:
    return status is None or status == 429 or status >= 500 or status == 408


def deliver(*, delivery_id) -> str:
    """Send one attempt of a delivery (claimed first); returns the delivery's status afterwards."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now), pk=delivery_id, status=DeliveryStatus.PENDING
    ).update(attempts=F("attempts") + 1, last_attempt_at=now, next_attempt_at=now + timedelta(minutes=10))
    if not claimed:
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "CraftAds-Event": delivery.event,
        "CraftAds-Delivery": str(delivery.replay_of_id or delivery.pk),
        "CraftAds-Signature": sign(endpoint.secret, timestamp, body),
    }
    status_code = None
    error = ""
    started = time.monotonic()
    try:
        response = safe_http.request(
            "POST",
            endpoint.url,
            headers=headers,
            content=body,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            max_bytes=64 * 1024,
            max_redirects=0,
        )
        status_code = response.status_code
        if response.status_code in (301, 302, 303, 307, 308):
            error = "The endpoint answered with a redirect; webhooks are not redirected."
    except safe_http.UnsafeURL as exc:
        error = exc.message
        status_code = 0  # refused address: never retried
    except safe_http.FetchError as exc:
        error = exc.message
    elapsed = int((time.monotonic() - started) * 1000)
    update = {"last_status_code": status_code or None, "last_response_ms": elapsed, "last_error": error[:500]}
    if status_code and 200 <= status_code < 300 and not error:
        update |= {"status": DeliveryStatus.DELIVERED, "delivered_at": timezone.now(), "next_attempt_at": None}
    elif (
        status_code != 0
        and _retryable(status_code)
        and delivery.attempts <= len(BACKOFF_SECONDS)
        and (timezone.now() - delivery.created_at).total_seconds() < settings.WEBHOOK_RETRY_WINDOW_SECONDS
    ):
        delay = BACKOFF_SECONDS[delivery.attempts - 1]
        update |= {"next_attempt_at": timezone.now() + timedelta(seconds=delay)}
        if not error:
            update["last_error"] = f"HTTP {status_code}"
        transaction.on_commit(
            lambda: enqueue.send(
                enqueue.DELIVER_WEBHOOK, str(delivery.pk), countdown=min(delay, settings.CELERY_MAX_COUNTDOWN)
            )
        )
    else:
        update |= {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
        if not error:
            update["last_error"] = f"HTTP {status_code}"
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**update)
    logger.info(
        "webhook attempt",
        extra={
            "delivery_id": str(delivery.pk),
            "status_code": status_code,
            "elapsed_ms": elapsed,
            "attempt": delivery.attempts,
        },
    )
    return update.get("status", DeliveryStatus.PENDING)


def due_deliveries(*, limit: int = 200) -> list[str]:
    """Pending deliveries whose next attempt is due (the sweep re-sends those a lost task left)."""
    rows = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
    return [str(pk) for pk in rows.order_by("next_attempt_at").values_list("pk", flat=True)[:limit]]


@transaction.atomic
def replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again as a new logged delivery with the same event and delivery id."""
    copy = WebhookDelivery.objects.create(
        endpoint=delivery.endpoint,
        event=delivery.event,
        event_id=delivery.event_id,
        payload=delivery.payload,
        next_attempt_at=timezone.now(),
        replay_of=delivery.replay_of or delivery,
    )
    transaction.on_commit(lambda: enqueue.send(enqueue.DELIVER_WEBHOOK, str(copy.pk)))
    return copy
