"""Analytics in a real browser: the user's credits page and the operators' reports, desktop and phone,
empty and with data; operators' pages are not there for a user."""

import random
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import expect

from analytics.services import rollups
from campaigns.models import CampaignAsset, PerformanceRecord
from campaigns.pages import services as page_services
from credits import services as credit_services
from credits.constants import Operation, TransactionType
from tests.analytics.campaign_data import connect_accounts, conversion, page_event, performance_rows
from tests.campaigns.support import draft
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, user):
    page.goto("/accounts/login/")
    page.get_by_label(re.compile(r"^Email(\s*\*)?$")).fill(user.email)
    page.get_by_label(re.compile(r"^Password(\s*\*)?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(f"{live_server.url}/dashboard/")


def _spend(user, amount, operation, ref):
    hold = credit_services.hold_credits(
        user=user, amount=amount, reference_type="image_operation", reference_id=ref, operation=operation
    )
    credit_services.capture_hold(hold_id=hold.pk)


def test_a_user_reads_their_credits_empty_then_with_data(
    page, live_server, screenshot, phone_screenshot, browser_problems
):
    user = UserFactory()
    _sign_in(page, live_server, user)
    page.get_by_role("link", name="Analytics", exact=True).click()
    expect(page.get_by_role("heading", name="Analytics", exact=True)).to_be_visible()
    expect(page.get_by_text("You spent no credits in this period.")).to_be_visible()
    screenshot(page, "analytics-user-empty")

    credit_services.grant_credits(user=user, amount=60, type=TransactionType.BONUS, idempotency_key="e2e-bonus")
    _spend(user, 12, Operation.UPSCALE, "a")
    _spend(user, 4, Operation.REMOVE_BACKGROUND, "b")
    rollups.recompute_day(timezone.now().date())
    page.reload()
    table = page.get_by_role("table").filter(has_text="Credits spent")
    expect(table.get_by_role("row", name=re.compile("Upscale"))).to_contain_text("12")
    expect(page.locator("#credit-summary")).to_contain_text("16")
    expect(page.locator("svg.analytics-chart").first).to_be_visible()
    page.get_by_label("Period").select_option("7")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"days=7"))
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").nth(1).click()
    assert download.value.suggested_filename.endswith("credits-per-operation.csv")
    screenshot(page, "analytics-user-data")
    phone_screenshot("/analytics/", "analytics-user-phone")
    assert browser_problems == []


def test_staff_read_the_reports_and_a_user_gets_404(page, live_server, screenshot, phone_screenshot, browser_problems):
    customer = UserFactory()
    credit_services.grant_credits(user=customer, amount=50, type=TransactionType.BONUS, idempotency_key="e2e-c")
    _spend(customer, 9, Operation.VECTORIZE, "c")
    rollups.recompute_day(timezone.now().date())

    _sign_in(page, live_server, customer)
    response = page.goto("/analytics/staff/revenue/")
    assert response.status == 404

    page.context.clear_cookies()
    analyst = UserFactory(is_staff=True)
    analyst.user_permissions.add(Permission.objects.get(codename="view_platformday"))
    _sign_in(page, live_server, analyst)
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Revenue", exact=True)).to_be_visible()
    expect(page.get_by_role("table").filter(has_text="Outstanding at the end")).to_contain_text("9")
    screenshot(page, "analytics-staff-revenue")
    for tab, heading in (("AI cost", "AI cost and earnings"), ("Usage", "Usage"), ("Heavy users", "Heavy users")):
        page.get_by_role("link", name=tab, exact=True).click()
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(
        page.get_by_role("table")
        .filter(has_text="Top users by credits spent")
        .or_(page.get_by_role("table").filter(has_text=customer.email))
        .first
    ).to_contain_text(customer.email)
    screenshot(page, "analytics-staff-heavy-users")
    page.get_by_role("link", name="Usage", exact=True).click()
    expect(page.locator("#dau")).to_have_text("1")
    screenshot(page, "analytics-staff-usage")
    phone_screenshot("/analytics/staff/usage/", "analytics-staff-usage-phone")
    assert browser_problems == []


def test_a_user_reads_ad_performance_and_landing_pages(
    page, live_server, screenshot, phone_screenshot, browser_problems
):
    rng = random.Random(16)  # noqa: S311 (seeded test data)
    user = UserFactory()
    accounts = connect_accounts(user, ("USD", "EUR"))
    campaign = draft(user, formats=("1:1",))
    asset = campaign.assets.get()
    CampaignAsset.objects.filter(pk=asset.pk).update(meta_ad_id="ad-e2e", ad_name="Spring loaves, square")
    today = timezone.now().date()
    records = []
    for account in accounts:
        for back in range(20):
            day = today - timedelta(days=back)
            records += performance_rows(rng, account=account, day=day, ad_id="ad-e2e", campaign=campaign, asset=asset)
            records += performance_rows(rng, account=account, day=day, ad_id="ad-unlinked")
    PerformanceRecord.objects.bulk_create(records)
    landing = page_services.create_page(
        user=user, name="Spring offer", slug="spring-e2e", starting_point="lead_capture"
    )
    now = timezone.now()
    utm = {"utm_source": "facebook", "utm_campaign": f"ca-campaign-{campaign.pk}", "utm_content": f"ca-ad-{asset.pk}"}
    for n in range(12):
        page_event(landing, at=now - timedelta(hours=n * 7), visitor=f"v{n % 5}", **(utm if n % 3 else {}))
    conversion(landing, at=now, utm_source="facebook", campaign_ref=str(campaign.pk), ad_ref=str(asset.pk))
    rollups.recompute_range(today - timedelta(days=20), today)

    _sign_in(page, live_server, user)
    page.goto("/analytics/?days=14")
    expect(page.get_by_role("heading", name="Ad performance", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="In USD")).to_be_visible()
    expect(page.get_by_role("heading", name="In EUR")).to_be_visible()
    expect(page.locator(".creatives-ranked").first).to_contain_text("Spring loaves, square")
    expect(page.locator(".creatives-ranked img").first).to_have_js_property("complete", True)
    expect(page.get_by_role("table").filter(has_text="Placement").first).to_contain_text("instagram")
    screenshot(page, "analytics-ads-data")
    with page.expect_download() as download:
        page.locator("#t-creatives-ranked-usd").locator("xpath=..").get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.endswith("creatives-ranked-usd.csv")
    page.get_by_role("heading", name="Landing pages", exact=True).scroll_into_view_if_needed()
    expect(page.locator("#page-summary")).to_contain_text("Visitors")
    expect(
        page.get_by_role("table")
        .filter(has_text="utm_source")
        .or_(page.get_by_role("table").filter(has_text="facebook"))
        .first
    ).to_contain_text("facebook")
    screenshot(page, "analytics-pages-data")
    phone_screenshot("/analytics/?days=14", "analytics-ads-phone")
    assert browser_problems == []
