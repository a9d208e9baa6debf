"""Stripe billing against a local fake Stripe (tests/fakes/stripe_server.py) and signed webhooks."""

import time
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from credits.constants import EventStatus, PaymentStatus, SubscriptionStatus, TransactionType
from credits.models import (
    CreditAccount,
    CreditPackage,
    CreditShortfall,
    CreditTransaction,
    Payment,
    StripeEvent,
    SubscriptionPlan,
    UserSubscription,
)
from credits.services import billing, get_or_open_account, reversals, spend_credits
from credits.services.reconcile import find_discrepancies

pytestmark = pytest.mark.django_db(transaction=False)


def _balance(user) -> int:
    return get_or_open_account(user=user).balance


def _buy(auth_client, fake, slug="pack-200") -> str:
    """Start a pack checkout through the page; returns the Checkout session id."""
    package = CreditPackage.objects.get(slug=slug)
    response = auth_client.post(reverse("credits:buy_pack", args=[package.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(f"{fake.base_url}/pay/")
    return response["Location"].rsplit("/", 1)[1]


def _subscribe(auth_client, fake, slug="pro") -> str:
    plan = SubscriptionPlan.objects.get(slug=slug)
    response = auth_client.post(reverse("credits:subscribe", args=[plan.pk]))
    assert response.status_code == 302, response.content
    return response["Location"].rsplit("/", 1)[1]


def test_buying_is_switched_off_without_stripe_keys(auth_client, user, settings):
    settings.STRIPE_SECRET_KEY = ""
    package = CreditPackage.objects.get(slug="pack-50")
    page = auth_client.get(reverse("credits:packs")).content.decode()
    assert "Buying is switched off on this installation" in page
    assert 'disabled aria-disabled="true"' in page
    response = auth_client.post(reverse("credits:buy_pack", args=[package.pk]), follow=True)
    assert "Buying credits is switched off on this installation." in response.content.decode()
    assert not Payment.objects.exists()


def test_a_pack_not_pushed_to_stripe_is_refused_with_a_message(auth_client, user, fake_stripe):
    package = CreditPackage.objects.get(slug="pack-50")
    response = auth_client.post(reverse("credits:buy_pack", args=[package.pk]), follow=True)
    assert "not ready for sale yet" in response.content.decode()
    assert not Payment.objects.exists()
    assert not fake_stripe.objects.get("checkout.session")


def test_checkout_session_carries_the_pack_and_an_idempotency_key(auth_client, user, on_sale):
    session_id = _buy(auth_client, on_sale)
    session = on_sale.objects["checkout.session"][session_id]
    package = CreditPackage.objects.get(slug="pack-200")
    assert session["mode"] == "payment"
    assert session["_price"] == package.stripe_price_id
    assert session["metadata"]["credits"] == "220"
    assert session["metadata"]["user_id"] == str(user.pk)
    payment = Payment.objects.get(provider_payment_id=session_id)
    assert (payment.status, payment.credits, payment.amount) == (PaymentStatus.PENDING, 220, Decimal("18.00"))
    posts = [params for method, path, params in on_sale.requests if path == "/v1/checkout/sessions"]
    assert len(posts) == 1
    assert CreditAccount.objects.get(user=user).stripe_customer_id in on_sale.objects["customer"]


def test_each_event_delivered_twice_grants_once_and_sends_one_receipt(
    auth_client, user, on_sale, deliver, django_capture_on_commit_callbacks
):
    before = _balance(user)
    session_id = _buy(auth_client, on_sale)
    events = on_sale.complete_checkout(session_id, send=False)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        for event in events + events:
            assert deliver(event).status_code == 200

    assert _balance(user) == before + 220
    payment = Payment.objects.get(provider_payment_id=session_id)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.grant.amount == 220
    assert payment.invoice_url.startswith(on_sale.base_url + "/invoice/")
    assert StripeEvent.objects.get(event_id=events[0]["id"]).status == EventStatus.PROCESSED
    assert CreditTransaction.objects.filter(type=TransactionType.PURCHASE).count() == 1
    assert len(mail.outbox) == 1
    assert "receipt" in mail.outbox[0].subject.lower()
    assert "220" in mail.outbox[0].body
    assert find_discrepancies() == []


def test_success_page_and_webhook_together_grant_once(auth_client, user, on_sale, deliver):
    before = _balance(user)
    session_id = _buy(auth_client, on_sale)
    url = reverse("credits:checkout_success") + f"?session_id={session_id}"

    waiting = auth_client.get(url).content.decode()
    assert "Waiting for Stripe to confirm your payment" in waiting
    assert 'hx-trigger="every 2s"' in waiting

    events = on_sale.complete_checkout(session_id, send=False)
    done = auth_client.get(url, headers={"HX-Request": "true"}).content.decode()  # the page's poll
    assert "220 credits</strong> were added" in done
    assert "hx-trigger" not in done
    assert deliver(events[0]).status_code == 200  # the webhook lands after the page granted

    assert _balance(user) == before + 220
    assert CreditTransaction.objects.filter(type=TransactionType.PURCHASE).count() == 1


def test_another_users_checkout_answers_404(auth_client, user, other_user, on_sale):
    other_client = Client()
    other_client.force_login(other_user)
    session_id = _buy(other_client, on_sale)
    on_sale.complete_checkout(session_id, send=False)
    response = auth_client.get(reverse("credits:checkout_success") + f"?session_id={session_id}")
    assert response.status_code == 404
    assert not CreditTransaction.objects.filter(type=TransactionType.PURCHASE).exists()


@pytest.mark.parametrize(
    "signature",
    [
        "t=1,v1=deadbeef",  # wrong and ancient
        "",  # missing
        "garbage",
    ],
)
def test_bad_signature_is_refused_with_400_and_changes_nothing(auth_client, user, on_sale, deliver, signature):
    before = _balance(user)
    session_id = _buy(auth_client, on_sale)
    (event,) = on_sale.complete_checkout(session_id, send=False)
    response = deliver(event, signature=signature)
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    assert _balance(user) == before


def test_signature_with_another_secret_or_too_old_is_refused(auth_client, user, on_sale, deliver):
    session_id = _buy(auth_client, on_sale)
    (event,) = on_sale.complete_checkout(session_id, send=False)
    assert deliver(event, secret="whsec_someone_else").status_code == 400
    assert deliver(event, timestamp=int(time.time()) - 301).status_code == 400
    assert not StripeEvent.objects.exists()
    assert deliver(event, timestamp=int(time.time()) - 200).status_code == 200


def test_event_for_an_unknown_customer_fails_so_stripe_retries(db, on_sale, deliver):
    event = {
        "id": "evt_unknown_1",
        "object": "event",
        "type": "charge.refunded",
        "created": int(time.time()),
        "data": {"object": {"id": "ch_x", "payment_intent": "pi_nobody", "amount": 500, "amount_refunded": 500}},
    }
    response = deliver(event)
    assert response.status_code == 500
    stored = StripeEvent.objects.get(event_id="evt_unknown_1")
    assert stored.status == EventStatus.FAILED
    assert "pi_nobody" in stored.error


def test_unhandled_event_types_are_stored_and_ignored(db, fake_stripe, deliver):
    event = {"id": "evt_other", "object": "event", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}
    assert deliver(event).status_code == 200
    assert StripeEvent.objects.get(event_id="evt_other").status == EventStatus.IGNORED


def test_subscription_events_in_any_order_end_in_the_same_state(auth_client, user, on_sale, deliver):
    before = _balance(user)
    session_id = _subscribe(auth_client, on_sale, "pro")
    created, paid, completed = on_sale.complete_checkout(session_id, send=False)
    assert [created["type"], paid["type"], completed["type"]] == [
        "customer.subscription.created",
        "invoice.paid",
        "checkout.session.completed",
    ]
    for event in (completed, paid, created, paid, completed):  # reversed, and replayed
        assert deliver(event).status_code == 200

    subscription = UserSubscription.objects.get(user=user)
    assert (subscription.plan.slug, subscription.status) == ("pro", SubscriptionStatus.ACTIVE)
    assert subscription.period_credits == 600
    assert _balance(user) == before + 600
    assert billing.plans.tier_for_user(user) == "pro"
    assert billing.plans.watermark_required(user=user) is False
    assert Payment.objects.get(subscription=subscription).status == PaymentStatus.SUCCEEDED
    assert subscription.changes.count() == 1


def test_a_stale_subscription_update_after_cancellation_keeps_it_cancelled(auth_client, user, on_sale, deliver):
    session_id = _subscribe(auth_client, on_sale, "starter")
    for event in on_sale.complete_checkout(session_id, send=False):
        deliver(event)
    subscription_id = UserSubscription.objects.get(user=user).stripe_subscription_id
    (stale_update,) = on_sale.update_subscription(subscription_id, cancel_at_period_end=True, send=False)
    (deleted,) = on_sale.update_subscription(subscription_id, status="canceled", send=False)
    assert deliver(deleted).status_code == 200
    assert deliver(stale_update).status_code == 200  # arrives late

    subscription = UserSubscription.objects.get(user=user)
    assert subscription.status == SubscriptionStatus.CANCELED
    assert billing.plans.tier_for_user(user) == "free"
    assert billing.plans.watermark_required(user=user) is True
    assert [change.to_status for change in subscription.changes.order_by("created_at")] == ["active", "canceled"]


def test_renewal_expires_unused_credits_on_an_expiring_plan(auth_client, user, on_sale, deliver):
    session_id = _subscribe(auth_client, on_sale, "starter")  # 150 a month, unused expire
    for event in on_sale.complete_checkout(session_id, send=False):
        deliver(event)
    start = _balance(user)
    spend_credits(user=user, amount=100, reference_type="test", reference_id="1")
    subscription = UserSubscription.objects.get(user=user)

    for event in on_sale.renew(subscription.stripe_subscription_id, send=False):
        assert deliver(event).status_code == 200

    # 50 unused plan credits expire; 150 new ones arrive; the welcome credits stay.
    assert _balance(user) == start - 100 - 50 + 150
    expiry = CreditTransaction.objects.get(type=TransactionType.EXPIRY)
    assert expiry.amount == -50
    assert UserSubscription.objects.get(pk=subscription.pk).period_credits == 150
    assert find_discrepancies() == []


def test_renewal_rolls_unused_credits_over_up_to_the_cap(auth_client, user, on_sale, deliver):
    plan = SubscriptionPlan.objects.get(slug="pro")
    plan.rollover_cap = 500
    plan.save()
    session_id = _subscribe(auth_client, on_sale, "pro")  # 600 a month
    for event in on_sale.complete_checkout(session_id, send=False):
        deliver(event)
    start = _balance(user)
    spend_credits(user=user, amount=40, reference_type="test", reference_id="1")
    subscription = UserSubscription.objects.get(user=user)

    for event in on_sale.renew(subscription.stripe_subscription_id, send=False):
        deliver(event)

    # 560 unused: 500 carried (the cap), 60 expire, 600 new.
    subscription.refresh_from_db()
    assert (subscription.carried_credits, subscription.period_credits) == (500, 1100)
    assert _balance(user) == start - 40 - 60 + 600


def test_failed_renewal_marks_the_plan_past_due_and_emails_once(
    auth_client, user, on_sale, deliver, django_capture_on_commit_callbacks
):
    session_id = _subscribe(auth_client, on_sale, "starter")
    for event in on_sale.complete_checkout(session_id, send=False):
        deliver(event)
    balance = _balance(user)
    subscription = UserSubscription.objects.get(user=user)
    mail.outbox.clear()

    events = on_sale.renew(subscription.stripe_subscription_id, paid=False, send=False)
    with django_capture_on_commit_callbacks(execute=True):
        for event in events + events:
            deliver(event)

    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.PAST_DUE
    failed = Payment.objects.get(status=PaymentStatus.FAILED)
    assert failed.failure_message == "Your card was declined."
    assert _balance(user) == balance
    assert [m.subject for m in mail.outbox] == ["Your CraftAds payment did not go through"]


def test_refund_takes_credits_back_and_records_the_shortfall(auth_client, user, on_sale, deliver):
    session_id = _buy(auth_client, on_sale, "pack-50")
    for event in on_sale.complete_checkout(session_id, send=False):
        deliver(event)
    payment = Payment.objects.get(provider_payment_id=session_id)
    welcome = _balance(user) - 50
    spend_credits(user=user, amount=welcome + 30, reference_type="test", reference_id="1")  # 20 of the 50 left

    events = on_sale.refund_from_dashboard(payment.payment_intent_id, send=False)
    for event in events + events:
        assert deliver(event).status_code == 200

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.amount_refunded == Decimal("5.00")
    assert payment.credits_taken_back == 50
    assert _balance(user) == 0
    shortfall = CreditShortfall.objects.get()
    assert (shortfall.amount, shortfall.requested) == (30, 50)
    assert find_discrepancies() == []


def test_partial_refunds_take_back_in_proportion(auth_client, user, on_sale, deliver):
    session_id = _buy(auth_client, on_sale, "pack-200")  # 220 credits for 18.00
    for event in on_sale.complete_checkout(session_id, send=False):
        deliver(event)
    payment = Payment.objects.get(provider_payment_id=session_id)
    before = _balance(user)

    for event in on_sale.refund_from_dashboard(payment.payment_intent_id, amount=900, send=False):
        deliver(event)
    assert _balance(user) == before - 110
    for event in on_sale.refund_from_dashboard(payment.payment_intent_id, amount=900, send=False):
        deliver(event)
    assert _balance(user) == before - 220
    payment.refresh_from_db()
    assert (payment.status, payment.credits_taken_back) == (PaymentStatus.REFUNDED, 220)


def test_staff_refund_goes_through_stripe_and_the_webhook_takes_the_credits(
    auth_client, user, on_sale, staff_user, deliver
):
    on_sale.webhook_url = None
    session_id = _buy(auth_client, on_sale, "pack-50")
    for event in on_sale.complete_checkout(session_id, send=False):
        deliver(event)
    payment = Payment.objects.get(provider_payment_id=session_id)

    reversals.refund_payment(payment_id=payment.pk, actor=staff_user)
    refund_events = [event for event in on_sale.events if event["type"] == "charge.refunded"]
    assert len(refund_events) == 1
    assert AuditEvent.objects.filter(action="payment.refunded", actor=staff_user).exists()
    deliver(refund_events[0])
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    with pytest.raises(billing.BillingError):
        reversals.refund_payment(payment_id=payment.pk, actor=staff_user)


def test_stripe_down_while_starting_checkout_creates_nothing(auth_client, user, on_sale):
    on_sale.fail_next.extend([(500, "boom")] * 5)
    package = CreditPackage.objects.get(slug="pack-50")
    response = auth_client.post(reverse("credits:buy_pack", args=[package.pk]), follow=True)
    assert "Stripe could not be reached" in response.content.decode()
    assert not Payment.objects.exists()


def test_plan_holders_change_plans_in_the_billing_portal(auth_client, user, on_sale, deliver):
    session_id = _subscribe(auth_client, on_sale, "starter")
    for event in on_sale.complete_checkout(session_id, send=False):
        deliver(event)
    pro = SubscriptionPlan.objects.get(slug="pro")
    refused = auth_client.post(reverse("credits:subscribe", args=[pro.pk]), follow=True).content.decode()
    assert "You already have a plan" in refused
    portal = auth_client.post(reverse("credits:manage_billing"))
    assert portal.status_code == 302
    assert portal["Location"].startswith(f"{on_sale.base_url}/portal/")
    page = auth_client.get(reverse("credits:plans")).content.decode()
    assert "Your plan" in page
    assert "Switch in billing" in page


def test_payments_page_lists_only_my_payments_with_invoice_links(auth_client, user, other_user, on_sale, deliver):
    session_id = _buy(auth_client, on_sale, "pack-50")
    for event in on_sale.complete_checkout(session_id, send=False):
        deliver(event)
    other_account = get_or_open_account(user=other_user)
    Payment.objects.create(
        user=other_user, account=other_account, kind="credit_pack", provider_payment_id="cs_other",
        amount=Decimal("99.00"), currency="usd", status=PaymentStatus.SUCCEEDED, credits=1,
    )  # fmt: skip
    page = auth_client.get(reverse("credits:payments")).content.decode()
    assert "Taster credit pack" in page
    assert "Open invoice" in page
    assert "99.00" not in page


def test_push_to_stripe_creates_a_new_price_when_the_price_changes(db, fake_stripe, staff_user):
    package = CreditPackage.objects.get(slug="pack-50")
    billing.push_package_to_stripe(package=package, actor=staff_user)
    first_product, first_price = package.stripe_product_id, package.stripe_price_id
    billing.push_package_to_stripe(package=package, actor=staff_user)
    assert (package.stripe_product_id, package.stripe_price_id) == (first_product, first_price)  # key replayed
    package.price = Decimal("6.00")
    package.save()
    billing.push_package_to_stripe(package=package, actor=staff_user)
    assert package.stripe_product_id == first_product
    assert package.stripe_price_id != first_price
    assert fake_stripe.objects["price"][package.stripe_price_id]["unit_amount"] == 600
    with pytest.raises(billing.BillingError):
        billing.push_plan_to_stripe(plan=SubscriptionPlan.objects.get(slug="free"), actor=staff_user)


def test_cancel_page_says_nothing_was_charged(auth_client):
    page = auth_client.get(reverse("credits:checkout_cancel") + "?session_id=cs_x").content.decode()
    assert "Nothing was charged" in page


def test_expired_checkout_marks_the_payment_expired(auth_client, user, on_sale, deliver):
    session_id = _buy(auth_client, on_sale)
    (event,) = on_sale.expire_checkout(session_id, send=False)
    assert deliver(event).status_code == 200
    assert Payment.objects.get(provider_payment_id=session_id).status == PaymentStatus.EXPIRED
    assert parse_qs(urlsplit(on_sale.objects["checkout.session"][session_id]["success_url"]).query)["session_id"] == [
        "{CHECKOUT_SESSION_ID}"
    ]


def test_reconciliation_reports_a_completed_payment_without_its_grant(auth_client, user, on_sale, deliver):
    session_id = _buy(auth_client, on_sale, "pack-50")
    for event in on_sale.complete_checkout(session_id, send=False):
        deliver(event)
    assert find_discrepancies() == []
    # A payment marked paid by hand (or a bug) without the credits it bought:
    Payment.objects.create(
        user=user, account=get_or_open_account(user=user), kind="credit_pack", provider_payment_id="cs_by_hand",
        amount=Decimal("5.00"), currency="usd", status=PaymentStatus.SUCCEEDED, credits=50,
    )  # fmt: skip
    (problem,) = find_discrepancies()
    assert problem.kind == "payment"
    assert "completed payment of 50 credits has no grant" in str(problem)


def test_billing_api_lists_offers_starts_checkout_and_shows_my_payments(user, other_user, on_sale, deliver):
    api = APIClient()
    api.force_authenticate(user)
    packs = api.get("/api/v1/credits/packs/").json()
    assert [(p["slug"], p["total_credits"]) for p in packs] == [("pack-50", 50), ("pack-200", 220), ("pack-500", 575)]
    plans = api.get("/api/v1/credits/plans/").json()
    assert [p["slug"] for p in plans] == ["free", "starter", "pro", "business"]
    assert api.get("/api/v1/credits/plan/").json()["plan"] == "free"

    started = api.post(f"/api/v1/credits/packs/{packs[0]['id']}/checkout/")
    assert started.status_code == 201
    session_id = started.json()["checkout_url"].rsplit("/", 1)[1]
    for event in on_sale.complete_checkout(session_id, send=False):
        deliver(event)
    payments = api.get("/api/v1/credits/payments/").json()["results"]
    assert [(p["status"], p["credits"]) for p in payments] == [("succeeded", 50)]

    other = APIClient()
    other.force_authenticate(other_user)
    assert other.get("/api/v1/credits/payments/").json()["results"] == []
    bad = api.post("/api/v1/credits/plans/00000000-0000-0000-0000-000000000000/checkout/")
    assert (bad.status_code, bad.json()["detail"]) == (400, "This plan is not available.")


def test_billing_api_says_when_buying_is_off(user, settings):
    settings.STRIPE_SECRET_KEY = ""
    api = APIClient()
    api.force_authenticate(user)
    pack = CreditPackage.objects.get(slug="pack-50")
    response = api.post(f"/api/v1/credits/packs/{pack.pk}/checkout/")
    # An installation without Stripe is a state, not a server error: 409 with a code.
    assert response.status_code == 409
    assert response.json() == {"detail": "Buying credits is switched off on this installation.", "code": "billing_off"}
