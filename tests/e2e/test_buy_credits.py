"""Buying a credit pack end to end in a real browser, against the local fake Stripe (tests/fakes/stripe_server.py).

The fake hosts the payment page and, when the customer pays, sends the signed
`checkout.session.completed` webhook to the live server before sending the browser
back to our success page, as Stripe does. With its webhook switched off, the success
page itself asks Stripe and grants; the late webhook then grants nothing more.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from credits.constants import EventStatus, PaymentStatus, TransactionType
from credits.models import CreditPackage, CreditTransaction, Payment, StripeEvent
from credits.services import billing, get_or_open_account
from credits.services.reconcile import find_discrepancies
from tests.factories import PASSWORD, UserFactory
from tests.fakes.stripe_server import FakeStripeServer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WEBHOOK_SECRET = "whsec_test_e2e_0123456789"
PACK_CREDITS = 220  # "Regular": 200 + 20 bonus, for 18.00 USD


@pytest.fixture
def stripe_fake(settings, live_server):
    """A fake Stripe the app talks to, sending its webhooks to the live server; the packs pushed to it by staff."""
    with FakeStripeServer(webhook_secret=WEBHOOK_SECRET) as fake:
        settings.STRIPE_SECRET_KEY = "sk_test_e2e_0123456789"
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_API_BASE = fake.base_url
        settings.STRIPE_TIMEOUT_SECONDS = 5
        settings.SITE_URL = live_server.url  # Stripe's success and cancel URLs come back here
        fake.webhook_url = live_server.url + reverse("credits:stripe_webhook")
        staff = UserFactory(is_staff=True, is_superuser=True)
        for package in CreditPackage.objects.all():
            billing.push_package_to_stripe(package=package, actor=staff)
        yield fake


@pytest.fixture
def buyer(page, live_server, stripe_fake):
    """A signed-in user with only the welcome credits."""
    user = UserFactory()
    page.goto("/accounts/login/")
    page.get_by_label(re.compile(r"^Email(\s*\*)?$")).fill(user.email)
    page.get_by_label(re.compile(r"^Password(\s*\*)?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(f"{live_server.url}/dashboard/")
    return user


def _balance(user) -> int:
    return get_or_open_account(user=user).balance


def _url(live_server, name: str) -> str:
    return live_server.url + reverse(name)


def _to_pay_page(page, stripe_fake) -> str:
    """From the packs page, buy "Regular" and land on Stripe's payment page; returns the session id."""
    page.get_by_test_id("buy-pack-200").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(stripe_fake.base_url)}/pay/cs_test_\d+$"))
    expect(page.get_by_role("heading", name="Test checkout")).to_be_visible()
    expect(page.get_by_text("Amount due: 18.00 USD")).to_be_visible()
    return page.url.rsplit("/", 1)[1]


def _success_url(live_server, session_id: str) -> str:
    return f"{_url(live_server, 'credits:checkout_success')}?session_id={session_id}"


def _expect_granted(page, available: int) -> None:
    granted = page.get_by_test_id("checkout-granted")
    expect(granted).to_be_visible()  # the page polls every 2 s until then
    expect(granted).to_contain_text(f"{PACK_CREDITS} credits were added to your account.")
    expect(page.get_by_test_id("checkout-available")).to_have_text(str(available))
    expect(page.locator("#checkout-status[hx-trigger]")).to_have_count(0)  # done: no more polling


def _assert_one_grant(user, session_id: str, before: int) -> Payment:
    assert _balance(user) == before + PACK_CREDITS
    (entry,) = CreditTransaction.objects.filter(account__user=user, type=TransactionType.PURCHASE)
    assert (entry.amount, entry.idempotency_key) == (PACK_CREDITS, f"stripe-checkout:{session_id}")
    payment = Payment.objects.get(provider_payment_id=session_id)
    assert (payment.status, payment.credits, payment.amount, payment.currency) == (
        PaymentStatus.SUCCEEDED,
        PACK_CREDITS,
        Decimal("18.00"),
        "usd",
    )
    assert payment.grant_id == entry.pk
    assert find_discrepancies() == []
    return payment


def _assert_one_receipt(mailoutbox, user, payment) -> None:
    assert [(m.subject, m.to) for m in mailoutbox] == [("Your CraftAds receipt: 18.00 USD", [user.email])]
    body = mailoutbox[0].body
    assert "What:     Regular credit pack" in body
    assert f"Credits:  {PACK_CREDITS}" in body
    assert f"Your invoice: {payment.invoice_url}" in body


def test_a_user_buys_a_pack_and_the_webhook_grants_it(
    page, live_server, stripe_fake, buyer, mailoutbox, screenshot, phone_screenshot, browser_problems
):
    before = _balance(buyer)

    # Credits overview → plans → back → Buy credits.
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Credits & billing").click()
    expect(page).to_have_url(_url(live_server, "credits:index"))
    expect(page.get_by_test_id("credits-available")).to_have_text(str(before))
    screenshot(page, "credits-01-overview")

    page.get_by_role("main").get_by_role("link", name="See plans").click()
    expect(page).to_have_url(_url(live_server, "credits:plans"))
    expect(page.get_by_text("You are on the Free plan.")).to_be_visible()
    screenshot(page, "credits-02-plans")
    phone_screenshot(reverse("credits:plans"), "phone-credits-02-plans")

    page.get_by_role("navigation", name="breadcrumb").get_by_role("link", name="Credits").click()
    page.get_by_role("main").get_by_role("link", name="Buy credits").click()
    expect(page).to_have_url(_url(live_server, "credits:packs"))
    expect(page.get_by_text(f"You have {before} credits available.")).to_be_visible()
    screenshot(page, "credits-03-packs")
    phone_screenshot(reverse("credits:packs"), "phone-credits-03-packs")

    # Stripe's hosted page: pay.
    session_id = _to_pay_page(page, stripe_fake)
    screenshot(page, "credits-04-pay")
    phone_screenshot(page.url, "phone-credits-04-pay")
    assert not CreditTransaction.objects.filter(type=TransactionType.PURCHASE).exists()
    page.locator("#pay").click()

    # Back on our success page: the credits are there.
    expect(page).to_have_url(_success_url(live_server, session_id))
    expect(page.get_by_role("heading", name="Thank you for your purchase")).to_be_visible()
    _expect_granted(page, before + PACK_CREDITS)
    screenshot(page, "credits-05-success")
    phone_screenshot(page.url, "phone-credits-05-success")

    # The webhook did it (delivered before Stripe sent the browser back), once; the page found it done.
    (event,) = StripeEvent.objects.all()
    assert (event.type, event.status, event.attempts) == ("checkout.session.completed", EventStatus.PROCESSED, 1)
    payment = _assert_one_grant(buyer, session_id, before)
    assert payment.invoice_url.startswith(f"{stripe_fake.base_url}/invoice/in_test_")
    _assert_one_receipt(mailoutbox, buyer, payment)

    # Payments and invoices lists it, with the invoice at Stripe.
    page.get_by_role("link", name="Back to credits").click()
    expect(page.get_by_test_id("credits-available")).to_have_text(str(before + PACK_CREDITS))
    page.get_by_role("main").get_by_role("link", name="Payments and invoices").click()
    expect(page).to_have_url(_url(live_server, "credits:payments"))
    (row,) = page.get_by_role("row").filter(has_text="Regular credit pack").all()
    expect(row).to_contain_text("18.00 USD")
    expect(row).to_contain_text(str(PACK_CREDITS))
    expect(row).to_contain_text("Paid")
    invoice_link = row.get_by_role("link", name=re.compile(r"^Open invoice"))
    expect(invoice_link).to_have_attribute("href", payment.invoice_url)
    screenshot(page, "credits-06-payments")
    with page.context.expect_page() as opened:
        invoice_link.click()
    expect(opened.value.get_by_role("heading", name="Invoice")).to_be_visible()

    assert _balance(buyer) == before + PACK_CREDITS
    assert len(mailoutbox) == 1
    assert browser_problems == []


def test_without_the_webhook_the_success_page_grants_and_the_late_webhook_adds_nothing(
    page, live_server, stripe_fake, buyer, mailoutbox, browser_problems
):
    stripe_fake.webhook_url = None  # Stripe's webhook is late
    before = _balance(buyer)
    page.goto(reverse("credits:packs"))
    session_id = _to_pay_page(page, stripe_fake)
    page.locator("#pay").click()

    expect(page).to_have_url(_success_url(live_server, session_id))
    _expect_granted(page, before + PACK_CREDITS)
    assert not StripeEvent.objects.exists()  # nothing was delivered: the page asked Stripe and granted
    payment = _assert_one_grant(buyer, session_id, before)
    _assert_one_receipt(mailoutbox, buyer, payment)

    (late,) = [event for event in stripe_fake.events if event["type"] == "checkout.session.completed"]
    assert late["data"]["object"]["id"] == session_id
    assert stripe_fake.deliver(late, _url(live_server, "credits:stripe_webhook")) == 200

    assert StripeEvent.objects.get().status == EventStatus.PROCESSED
    _assert_one_grant(buyer, session_id, before)
    assert len(mailoutbox) == 1
    page.reload()
    _expect_granted(page, before + PACK_CREDITS)
    assert browser_problems == []


def test_the_success_page_waits_for_stripe_and_shows_the_credits_when_paid(
    page, live_server, stripe_fake, buyer, mailoutbox, screenshot, browser_problems
):
    stripe_fake.webhook_url = None
    before = _balance(buyer)
    page.goto(reverse("credits:packs"))
    session_id = _to_pay_page(page, stripe_fake)

    # Back on our page before Stripe has the payment: it says it is waiting, and polls.
    page.goto(_success_url(live_server, session_id))
    waiting = page.get_by_test_id("checkout-waiting")
    expect(waiting).to_contain_text("Waiting for Stripe to confirm your payment")
    expect(page.locator("#checkout-status")).to_have_attribute("hx-trigger", "every 2s")
    screenshot(page, "credits-07-waiting")
    assert _balance(buyer) == before
    assert Payment.objects.get(provider_payment_id=session_id).status == PaymentStatus.PENDING

    stripe_fake.complete_checkout(session_id, send=False)  # paid at Stripe; no webhook comes

    _expect_granted(page, before + PACK_CREDITS)
    expect(waiting).to_have_count(0)
    payment = _assert_one_grant(buyer, session_id, before)
    _assert_one_receipt(mailoutbox, buyer, payment)
    assert browser_problems == []


def test_leaving_the_payment_page_charges_nothing(
    page, live_server, stripe_fake, buyer, mailoutbox, screenshot, phone_screenshot, browser_problems
):
    before = _balance(buyer)
    page.goto(reverse("credits:packs"))
    session_id = _to_pay_page(page, stripe_fake)
    page.locator("#cancel").click()  # "Back"

    expect(page).to_have_url(f"{_url(live_server, 'credits:checkout_cancel')}?session_id={session_id}")
    expect(page.get_by_role("heading", name="Checkout cancelled")).to_be_visible()
    expect(page.get_by_text("Nothing was charged.")).to_be_visible()
    screenshot(page, "credits-08-cancelled")
    phone_screenshot(page.url, "phone-credits-08-cancelled")

    assert _balance(buyer) == before
    assert not CreditTransaction.objects.filter(type=TransactionType.PURCHASE).exists()
    assert Payment.objects.get(provider_payment_id=session_id).status == PaymentStatus.PENDING
    assert not StripeEvent.objects.exists()
    assert mailoutbox == []
    page.get_by_role("link", name="Back to credit packs").click()
    expect(page).to_have_url(_url(live_server, "credits:packs"))
    assert browser_problems == []
