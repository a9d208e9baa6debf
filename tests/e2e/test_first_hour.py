"""Issue 12 in the browser, desktop and a 390 px phone: pages that tell the truth, finding and keeping
things, and the phone. Each test asserts what the user sees and saves screenshots (artifacts/screenshots/)."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from accounts import emails
from accounts.models import BusinessProfile, UserPreference
from credits import services as credit_services
from generations.models import Collection, CollectionItem, Generation, GenerationStatus
from generations.services import operations as operation_services
from tests.e2e.conftest import PHONE, SCREENSHOT_DIR
from tests.factories import PASSWORD, UserFactory
from tests.generations.factories import completed_generation, png_bytes
from tests.templates_app.factories import create_template, make_spec

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OVERLONG = "Fresh handmade pasta every single day of the week"  # 49 characters; the headline allows 40


def sign_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(re.compile(r"^Email(\s*\*)?$")).fill(user.email)
    page.get_by_label(re.compile(r"^Password(\s*\*)?$")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    page.wait_for_url(re.compile(r"/dashboard/"))


def settle(page) -> None:
    """Let the debounced live preview answer before leaving the page (an aborted htmx request is a console error)."""
    page.wait_for_timeout(700)
    page.wait_for_load_state("networkidle")


@pytest.fixture
def maker(db):
    user = UserFactory(email="maria@example.com", first_name="Maria")
    credit_services.get_or_open_account(user=user)
    return user


@pytest.fixture
def phone(browser, context, live_server):
    """Opens a 390 px phone signed in as the desktop page is now."""
    opened = []

    def open_phone():
        phone_context = browser.new_context(
            base_url=live_server.url,
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            storage_state=context.storage_state(),
        )
        phone_context.set_default_timeout(10_000)
        opened.append(phone_context)
        return phone_context.new_page()

    yield open_phone
    for phone_context in opened:
        phone_context.close()


def test_sign_in_shows_one_forgot_password_link(page, screenshot, browser_problems):
    page.goto("/accounts/login/")
    expect(page.get_by_role("link", name="Forgot your password?")).to_have_count(1)
    screenshot(page, "ux-sign-in")
    assert browser_problems == []


def test_customise_tells_the_truth_refuses_overlong_text_and_asks_before_generating_again(
    page, context, browser, live_server, maker, screenshot, browser_problems
):
    template = create_template(name="Fresh pasta", spec=make_spec(formats=("1:1", "9:16")))
    sign_in(page, maker)
    page.goto(f"/generations/new/{template.slug}/")

    # The menu says where the user is; operator instructions are not for them (items 22, 6).
    expect(page.locator(".nav-link.active")).to_have_text("Templates")
    expect(page.get_by_test_id("ai-copy-note")).to_have_text("AI copy is not available on this site yet.")
    expect(page.locator("body")).not_to_contain_text("OPENAI")
    expect(page.locator("select[name=preview_format]")).to_have_class(re.compile(r"\bform-select\b"))

    # Overlong pasted text: kept whole, the counter warns, the form refuses with a message (item 10).
    headline = page.get_by_label(re.compile(r"^Headline"))
    headline.fill(OVERLONG)
    assert headline.input_value() == OVERLONG
    counter = page.locator("#id_text_headline_counter")
    expect(counter).to_have_text("9 characters too many: at most 40. Shorten it to continue.")
    expect(headline).to_have_attribute("aria-invalid", "true")
    screenshot(page, "ux-customise-overlong-text")
    settle(page)
    page.get_by_test_id("generate").click()
    expect(page.locator("#id_text_headline_errors")).to_contain_text("Headline is too long: at most 40 characters.")
    assert page.get_by_label(re.compile(r"^Headline")).input_value() == OVERLONG
    assert Generation.objects.count() == 0

    # A good headline: generate, then Back and Generate again asks first (item 11).
    page.goto(f"/generations/new/{template.slug}/")
    page.get_by_label(re.compile(r"^Headline")).fill("Fresh pasta today")
    settle(page)
    page.get_by_test_id("generate").click()
    page.wait_for_url(re.compile(r"/generations/[0-9a-f-]{36}/$"))
    first_url = page.url
    expect(page.get_by_test_id("status-badge").first).to_have_text("Completed")
    available_after_first = credit_services.quote(user=maker, operation="generate_format").available
    page.go_back()
    expect(page.get_by_test_id("recent-note")).to_contain_text("You made ads from this template")
    settle(page)
    page.get_by_test_id("generate").click()
    warning = page.get_by_test_id("repeat-warning")
    expect(warning).to_contain_text("You made these ads")
    expect(warning).to_contain_text("You made these ads a moment ago")
    expect(warning).to_contain_text("That costs 4 credits more")
    screenshot(page, "ux-customise-asks-before-generating-again")
    assert Generation.objects.count() == 1
    assert credit_services.quote(user=maker, operation="generate_format").available == available_after_first
    warning.get_by_role("link", name="No, show the ones I made").click()
    assert page.url == first_url
    assert browser_problems == []


def test_on_a_phone_the_preview_and_price_stay_in_reach_while_typing(page, phone, maker, screenshot, browser_problems):
    template = create_template(name="Fresh pasta", spec=make_spec(formats=("1:1", "9:16")))
    sign_in(page, maker)
    phone = phone()
    phone.goto(f"/generations/new/{template.slug}/")
    bar = phone.locator("#mobile-preview-bar")
    expect(bar.get_by_test_id("mobile-price")).to_have_text("4 credits")
    expect(bar.locator("img")).to_be_visible()
    phone.get_by_label(re.compile(r"^Headline")).fill("Fresh pasta today")
    phone.get_by_label(re.compile(r"^Headline")).focus()
    box = bar.bounding_box()
    viewport = phone.viewport_size
    assert box is not None
    assert box["y"] + box["height"] <= viewport["height"] + 1  # on screen while the user types at the top
    assert box["y"] >= viewport["height"] / 2
    assert phone.evaluate("document.documentElement.scrollHeight") > 2 * viewport["height"]  # a long form
    phone.get_by_label(re.compile(r"^1:1 ·")).uncheck()
    expect(bar.get_by_test_id("mobile-price")).to_have_text("3 credits")
    phone.screenshot(path=str(_path("ux-phone-customise-sticky-preview")))
    assert browser_problems == []


def _path(name: str):
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR / f"{name}.png"


def test_the_status_badge_follows_the_progress_panel(page, maker, screenshot, browser_problems):
    template = create_template(name="Fresh pasta", spec=make_spec(formats=("1:1", "9:16")))
    generation = completed_generation(user=maker, template=template, formats=("1:1", "9:16"))
    Generation.objects.filter(pk=generation.pk).update(
        status=GenerationStatus.RUNNING, progress={"1:1": "rendering", "9:16": "queued"}
    )
    sign_in(page, maker)
    page.goto(f"/generations/{generation.pk}/")
    badge = page.locator(f"#status-badge-{generation.pk}")
    expect(badge).to_have_text("Making 0 of 2")
    Generation.objects.filter(pk=generation.pk).update(progress={"1:1": "done", "9:16": "rendering"})
    expect(badge).to_have_text("Making 1 of 2")
    expect(page.locator("#generation-progress")).to_contain_text("1 of 2 formats done.")
    screenshot(page, "ux-status-badge-and-panel")
    assert browser_problems == []


def test_search_finds_food_templates_and_recommended_puts_the_users_industry_first(
    page, maker, screenshot, browser_problems
):
    create_template(name="Free trial", industry="saas", is_featured=True, spec=make_spec(formats=("1:1",)))
    create_template(name="Fresh pasta", industry="restaurant", tags=["pasta"], spec=make_spec(formats=("1:1",)))
    BusinessProfile.objects.update_or_create(user=maker, defaults={"industry": "restaurant"})
    sign_in(page, maker)
    page.goto("/templates/")
    expect(page.locator(".template-card").first).to_contain_text("Fresh pasta")
    for word in ("bread", "bakery", "coffee", "piza"):
        page.goto(f"/templates/?q={word}")
        expect(page.locator(".template-card")).to_have_count(1)
        expect(page.locator(".template-card")).to_contain_text("Fresh pasta")
    screenshot(page, "ux-search-piza")
    assert browser_problems == []


def test_a_collection_downloads_as_one_zip(page, maker, screenshot, browser_problems):
    template = create_template(name="Fresh pasta", spec=make_spec(formats=("1:1", "9:16")))
    generation = completed_generation(user=maker, template=template, formats=("1:1", "9:16"))
    sign_in(page, maker)
    page.goto(f"/generations/{generation.pk}/")
    expect(page.get_by_text("Or a new collection")).to_have_count(0)
    expect(page.get_by_label("New collection name").first).to_be_attached()
    collection = Collection.objects.create(user=maker, name="Summer campaign")
    for position, asset in enumerate(generation.assets.order_by("format_key")):
        CollectionItem.objects.create(collection=collection, asset=asset, position=position)
    page.goto(f"/generations/collections/{collection.pk}/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download all as a zip").click()
    download = download_info.value
    assert download.suggested_filename.startswith("summer-campaign_")
    archive = zipfile.ZipFile(io.BytesIO(download.path().read_bytes()))
    assert len(archive.namelist()) == 2
    screenshot(page, "ux-collection-zip")
    assert browser_problems == []


def test_one_price_on_the_credits_page_and_the_image_page(page, maker, screenshot, browser_problems):
    asset = operation_services.upload_image(
        user=maker, upload=SimpleUploadedFile("p.png", png_bytes((200, 150)), content_type="image/png")
    )
    sign_in(page, maker)
    page.goto("/credits/")
    row = page.locator("tr", has_text="Upscale 4x")
    credits_page_price = row.locator("td.text-end").first.inner_text()
    page.goto(f"/generations/assets/{asset.pk}/")
    expect(page.get_by_role("button", name=re.compile(r"Upscale 4x"))).to_contain_text(f"{credits_page_price} credits")
    screenshot(page, "ux-image-page-prices")
    assert browser_problems == []


def test_plans_stack_on_a_phone(page, phone, maker, screenshot, browser_problems):
    sign_in(page, maker)
    phone = phone()
    phone.goto("/credits/plans/")
    cards = phone.get_by_test_id("plan-card")
    assert cards.count() >= 2
    first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    assert second["y"] >= first["y"] + first["height"]  # one under the other
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    phone.screenshot(path=str(_path("ux-phone-plans")), full_page=True)
    page.goto("/credits/plans/")
    desktop_cards = page.get_by_test_id("plan-card")
    assert desktop_cards.nth(0).bounding_box()["y"] == desktop_cards.nth(1).bounding_box()["y"]  # side by side
    screenshot(page, "ux-plans")
    assert browser_problems == []


def test_one_click_unsubscribe_from_the_link_in_an_email(page, maker, screenshot, browser_problems):
    token = emails.unsubscribe_token(user_id=maker.pk, kind="generation_finished")
    page.goto(f"/unsubscribe/{token}/")
    expect(page.get_by_text("Email me when my ads are ready or could not be made")).to_be_visible()
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("status")).to_contain_text("You are unsubscribed")
    assert UserPreference.objects.get(user=maker).notification("generation_finished") is False
    screenshot(page, "ux-unsubscribed")
    assert browser_problems == []
