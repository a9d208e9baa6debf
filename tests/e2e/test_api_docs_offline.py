"""The API docs work on a machine with no internet: Swagger UI comes from our own static files."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_operations_with_the_network_blocked(page, context, live_server, screenshot, browser_problems):
    outside: list[str] = []

    def only_loopback(route):
        host = urlsplit(route.request.url).hostname or ""
        if host in {"127.0.0.1", "localhost", "::1"}:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_loopback)
    user = UserFactory(email="dev@example.com")
    page.goto("/accounts/login/")
    page.get_by_label(re.compile(r"^Email")).fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/dashboard/"))

    page.goto("/api/v1/docs/")
    # Swagger UI's bundle is 1.5 MB of JavaScript: on a busy two-core machine it takes a while.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("CraftAds API", timeout=30_000)
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() > 20
    assert page.locator("#operations-tag-templates, [id^='operations-tag-']").count() > 0
    screenshot(page, "api-docs-offline")
    assert outside == [], f"the docs asked the internet for {outside}"
    assert browser_problems == []
