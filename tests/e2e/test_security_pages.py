"""Issue 11 in the browser: the CSP watcher catches a violation, and the library shows storage and
refuses an upload that does not fit, with the policy on."""

import os
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from generations.models import Asset
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_watcher_reports_a_csp_violation(page, browser_problems):
    page.goto("/")
    # An inline script added by the page itself carries no nonce: the policy blocks it.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1'; "
        "document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.ran") is None
    caught = [problem for problem in browser_problems if "CSP violation: script-src" in problem]
    assert caught, browser_problems
    browser_problems.clear()  # seen: the fixture would otherwise fail this test for it


def _noisy_png(path, side):
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(path, format="PNG")
    return path


def test_the_library_shows_storage_and_refuses_an_upload_that_does_not_fit(
    page, settings, tmp_path, screenshot, browser_problems
):
    settings.STORAGE_QUOTA_FREE_MB = 1
    user = UserFactory(email="quota@example.com")
    page.goto("/accounts/login/")
    page.get_by_label(re.compile(r"^Email")).fill(user.email)
    page.get_by_label(re.compile(r"^Password")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))

    page.goto("/generations/images/")
    expect(page.get_by_test_id("storage-usage")).to_contain_text("0 bytes of 1 MB")
    page.locator("#id_images").set_input_files(str(_noisy_png(tmp_path / "first.png", 420)))
    page.get_by_test_id("upload-form").get_by_role("button", name="Upload").click()
    expect(page.get_by_text("1 image uploaded.")).to_be_visible()
    expect(page.get_by_test_id("storage-usage")).to_contain_text(re.compile(r"\d+(\.\d)? KB of 1 MB"))

    page.locator("#id_images").set_input_files(str(_noisy_png(tmp_path / "second.png", 420)))
    page.get_by_test_id("upload-form").get_by_role("button", name="Upload").click()
    expect(page.get_by_text(re.compile("Not enough storage for this upload"))).to_be_visible()
    screenshot(page, "security-01-storage-full")
    assert Asset.objects.filter(user=user).count() == 1
    assert browser_problems == []
