"""Billing edge cases of issue 10: reversals that add up, won disputes, plans that end, receipts the broker
missed, welcome credits that cannot be lost. Stripe is the local fake (tests/fakes/stripe_server.py)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError

from craftplatform.celery import app as celery_app
from credits.constants import EventStatus, PaymentStatus, TransactionType
from credits.models import (
    CreditAccount,
    CreditTransaction,
    Payment,
    PaymentReversal,
    StripeEvent,
    SubscriptionPlan,
    UserSubscription,
)
from credits.services import get_or_open_account, grant_credits, receipts, spend_credits, subscriptions
from credits.services.reconcile import find_discrepancies
from tests.credits.test_stripe_billing import _balance, _buy, _subscribe
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=False)

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


def _bought(auth_client, on_sale, deliver, slug="pack-200") -> Payment:
    session_id = _buy(auth_client, on_sale, slug)
    for event in on_sale.complete_checkout(session_id, send=False):
        assert deliver(event).status_code == 200
    return Payment.objects.get(provider_payment_id=session_id)


def _reversal_entries(user) -> list[tuple[int, str]]:
    return list(
        CreditTransaction.objects.filter(account__user=user, type__in=["payment_reversal", "reversal_undone"])
        .order_by("created_at")
        .values_list("amount", "idempotency_key")
    )


# --- defect 4: reversals add up, capped at the purchase; a won dispute gives the credits back ---------


def test_a_dispute_after_a_partial_refund_takes_back_the_rest(auth_client, user, on_sale, deliver):
    payment = _bought(auth_client, on_sale, deliver)  # 220 credits for 18.00
    before = _balance(user)

    for event in on_sale.refund_from_dashboard(payment.payment_intent_id, amount=900, send=False):
        assert deliver(event).status_code == 200
    (dispute_opened,) = on_sale.open_dispute(payment.payment_intent_id, amount=900, send=False)
    for event in (dispute_opened, dispute_opened):  # replayed: still one entry
        assert deliver(event).status_code == 200

    assert _balance(user) == before - 220
    refund_id = next(iter(on_sale.objects["refund"]))
    dispute_id = dispute_opened["data"]["object"]["id"]
    assert _reversal_entries(user) == [(-110, f"stripe-refund:{refund_id}"), (-110, f"stripe-dispute:{dispute_id}")]
    payment.refresh_from_db()
    assert (payment.status, payment.credits_taken_back, payment.amount_refunded) == (
        PaymentStatus.REFUNDED,
        220,
        payment.amount / 2,
    )
    assert find_discrepancies() == []


def test_reversals_never_take_back_more_than_the_purchase(auth_client, user, on_sale, deliver):
    payment = _bought(auth_client, on_sale, deliver)
    before = _balance(user)
    for event in on_sale.refund_from_dashboard(payment.payment_intent_id, send=False):
        deliver(event)
    for event in on_sale.open_dispute(payment.payment_intent_id, send=False):  # the whole charge, again
        deliver(event)

    assert _balance(user) == before - 220
    assert [amount for amount, _ in _reversal_entries(user)] == [-220]
    assert PaymentReversal.objects.filter(payment=payment).count() == 2


def test_a_won_dispute_gives_the_credits_back(auth_client, user, on_sale, deliver):
    payment = _bought(auth_client, on_sale, deliver)
    before = _balance(user)
    (opened,) = on_sale.open_dispute(payment.payment_intent_id, send=False)
    deliver(opened)
    assert _balance(user) == before - 220
    dispute_id = opened["data"]["object"]["id"]

    (closed,) = on_sale.close_dispute(dispute_id, won=True, send=False)
    for event in (closed, closed, opened):  # replayed, and the old "created" arriving late
        assert deliver(event).status_code == 200

    assert _balance(user) == before
    assert _reversal_entries(user) == [
        (-220, f"stripe-dispute:{dispute_id}"),
        (220, f"stripe-dispute-undone:{dispute_id}"),
    ]
    payment.refresh_from_db()
    assert (payment.status, payment.credits_taken_back) == (PaymentStatus.SUCCEEDED, 0)
    assert find_discrepancies() == []


def test_a_lost_dispute_keeps_the_credits_taken(auth_client, user, on_sale, deliver):
    payment = _bought(auth_client, on_sale, deliver)
    before = _balance(user)
    (opened,) = on_sale.open_dispute(payment.payment_intent_id, send=False)
    deliver(opened)
    (closed,) = on_sale.close_dispute(opened["data"]["object"]["id"], won=False, send=False)
    deliver(closed)
    assert _balance(user) == before - 220
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.REFUNDED


# --- defect 7: plan credits expire at the end of the last paid period after cancellation ---------------


def _cancelled_plan(auth_client, user, on_sale, deliver, slug: str, spend: int) -> UserSubscription:
    session_id = _subscribe(auth_client, on_sale, slug)
    for event in on_sale.complete_checkout(session_id, send=False):
        assert deliver(event).status_code == 200
    spend_credits(user=user, amount=spend, reference_type="test", reference_id="1")
    subscription = UserSubscription.objects.get(user=user)
    (deleted,) = on_sale.update_subscription(subscription.stripe_subscription_id, status="canceled", send=False)
    assert deliver(deleted).status_code == 200
    subscription.refresh_from_db()
    return subscription


def test_plan_credits_expire_at_the_end_of_the_last_paid_period_after_cancellation(auth_client, user, on_sale, deliver):
    subscription = _cancelled_plan(auth_client, user, on_sale, deliver, "starter", spend=100)  # 150, expire
    balance = _balance(user)

    assert subscriptions.expire_ended_plan_credits(now=subscription.current_period_end - timedelta(seconds=1)) == 0
    assert _balance(user) == balance  # still inside the paid period

    after_end = subscription.current_period_end + timedelta(seconds=1)
    assert subscriptions.expire_ended_plan_credits(now=after_end) == 1
    assert subscriptions.expire_ended_plan_credits(now=after_end + timedelta(hours=1)) == 0  # once

    assert _balance(user) == balance - 50
    expiry = CreditTransaction.objects.get(type=TransactionType.EXPIRY)
    assert (expiry.amount, expiry.idempotency_key) == (
        -50,
        f"plan-ended-expiry:{subscription.pk}:{subscription.last_invoice_id}",
    )
    assert UserSubscription.objects.get(pk=subscription.pk).period_credits == 0
    assert find_discrepancies() == []


def test_a_cancelled_rollover_plan_keeps_what_its_rule_rolls_over(auth_client, user, on_sale, deliver):
    plan = SubscriptionPlan.objects.get(slug="pro")
    plan.rollover_cap = 500
    plan.save()
    subscription = _cancelled_plan(auth_client, user, on_sale, deliver, "pro", spend=40)  # 600, 560 unused
    balance = _balance(user)

    subscriptions.expire_ended_plan_credits(now=subscription.current_period_end + timedelta(minutes=1))

    assert _balance(user) == balance - 60  # 500 kept (the cap), 60 expire
    subscription.refresh_from_db()
    assert (subscription.period_credits, subscription.carried_credits) == (0, 500)


# --- defect 6 (webhooks): the broker down at commit fails nothing that was done -----------------------


@pytest.fixture
def broker_down(monkeypatch):
    """Workers not eager, and a broker that refuses connections; yields a function that puts all back."""
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    changes = {
        "task_always_eager": False,
        "broker_url": UNREACHABLE_BROKER,
        "broker_connection_retry": False,
        "broker_connection_max_retries": 0,
        "task_publish_retry": False,
    }
    saved = {key: celery_app.conf[key] for key in changes}
    saved_pools = celery_app._pool, celery_app.amqp._producer_pool
    celery_app.conf.update(changes)
    celery_app._pool = celery_app.amqp._producer_pool = None
    back: list[bool] = []

    def bring_back() -> None:
        if back:
            return
        back.append(True)
        down_pool = celery_app._pool
        celery_app.conf.update(saved)
        celery_app._pool, celery_app.amqp._producer_pool = saved_pools
        if down_pool is not None:
            down_pool.force_close_all()

    yield bring_back
    bring_back()


def test_broker_down_at_commit_keeps_the_webhook_processed_and_the_sweep_sends_the_receipt(
    auth_client, user, on_sale, deliver, django_capture_on_commit_callbacks, request
):
    session_id = _buy(auth_client, on_sale)
    (event,) = on_sale.complete_checkout(session_id, send=False)
    mail.outbox.clear()
    before = _balance(user)

    bring_broker_back = request.getfixturevalue("broker_down")
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(event)

    assert response.status_code == 200
    stored = StripeEvent.objects.get(event_id=event["id"])
    assert (stored.status, stored.attempts, stored.error) == (EventStatus.PROCESSED, 1, "")
    payment = Payment.objects.get(provider_payment_id=session_id)
    assert (payment.status, _balance(user)) == (PaymentStatus.SUCCEEDED, before + 220)
    assert payment.receipt_sent_at is None  # recorded as not sent
    assert mail.outbox == []

    # The broker is back (the suite's eager mode): the sweep sends it, once.
    bring_broker_back()
    later = payment.paid_at + timedelta(minutes=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert receipts.send_unsent_receipts(now=later) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert receipts.send_unsent_receipts(now=later) == 0
    assert len(mail.outbox) == 1
    assert "receipt" in mail.outbox[0].subject.lower()
    assert Payment.objects.get(pk=payment.pk).receipt_sent_at is not None


# --- defect 8: the sign-up bonus is granted in the transaction that opens the account -----------------


def test_an_account_never_opens_without_its_welcome_credits(db, settings):
    settings.CREDITS_SIGNUP_BONUS = 25
    user = UserFactory()
    # The bonus entry cannot be written (its key is taken): the account must not open without it.
    grant_credits(user=UserFactory(), amount=5, type=TransactionType.BONUS, idempotency_key=f"signup-bonus:{user.pk}")

    with pytest.raises(IntegrityError):
        get_or_open_account(user=user)

    assert not CreditAccount.objects.filter(user=user).exists()


def test_opening_an_account_grants_the_welcome_credits_once(db, settings):
    settings.CREDITS_SIGNUP_BONUS = 25
    user = UserFactory()
    first = get_or_open_account(user=user)
    second = get_or_open_account(user=user)
    assert (first.pk, first.balance, second.balance) == (second.pk, 25, 25)
    (entry,) = CreditTransaction.objects.filter(account=first)
    assert (entry.type, entry.amount, entry.idempotency_key) == (
        TransactionType.SIGNUP_BONUS,
        25,
        f"signup-bonus:{user.pk}",
    )
    assert datetime.now(tz=UTC) >= entry.created_at
