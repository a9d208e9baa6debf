"""Stripe events replayed at the same time, and racing the success page: one grant, whatever the interleaving.

Needs PostgreSQL (SQLite lets one writer in at a time, so it proves nothing about row locks).
Each thread posts through its own test client on its own database connection, and the
transactions commit for real (transactional_db). Stripe is the local fake (tests/fakes).
"""

import json
import threading
import traceback
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from credits.constants import EventStatus, PaymentStatus, TransactionType
from credits.models import CreditPackage, CreditTransaction, Payment, StripeEvent
from credits.services import get_or_open_account
from credits.services.reconcile import find_discrepancies
from tests.factories import UserFactory
from tests.fakes.stripe_server import sign

pytestmark = pytest.mark.postgres

THREADS = 8
PACK_CREDITS = 220  # "Regular": 200 + 20 bonus


@pytest.fixture
def committed_db(transactional_db):
    """Real commits, visible to every thread's connection (tests/conftest.py puts the seeded packs back)."""


def _run_at_once(calls: list[Callable[[], object]]) -> list:
    """Run each call in its own thread, all released together; returns their results in order."""
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list[str] = []

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            start.wait(timeout=20)
            results[index] = call()
        except Exception:  # noqa: BLE001 - reported, and fails the test
            errors.append(traceback.format_exc())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, call), daemon=True) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    assert errors == [], errors[0] if errors else ""
    return results


def _signed_webhook(event: dict) -> Callable[[], int]:
    payload = json.dumps(event).encode()
    signature = sign(payload, settings.STRIPE_WEBHOOK_SECRET)

    def post() -> int:
        response = Client().post(
            reverse("credits:stripe_webhook"),
            data=payload,
            content_type="application/json",
            headers={"Stripe-Signature": signature},
        )
        return response.status_code

    return post


def _success_page(user, session_id: str) -> Callable[[], tuple[int, str]]:
    def get() -> tuple[int, str]:
        client = Client()
        client.force_login(user)
        response = client.get(reverse("credits:checkout_success"), {"session_id": session_id})
        return response.status_code, response.content.decode()

    return get


def _buyer_on_stripe(fake) -> tuple:
    """A user who started a "Regular" checkout and paid on Stripe's page; its events not delivered yet."""
    user = UserFactory()
    client = Client()
    client.force_login(user)
    package = CreditPackage.objects.get(slug="pack-200")
    response = client.post(reverse("credits:buy_pack", args=[package.pk]))
    assert response.status_code == 302
    session_id = response["Location"].rsplit("/", 1)[1]
    (event,) = fake.complete_checkout(session_id, send=False)
    assert event["type"] == "checkout.session.completed"
    return user, session_id, event


def _assert_granted_once(user, session_id: str, before: int) -> None:
    assert get_or_open_account(user=user).balance == before + PACK_CREDITS
    (entry,) = CreditTransaction.objects.filter(account__user=user, type=TransactionType.PURCHASE)
    assert (entry.amount, entry.idempotency_key) == (PACK_CREDITS, f"stripe-checkout:{session_id}")
    (payment,) = Payment.objects.filter(account__user=user)
    assert (payment.provider_payment_id, payment.status, payment.grant_id) == (
        session_id,
        PaymentStatus.SUCCEEDED,
        entry.pk,
    )
    assert payment.receipt_sent_at is not None


def test_one_event_delivered_by_eight_threads_at_once_grants_once(committed_db, on_sale, mailoutbox):
    user, session_id, event = _buyer_on_stripe(on_sale)
    before = get_or_open_account(user=user).balance

    statuses = _run_at_once([_signed_webhook(event)] * THREADS)

    assert statuses == [200] * THREADS
    (stored,) = StripeEvent.objects.all()
    assert (stored.event_id, stored.status, stored.attempts, stored.error) == (
        event["id"],
        EventStatus.PROCESSED,
        1,
        "",
    )
    _assert_granted_once(user, session_id, before)
    assert [message.to for message in mailoutbox] == [[user.email]]
    assert find_discrepancies() == []


def test_the_webhook_racing_the_success_page_grants_once(committed_db, on_sale, mailoutbox):
    for round_ in range(3):
        user, session_id, event = _buyer_on_stripe(on_sale)
        before = get_or_open_account(user=user).balance
        webhooks = [_signed_webhook(event)] * (THREADS // 2)
        pages = [_success_page(user, session_id)] * (THREADS // 2)

        results = _run_at_once([call for pair in zip(webhooks, pages, strict=True) for call in pair])

        assert results[0::2] == [200] * (THREADS // 2), f"round {round_}"
        for status, page in results[1::2]:
            assert status == 200
            assert f"<strong>{PACK_CREDITS} credits</strong> were added to your account." in page
            assert f'data-testid="checkout-available">{before + PACK_CREDITS}<' in page
        assert StripeEvent.objects.get(event_id=event["id"]).status == EventStatus.PROCESSED
        _assert_granted_once(user, session_id, before)
        assert [message.to for message in mailoutbox] == [[user.email]], f"round {round_}"
        mailoutbox.clear()

    assert CreditTransaction.objects.filter(type=TransactionType.PURCHASE).count() == 3
    assert find_discrepancies() == []
