"""Staff billing work in the admin: packs and plans to Stripe, refunds, events, reconciliation."""

from decimal import Decimal

from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from credits.constants import EventStatus, PaymentStatus
from credits.models import CreditAccount, CreditPackage, Payment, StripeEvent, SubscriptionPlan
from credits.services import get_or_open_account
from tests.factories import UserFactory


def _action(client, model: str, action: str, pks) -> str:
    response = client.post(
        reverse(f"admin:credits_{model}_changelist"),
        {"action": action, "_selected_action": [str(pk) for pk in pks]},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_staff_push_packs_and_plans_to_stripe(admin_client_, fake_stripe):
    packs = list(CreditPackage.objects.values_list("pk", flat=True))
    page = _action(admin_client_, "creditpackage", "push_to_stripe", packs)
    assert f"{len(packs)} pushed to Stripe." in page
    assert all(CreditPackage.objects.values_list("stripe_price_id", flat=True))
    plans = list(SubscriptionPlan.objects.values_list("pk", flat=True))
    page = _action(admin_client_, "subscriptionplan", "push_to_stripe", plans)
    assert "The free plan is not sold through Stripe." in page
    assert "3 pushed to Stripe." in page
    assert AuditEvent.objects.filter(action="billing.plan_pushed").count() == 3


def test_push_without_stripe_keys_says_so(admin_client_, settings):
    settings.STRIPE_SECRET_KEY = ""
    page = _action(admin_client_, "creditpackage", "push_to_stripe", CreditPackage.objects.values_list("pk", flat=True))
    assert "Stripe is not configured" in page


def test_packs_and_plans_cannot_be_deleted_and_edits_are_audited(admin_client_):
    package = CreditPackage.objects.get(slug="pack-50")
    assert admin_client_.get(reverse("admin:credits_creditpackage_delete", args=[package.pk])).status_code == 403
    response = admin_client_.post(
        reverse("admin:credits_creditpackage_change", args=[package.pk]),
        {
            "name": "Taster",
            "slug": "pack-50",
            "description": "",
            "credits": 60,
            "bonus_credits": 0,
            "price": "5.00",
            "currency": "usd",
            "is_active": "on",
            "badge": "",
            "display_order": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="billing.package_changed")
    assert event.details == {"credits": "60"}


def test_refund_from_the_admin_is_audited_and_refused_when_too_large(admin_client_, staff_user, on_sale, deliver):
    buyer = Client()
    user = UserFactory()
    buyer.force_login(user)
    package = CreditPackage.objects.get(slug="pack-50")
    session_id = buyer.post(reverse("credits:buy_pack", args=[package.pk]))["Location"].rsplit("/", 1)[1]
    for event in on_sale.complete_checkout(session_id, send=False):
        deliver(event)
    payment = Payment.objects.get(provider_payment_id=session_id)
    url = reverse("admin:credits_payment_refund", args=[payment.pk])
    change_page = admin_client_.get(reverse("admin:credits_payment_change", args=[payment.pk])).content.decode()
    assert url in change_page

    too_much = admin_client_.post(url, {"amount": "9.00", "confirm": "on"}).content.decode()
    assert "Enter an amount between 0.01 and 5.00." in too_much
    assert not [event for event in on_sale.events if event["type"] == "charge.refunded"]

    response = admin_client_.post(url, {"amount": "2.50", "confirm": "on"}, follow=True)
    assert "The credits are taken back when Stripe confirms it." in response.content.decode()
    assert AuditEvent.objects.get(action="payment.refunded").details["amount"] == "2.50"
    (refunded,) = [event for event in on_sale.events if event["type"] == "charge.refunded"]
    before = CreditAccount.objects.get(user=user).balance
    deliver(refunded)
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.PARTIALLY_REFUNDED, Decimal("2.50"))
    assert CreditAccount.objects.get(user=user).balance == before - 25


def test_failed_events_can_be_retried_from_the_admin(admin_client_, fake_stripe, deliver):
    event = {
        "id": "evt_retry",
        "object": "event",
        "type": "charge.refunded",
        "data": {"object": {"id": "ch_1", "payment_intent": "pi_missing", "amount": 100, "amount_refunded": 100}},
    }
    assert deliver(event).status_code == 500
    stored = StripeEvent.objects.get(event_id="evt_retry")
    page = _action(admin_client_, "stripeevent", "retry_events", [stored.pk])
    assert "0 processed, 1 still failing." in page
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (EventStatus.FAILED, 2)


def test_reconciliation_page_reports_differences(admin_client_, user):
    account = get_or_open_account(user=user)
    url = reverse("admin:credits_creditaccount_reconciliation")
    assert "No differences found." in admin_client_.get(url).content.decode()
    CreditAccount.objects.filter(pk=account.pk).update(balance=account.balance + 7)
    page = admin_client_.get(url).content.decode()
    assert "(difference +7)" in page
    assert url in admin_client_.get(reverse("admin:credits_creditaccount_changelist")).content.decode()


def test_payments_and_subscriptions_are_read_only(admin_client_, user):
    payment = Payment.objects.create(
        user=user, account=get_or_open_account(user=user), kind="credit_pack", provider_payment_id="cs_1",
        amount=Decimal("5.00"), currency="usd", status=PaymentStatus.SUCCEEDED, credits=50,
    )  # fmt: skip
    assert admin_client_.get(reverse("admin:credits_payment_delete", args=[payment.pk])).status_code == 403
    assert admin_client_.get(reverse("admin:credits_payment_add")).status_code == 403
    assert admin_client_.get(reverse("admin:credits_usersubscription_changelist")).status_code == 200
    assert admin_client_.get(reverse("admin:credits_stripeevent_changelist")).status_code == 200
    assert admin_client_.get(reverse("admin:credits_creditshortfall_changelist")).status_code == 200
