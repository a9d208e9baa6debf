"""A new user makes their first ads end to end: sign up, customise a template, generate four formats
on a real Celery worker over Redis, watch the progress, pay exactly the price shown, download the zip.

The web side is the live server in this process with Celery switched from eager to the Redis broker;
the worker is a separate `celery worker` process on the same PostgreSQL test database and media
folder, as in production.
"""

import io
import re
import zipfile

import pytest
from PIL import Image
from playwright.sync_api import expect

from accounts.models import User
from credits.models import CreditAccount
from generations.models import AssetKind, Generation, GenerationStatus
from tests.generations.worker_support import celery_sends_to, worker_settings_env
from tests.templates_app.factories import create_template, make_spec
from tests.workers.test_celery_worker import (  # noqa: F401 (fixtures)
    read_sent_emails,
    redis_broker_url,
    start_worker,
    wait_for,
    worker_home,
)

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.postgres]

EMAIL = "noor.haddad@example.com"
PASSWORD = "a-long-and-private-passphrase-9"
SIZES = {"1:1": (1080, 1080), "4:5": (1080, 1350), "9:16": (1080, 1920), "16:9": (1920, 1080)}
CONFIRM_LINK = re.compile(r"https?://[^\s<>\"]+/accounts/confirm-email/[^\s<>\"]+/")


@pytest.fixture
def worker(redis_broker_url, start_worker, worker_home, settings):  # noqa: F811
    started = start_worker(redis_broker_url, env=worker_settings_env(), prefix="generation")
    started.wait_until_ready()
    with celery_sends_to(redis_broker_url):
        yield started


def test_new_user_generates_four_formats_on_a_real_worker_and_downloads_the_zip(
    page,
    live_server,
    worker,
    worker_home,  # noqa: F811
    screenshot,
    browser_problems,
    settings,
):
    settings.SITE_URL = live_server.url  # emailed links name the site's address (SITE_URL)
    template = create_template(name="Harvest Market", spec=make_spec(formats=("1:1", "9:16")))

    # Sign up and confirm the email address.
    page.goto("/accounts/signup/")
    page.get_by_label(re.compile(r"^Email")).fill(EMAIL)
    page.get_by_label(re.compile(r"^Password(\s*\*)?$")).fill(PASSWORD)
    page.get_by_label(re.compile(r"^Password \(again\)")).fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    # The confirmation email is sent by the worker too (its file mail backend).
    messages = wait_for(
        lambda: read_sent_emails(worker_home / "mail"),
        timeout=30,
        what="the confirmation email",
        details=worker.log_tail,
    )
    link = CONFIRM_LINK.findall(
        messages[-1].get_payload(decode=True).decode()
        if not messages[-1].is_multipart()
        else messages[-1].get_payload(0).get_payload(decode=True).decode()
    )[0]
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(f"{live_server.url}/dashboard/")
    user = User.objects.get(email=EMAIL)
    start_balance = CreditAccount.objects.get(user=user).balance

    # The template page leads to the customise page.
    page.goto(f"/templates/{template.slug}/")
    page.get_by_role("link", name="Customise this template").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Customise")
    expect(page.locator("#generation-preview img")).to_be_visible()
    # The preview follows the typing (debounced), rendered by the server.
    with page.expect_response(lambda response: "/preview/" in response.url) as preview:
        page.get_by_label("Headline").fill("Fresh from the farm")
    assert preview.value.ok
    expect(page.locator("#generation-preview img")).to_be_visible()
    shown_price = int(re.match(r"(\d+)", page.get_by_test_id("price-total").inner_text()).group(1))
    assert shown_price == 4
    screenshot(page, "generate-01-customise")

    page.get_by_test_id("generate").click()
    expect(page).to_have_url(re.compile(r"/generations/[0-9a-f-]{36}/$"))
    generation = Generation.objects.get(user=user)
    # Progress shows without reloading, then the results.
    expect(page.locator("#generation-progress")).to_be_visible()
    screenshot(page, "generate-02-progress")
    wait_for(
        lambda: Generation.objects.filter(pk=generation.pk, status__in=["completed", "failed"]).exists(),
        timeout=60,
        what="the worker to finish the generation",
        details=worker.log_tail,
    )
    generation.refresh_from_db()
    assert generation.status == GenerationStatus.COMPLETED, generation.error_message
    expect(page.get_by_role("link", name=re.compile("Download all"))).to_be_visible(timeout=15_000)
    screenshot(page, "generate-03-results")

    assert CreditAccount.objects.get(user=user).balance == start_balance - shown_price
    assert generation.credits_used == shown_price

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Download all")).click()
    data = download_info.value.path().read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert len(names) == 4
        seen = {}
        for name in names:
            image = Image.open(io.BytesIO(archive.read(name)))
            image.load()
            key = next(key for key in SIZES if key.replace(":", "x") in name)
            seen[key] = image.size
    assert seen == SIZES
    assert generation.assets.filter(kind=AssetKind.RESULT).count() == 4
    assert browser_problems == []
