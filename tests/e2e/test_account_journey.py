"""A new user's first visit, end to end in a real browser: sign up, verify, sign in, brand kit, export, delete."""

import io
import json
import re
from urllib.parse import urlsplit

import pytest
from django.core.files.storage import default_storage
from PIL import Image
from playwright.sync_api import expect

from accounts.models import BrandProfile, User
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "maya.baker@example.com"
NEW_PASSWORD = "sourdough-Rises-at-dawn-7"
BRAND_NAME = "Maya's Bakery"
CONFIRM_LINK = re.compile(r"https?://[^\s<>\"]+/accounts/confirm-email/[^\s<>\"]+/")


def _write_png(path, size=(120, 60)):
    buffer = io.BytesIO()
    Image.new("RGBA", size, (170, 51, 102, 255)).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def _field(page, label):
    """The form field with exactly this label; a required field's label ends with a "*" marker."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}(\s*\*)?$"))


def _sign_in(page, *, email, password):
    _field(page, "Email").fill(email)
    _field(page, "Password").fill(password)
    page.get_by_role("button", name="Sign In").click()


def _sidebar(page):
    return page.get_by_role("navigation", name="Sections")


def test_new_user_signs_up_sets_up_brand_kit_exports_and_deletes_account(
    page, live_server, mailoutbox, tmp_path, screenshot, phone_screenshot, browser_problems, settings
):
    settings.SITE_URL = live_server.url  # emailed links name the site's address (SITE_URL)
    # 1. Landing page → sign-up form → "verify your email".
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Turn your brand into finished ads")
    screenshot(page, "01-landing")
    phone_screenshot("/", "phone-01-landing")

    page.get_by_role("main").get_by_role("link", name="Create a free account").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/signup/")
    screenshot(page, "02-signup")
    _field(page, "Email").fill(EMAIL)
    _field(page, "Password").fill(NEW_PASSWORD)
    _field(page, "Password (again)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create my account").click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    screenshot(page, "03-verify-email")
    user = User.objects.get(email=EMAIL)
    assert user.is_verified is False

    # 2. The emailed link opens a page with a Confirm button; confirming signs the user in.
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [EMAIL]
    assert message.subject == "[CraftAds] Please Confirm Your Email Address"
    assert "Hello from CraftAds" in message.body
    links = CONFIRM_LINK.findall(message.body)
    assert len(set(links)) == 1, message.body
    link = links[0]
    assert urlsplit(link).netloc == urlsplit(live_server.url).netloc

    page.goto(link)
    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    screenshot(page, "04-confirm-email")
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(f"{live_server.url}/dashboard/")
    expect(page.get_by_text(f"Signed in as {EMAIL}.", exact=True)).to_be_visible()
    expect(page.get_by_text("Your email address is not verified yet")).to_have_count(0)
    screenshot(page, "05-dashboard")
    phone_screenshot("/dashboard/", "phone-02-dashboard")
    user.refresh_from_db()
    assert user.is_verified is True

    # 3. Sign out from the user menu, then sign in again with email and password.
    page.get_by_role("banner", name="Top bar").get_by_role("button", name="maya.baker").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("status").filter(has_text="You have signed out.")).to_be_visible()
    screenshot(page, "06-signed-out")

    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    screenshot(page, "07-sign-in")
    _sign_in(page, email=EMAIL, password=NEW_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/dashboard/")
    expect(page.get_by_text(f"Signed in as {EMAIL}.", exact=True)).to_be_visible()
    screenshot(page, "08-dashboard-signed-in-again")

    # 4. Brand kit: name, primary colour, heading font and a logo.
    _sidebar(page).get_by_role("link", name="Brand kit").click()
    expect(page).to_have_url(f"{live_server.url}/settings/brand/")
    screenshot(page, "09-brand-kit")
    _field(page, "Brand name").fill(BRAND_NAME)
    _field(page, "Primary").fill("#aa3366")
    _field(page, "Heading font").select_option("Playfair Display")
    _field(page, "Upload a logo").set_input_files(_write_png(tmp_path / "logo.png"))
    page.get_by_role("button", name="Save brand kit").click()

    expect(page).to_have_url(f"{live_server.url}/settings/brand/")
    expect(page.get_by_role("status").filter(has_text="Your brand kit was saved.")).to_be_visible()
    logo = page.get_by_role("img", name=f"Current logo of {BRAND_NAME}")
    expect(logo).to_be_visible()
    expect(page.get_by_text("120×60 pixels")).to_be_visible()
    assert logo.evaluate("img => img.complete && img.naturalWidth") == 120
    expect(_field(page, "Brand name")).to_have_value(BRAND_NAME)
    expect(_field(page, "Primary")).to_have_value("#aa3366")
    expect(_field(page, "Heading font")).to_have_value("Playfair Display")
    screenshot(page, "10-brand-kit-saved")
    phone_screenshot("/settings/brand/", "phone-03-brand-kit")

    brand = BrandProfile.objects.get(user__email=EMAIL)
    assert brand.name == BRAND_NAME
    assert brand.color_palette["primary"] == "#AA3366"
    assert brand.typography["heading_font"] == "Playfair Display"
    assert (brand.logo_width, brand.logo_height) == (120, 60)
    logo_name = brand.logo.name
    assert logo_name.startswith(f"brand-logos/{user.pk}/")
    assert logo_name.endswith(".png")
    assert default_storage.exists(logo_name)
    assert urlsplit(logo.get_attribute("src")).path == default_storage.url(logo_name)

    # 5. Settings → Your data → Download my data.
    _sidebar(page).get_by_role("link", name="Settings").click()
    expect(page).to_have_url(f"{live_server.url}/settings/profile/")
    screenshot(page, "11-settings-profile")
    page.get_by_role("navigation", name="Settings sections").get_by_role("link", name="Your data").click()
    expect(page).to_have_url(f"{live_server.url}/settings/data/")
    screenshot(page, "12-your-data")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download my data").click()
    download = download_info.value
    assert re.fullmatch(r"craftads-export-\d{4}-\d{2}-\d{2}\.json", download.suggested_filename)
    export = json.loads(download.path().read_text(encoding="utf-8"))
    assert export["user_id"] == str(user.pk)
    account = export["sections"]["account"]
    assert account["profile"]["email"] == EMAIL
    assert account["profile"]["email_verified"] is True
    assert account["brand_kit"]["name"] == BRAND_NAME
    assert account["brand_kit"]["logo"] == logo_name
    assert account["brand_kit"]["color_palette"]["primary"] == "#AA3366"

    # 6. Delete the account: the row and the uploaded logo are gone.
    page.get_by_role("link", name="Delete my account…").click()
    expect(page).to_have_url(f"{live_server.url}/settings/delete/")
    screenshot(page, "13-delete-account")
    _field(page, "Type your email address to confirm").fill(EMAIL)
    _field(page, "Your password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Delete my account for good").click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(
        page.get_by_role("status").filter(has_text="Your account and everything in it has been deleted.")
    ).to_be_visible()
    expect(page.get_by_role("main").get_by_role("link", name="Create a free account")).to_be_visible()
    screenshot(page, "14-account-deleted")
    assert not User.objects.filter(pk=user.pk).exists()
    assert not BrandProfile.objects.filter(pk=brand.pk).exists()
    assert not default_storage.exists(logo_name)

    assert browser_problems == []


def test_a_text_file_named_png_is_refused_beside_the_logo_field_and_nothing_changes(
    page, live_server, tmp_path, screenshot, browser_problems
):
    user = UserFactory()
    fake_png = tmp_path / "logo.png"
    fake_png.write_text("This is a text file with a .png name, not an image.\n", encoding="utf-8")

    page.goto("/accounts/login/")
    _sign_in(page, email=user.email, password=PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/dashboard/")
    _sidebar(page).get_by_role("link", name="Brand kit").click()

    _field(page, "Brand name").fill("Should not be saved")
    _field(page, "Primary").fill("#112233")
    _field(page, "Upload a logo").set_input_files(fake_png)
    with page.expect_response(f"{live_server.url}/settings/brand/") as answer:
        page.get_by_role("button", name="Save brand kit").click()
    assert answer.value.status == 400

    expect(page.get_by_role("alert").filter(has_text="Nothing was saved.")).to_be_visible()
    logo_field = _field(page, "Upload a logo")
    expect(logo_field).to_have_attribute("aria-invalid", "true")
    error = page.locator("#id_logo_errors")
    expect(error).to_have_text("The file is not a PNG, JPEG or WebP image.")
    expect(error).to_be_visible()
    # The message sits with the logo field, not somewhere else on the page.
    assert "id_logo_errors" in logo_field.get_attribute("aria-describedby").split()
    expect(page.get_by_text("Your brand kit was saved.")).to_have_count(0)
    screenshot(page, "15-brand-kit-bad-logo")

    brand = BrandProfile.objects.get(user=user)
    assert brand.name == ""
    assert brand.color_palette["primary"] == "#2E86AB"
    assert not brand.logo
    assert not default_storage.exists(f"brand-logos/{user.pk}")
    assert browser_problems == []
