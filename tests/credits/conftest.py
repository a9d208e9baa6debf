"""Billing fixtures: a local fake Stripe the SDK talks to over HTTP, and a way to deliver its events."""

import json

import pytest
from django.urls import reverse

from credits.models import CreditPackage, SubscriptionPlan
from credits.services import billing
from tests.fakes.stripe_server import FakeStripeServer, sign

WEBHOOK_SECRET = "whsec_test_0123456789"


@pytest.fixture
def fake_stripe(settings):
    with FakeStripeServer(webhook_secret=WEBHOOK_SECRET) as fake:
        settings.STRIPE_SECRET_KEY = "sk_test_fake_0123456789"
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_API_BASE = fake.base_url
        settings.STRIPE_TIMEOUT_SECONDS = 5
        yield fake


@pytest.fixture
def on_sale(fake_stripe, staff_user):
    """The seeded packs and plans, pushed to the fake Stripe as staff would."""
    for package in CreditPackage.objects.all():
        billing.push_package_to_stripe(package=package, actor=staff_user)
    for plan in SubscriptionPlan.objects.exclude(price=0):
        billing.push_plan_to_stripe(plan=plan, actor=staff_user)
    return fake_stripe


@pytest.fixture
def deliver(client):
    """POST an event to our webhook endpoint, signed as Stripe signs it; returns the response."""

    def post(event: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None, signature: str | None = None):
        payload = json.dumps(event).encode()
        header = signature if signature is not None else sign(payload, secret, timestamp)
        return client.post(
            reverse("credits:stripe_webhook"),
            data=payload,
            content_type="application/json",
            headers={"Stripe-Signature": header},
        )

    return post
