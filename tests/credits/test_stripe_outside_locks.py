"""No Stripe call is made while we hold a row lock, and failed attempts are counted atomically (issue 10, 5 and 12).

The local fake Stripe calls back into the test as each request arrives (`on_request`): from
the fake's own thread, on its own database connection, the test tries to take the rows our
code would have locked with NOWAIT, while our code is waiting for Stripe's answer.
Needs PostgreSQL and real commits.
"""

import json

import pytest
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.test import Client
from django.urls import reverse

from credits.constants import EventStatus
from credits.models import CreditAccount, StripeEvent
from tests.credits.test_webhook_concurrency import _buyer_on_stripe
from tests.fakes.stripe_server import sign

pytestmark = pytest.mark.postgres


@pytest.fixture
def committed_db(transactional_db):
    """Real commits, visible to the fake's thread (tests/conftest.py puts the seeded packs back)."""


def _lockable(queryset) -> bool:
    """Whether another connection can lock these rows right now (NOWAIT: no waiting)."""
    try:
        with transaction.atomic():
            list(queryset.select_for_update(nowait=True))
        return True
    except OperationalError:
        return False
    finally:
        connection.close()


def _post(event: dict) -> int:
    payload = json.dumps(event).encode()
    return (
        Client()
        .post(
            reverse("credits:stripe_webhook"),
            data=payload,
            content_type="application/json",
            headers={"Stripe-Signature": sign(payload, settings.STRIPE_WEBHOOK_SECRET)},
        )
        .status_code
    )


def test_checkout_fulfilment_calls_stripe_before_locking_the_account_or_the_event(committed_db, on_sale):
    user, _session_id, event = _buyer_on_stripe(on_sale)
    account_id = CreditAccount.objects.get(user=user).pk
    seen: list[tuple[str, bool, bool]] = []

    def look(method: str, path: str) -> None:
        seen.append(
            (
                path.split("/")[2],
                _lockable(CreditAccount.objects.filter(pk=account_id)),
                _lockable(StripeEvent.objects.filter(event_id=event["id"])),
            )
        )

    on_sale.on_request = look
    assert _post(event) == 200
    on_sale.on_request = None

    assert {kind for kind, _, _ in seen} == {"checkout", "invoices"}
    assert all(account_free and event_free for _, account_free, event_free in seen), seen
    assert StripeEvent.objects.get(event_id=event["id"]).status == EventStatus.PROCESSED


def test_failed_deliveries_at_the_same_time_count_every_attempt(committed_db, on_sale):
    # An invoice Stripe does not know: the handler fails after asking Stripe (Stripe will retry it).
    event = {
        "id": "evt_invoice_unknown",
        "object": "event",
        "type": "invoice.paid",
        "data": {"object": {"id": "in_unknown", "object": "invoice"}},
    }
    nested: list[int] = []

    def deliver_again_meanwhile(method: str, path: str) -> None:
        if not nested:  # while the first delivery waits for Stripe, the second one runs to its end
            nested.append(0)
            nested[0] = _post(event)
            connection.close()

    on_sale.on_request = deliver_again_meanwhile
    assert _post(event) == 500
    on_sale.on_request = None

    assert nested == [500]
    stored = StripeEvent.objects.get(event_id=event["id"])
    assert (stored.status, stored.attempts) == (EventStatus.FAILED, 2)
    assert "in_unknown" in stored.error
