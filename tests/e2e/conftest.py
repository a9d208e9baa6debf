"""Browser fixtures: one headless Chromium per e2e package run, a fresh context and page per test.

Chromium is Debian's (`playwright install` cannot download browsers here), so
it is launched by path. Playwright's sync API keeps an asyncio loop running in
the test thread, which Django's ORM refuses to share unless told it is safe;
the playwright fixture allows it only while the e2e package runs, so tests
collected after it keep Django's async-safety checks.
"""

import os
from collections.abc import Callable
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
TIMEOUT_MS = 10_000


@pytest.fixture(scope="package")
def playwright_driver():
    if not CHROMIUM.is_file():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium, or set E2E_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as driver:
            yield driver


@pytest.fixture(scope="package")
def browser(playwright_driver):
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="package")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


@pytest.fixture
def browser_problems() -> list[str]:
    """What went wrong in the browser that no assertion on a page would see: JS errors, failed subresources."""
    return []


# Every page reports a Content-Security-Policy violation to the console, where _watch collects it, so the
# suite fails on any violation (issue 11): Chrome's own report says "violates the following Content
# Security Policy directive", the listener adds the directive and blocked address.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


def _watch(page, problems: list[str], origin: str = "") -> None:
    page.add_init_script(CSP_LISTENER)

    def on_console(message) -> None:
        # Chrome also logs every 4xx answer here, the page itself included; on_response judges those.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console error on {page.url}: {message.text}")

    def on_response(response) -> None:
        # A form answered 400 is a page the test looks at; a broken image or script is not.
        if response.status >= 400 and response.request.resource_type != "document":
            problems.append(f"{response.status} for {response.url}")
        # The suite runs with the policy on: an HTML page of ours without it is a problem too.
        if (
            response.request.resource_type == "document"
            and origin
            and response.url.startswith(origin)
            and response.status < 300
            and "text/html" in (response.headers.get("content-type") or "")
            and "content-security-policy" not in response.headers
        ):
            problems.append(f"no Content-Security-Policy on {response.url}")

    def on_request_failed(request) -> None:
        # ERR_ABORTED is the browser cancelling: a download, or a page left before its favicon came.
        if request.failure != "net::ERR_ABORTED":
            problems.append(f"request failed: {request.url} ({request.failure})")

    page.on("pageerror", lambda error: problems.append(f"JavaScript error on {page.url}: {error}"))
    page.on("console", on_console)
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context, browser_problems, live_server):
    page = context.new_page()
    _watch(page, browser_problems, live_server.url)
    yield page
    violations = [problem for problem in browser_problems if "Content Security Policy" in problem or "CSP" in problem]
    assert violations == [], "Content-Security-Policy violations in the browser"


@pytest.fixture
def screenshot(screenshot_dir) -> Callable:
    """Save a full-page screenshot of what the page shows now as artifacts/screenshots/<name>.png."""

    def take(page, name: str) -> Path:
        # A click returns once the next page starts; its stylesheets and images may still be on the way.
        page.wait_for_load_state("load")
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def phone_screenshot(browser, context, live_server, screenshot_dir, browser_problems) -> Callable:
    """Open a URL at phone width, signed in as the desktop page is, and save a full-page screenshot."""

    def take(url: str, name: str) -> Path:
        phone = browser.new_context(
            base_url=live_server.url,
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            storage_state=context.storage_state(),
        )
        try:
            page = phone.new_page()
            _watch(page, browser_problems, live_server.url)
            page.goto(url)
            path = screenshot_dir / f"{name}.png"
            page.screenshot(path=str(path), full_page=True)
            return path
        finally:
            phone.close()

    return take
