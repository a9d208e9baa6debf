"""Issue 12 in the browser, items 16 and 4: cancelling a queued generation and image operation from
their pages (with a confirmation), and templates that need the user's product photo (the gallery's
filter on desktop and a 390 px phone, the customise page asking for the photo first)."""

import re

import pytest
import redis
from django.conf import settings
from playwright.sync_api import expect

from credits import services as credit_services
from credits.models import CreditAccount
from credits.services.reconcile import find_discrepancies
from generations.models import Asset, Generation, GenerationStatus, ImageOperation, OperationStatus
from generations.services import generation as generation_services
from generations.services import operations as operation_services
from tests.e2e.conftest import PHONE, SCREENSHOT_DIR
from tests.e2e.test_first_hour import settle, sign_in
from tests.factories import UserFactory
from tests.generations.factories import AssetFactory
from tests.generations.worker_support import celery_sends_to
from tests.services import skip_unless_required
from tests.templates_app.factories import create_template, make_spec
from tests.templates_app.test_product_photo import product_spec

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def maker(db):
    user = UserFactory(email="maria@example.com", first_name="Maria")
    credit_services.get_or_open_account(user=user)
    return user


@pytest.fixture
def no_free_worker():
    """Jobs are sent to the run's Redis with no worker serving it: they stay queued, as behind a busy
    worker. The messages this test sent are removed afterwards."""
    if not settings.REDIS_URL:
        skip_unless_required("needs Redis as the broker (REDIS_URL)")
    with celery_sends_to(settings.REDIS_URL):
        yield
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(match="generation*"):  # one list per message priority
        client.delete(key)


def test_a_queued_generation_and_operation_are_cancelled_from_their_pages(
    page, maker, screenshot, no_free_worker, browser_problems
):
    template = create_template(name="Fresh pasta", spec=make_spec(formats=("1:1", "9:16")))
    before = CreditAccount.objects.get(user=maker).balance
    request = generation_services.GenerationRequest(
        template_id=template.pk, formats=["1:1", "9:16"], texts={"headline": "Fresh pasta today"}
    )
    [generation] = generation_services.request_generation(user=maker, request=request)
    assert CreditAccount.objects.get(user=maker).reserved == generation.credits_quoted == 2

    sign_in(page, maker)
    page.goto(f"/generations/{generation.pk}/")
    expect(page.get_by_test_id("status-badge").first).to_have_text("Queued")
    page.get_by_test_id("cancel-generation").click()
    confirm = page.get_by_test_id("confirm-cancel")
    expect(confirm).to_contain_text("Cancel this generation?")
    expect(confirm).to_contain_text("the 2 reserved credits go back to your balance")
    screenshot(page, "ux-cancel-generation-confirm")
    confirm.get_by_role("button", name="Yes, cancel it").click()
    page.wait_for_url(re.compile(rf"/generations/{generation.pk}/$"))
    expect(page.get_by_role("alert").or_(page.get_by_role("status")).first).to_be_visible()
    expect(page.locator("body")).to_contain_text("Cancelled. The 2 reserved credits went back to your balance.")
    expect(page.get_by_test_id("status-badge").first).to_have_text("Cancelled")
    expect(page.get_by_test_id("generation-cancelled")).to_be_visible()
    expect(page.get_by_test_id("cancel-generation")).to_have_count(0)
    screenshot(page, "ux-cancel-generation-done")

    generation.refresh_from_db()
    assert generation.status == GenerationStatus.CANCELLED
    assert not Asset.objects.filter(generation=generation).exists()
    account = CreditAccount.objects.get(user=maker)
    assert (account.balance, account.reserved) == (before, 0)

    page.goto("/generations/")
    expect(page.locator("body")).to_contain_text("Cancelled")
    screenshot(page, "ux-cancel-library")

    photo = AssetFactory(user=maker, size=(64, 48))
    operation = operation_services.request_image_operation(user=maker, asset_id=photo.pk, operation="upscale", factor=2)
    page.goto(f"/generations/operations/{operation.pk}/")
    page.get_by_test_id("cancel-operation").click()
    expect(page.get_by_test_id("confirm-cancel")).to_contain_text("Cancel this upscale?")
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.get_by_test_id("operation-cancelled")).to_contain_text("You cancelled this before it started")
    screenshot(page, "ux-cancel-operation-done")
    operation.refresh_from_db()
    assert operation.status == OperationStatus.CANCELLED
    assert ImageOperation.objects.get(pk=operation.pk).result_id is None
    account = CreditAccount.objects.get(user=maker)
    assert (account.balance, account.reserved) == (before, 0)
    assert find_discrepancies() == []
    assert browser_problems == []


def test_the_gallery_filters_to_templates_without_a_product_photo_on_desktop_and_phone(
    page, phone_screenshot, maker, screenshot, browser_problems
):
    create_template(name="Fresh pasta", slug="fresh-pasta", spec=product_spec())
    create_template(name="Flash sale", slug="flash-sale", spec=make_spec())
    sign_in(page, maker)
    page.goto("/templates/")
    expect(page.locator(".template-card")).to_have_count(2)
    expect(page.locator(".template-card", has_text="Fresh pasta").get_by_test_id("needs-product-photo")).to_be_visible()
    page.get_by_label("No product photo needed").check()
    expect(page.locator(".template-card")).to_have_count(1)
    expect(page.locator(".template-card")).to_contain_text("Flash sale")
    expect(page.get_by_test_id("gallery-count")).to_contain_text("1 template")
    assert "no_product_photo=1" in page.url
    screenshot(page, "ux-gallery-no-product-photo")

    phone_screenshot("/templates/?no_product_photo=1", "ux-phone-gallery-no-product-photo")
    assert browser_problems == []


def test_the_customise_page_asks_for_the_product_photo_first(
    page, browser, context, live_server, maker, screenshot, browser_problems
):
    template = create_template(name="Fresh pasta", slug="fresh-pasta", spec=product_spec())
    sign_in(page, maker)
    page.goto(f"/generations/new/{template.slug}/")
    card = page.get_by_test_id("product-photo-card")
    expect(card).to_contain_text("Start with your product photo")
    expect(card.get_by_test_id("sample-art")).to_contain_text(
        "Placeholder only: the sample picture will not appear in your ad."
    )
    first_control = page.locator("#customise-form input:not([type=hidden]), #customise-form textarea").first
    expect(first_control).to_have_attribute("name", "image_photo")
    card_box = card.bounding_box()
    words_box = page.locator("legend", has_text="Words").bounding_box()
    assert card_box["y"] < words_box["y"]
    settle(page)
    screenshot(page, "ux-customise-product-photo-first")

    phone = browser.new_context(
        base_url=live_server.url, viewport=PHONE, device_scale_factor=2,
        is_mobile=True, has_touch=True, storage_state=context.storage_state(),
    )  # fmt: skip
    try:
        small = phone.new_page()
        small.goto(f"/generations/new/{template.slug}/")
        phone_card = small.get_by_test_id("product-photo-card")
        expect(phone_card).to_be_visible()
        box = phone_card.bounding_box()
        assert box["y"] < PHONE["height"]  # on the first screen
        assert box["width"] <= PHONE["width"]
        small.wait_for_timeout(700)
        small.wait_for_load_state("networkidle")
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        small.screenshot(path=str(SCREENSHOT_DIR / "ux-phone-customise-product-photo-first.png"), full_page=True)
    finally:
        phone.close()
    assert Generation.objects.count() == 0
    assert browser_problems == []


PASTED = "Fresh handmade pasta every single day of the week"  # 49 characters; the headline allows 40


def test_overlong_text_pasted_into_the_customise_page_is_kept_whole(page, context, maker, screenshot, browser_problems):
    """Item 10, checked with a real paste (clipboard, Ctrl+V) and with inserted text: Chromium cuts
    both at a `maxlength`, so the inputs carry none; the counter warns and the form refuses."""
    template = create_template(name="Fresh pasta", spec=make_spec(formats=("1:1",)))
    sign_in(page, maker)
    page.goto(f"/generations/new/{template.slug}/")
    headline = page.get_by_label(re.compile(r"^Headline"))
    expect(headline).not_to_have_attribute("maxlength", re.compile(".*"))

    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("text => navigator.clipboard.writeText(text)", PASTED)
    headline.fill("")
    headline.focus()
    page.keyboard.press("ControlOrMeta+V")
    expect(headline).to_have_value(PASTED)
    expect(page.locator("#id_text_headline_counter")).to_have_text(
        "9 characters too many: at most 40. Shorten it to continue."
    )

    button = page.get_by_label(re.compile(r"^Button"))
    button.fill("")
    button.focus()
    page.keyboard.insert_text("Book your table for tonight")  # 27 characters; the button allows 18
    expect(button).to_have_value("Book your table for tonight")
    screenshot(page, "ux-customise-pasted-overlong-text")
    settle(page)
    page.get_by_test_id("generate").click()
    expect(page.locator("#id_text_headline_errors")).to_contain_text("Headline is too long: at most 40 characters.")
    expect(page.get_by_label(re.compile(r"^Headline"))).to_have_value(PASTED)
    assert Generation.objects.count() == 0
    assert browser_problems == []
