"""Connecting Meta and publishing a campaign end to end in a real browser, against the fake Graph API
(tests/fakes/graph_server.py), which also plays Facebook Login's dialog."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.publishing.models import Campaign
from tests.campaigns.support import meta_settings
from tests.factories import PASSWORD, UserFactory
from tests.fakes.graph_server import FakeGraphServer
from tests.generations.factories import completed_generation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def graph(settings, live_server):
    with FakeGraphServer() as fake:
        meta_settings(settings, fake)
        settings.SITE_URL = live_server.url  # the fixed redirect URI comes back here
        yield fake


def _when(days: int) -> str:
    return (timezone.now() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def test_connect_build_review_publish_paused_then_activate_and_pause(
    page, live_server, graph, screenshot, browser_problems
):
    user = UserFactory()
    generation = completed_generation(formats=("1:1", "4:5", "9:16"), user=user)
    page.goto("/accounts/login/")
    page.get_by_label(re.compile(r"^Email(\s*\*)?$")).fill(user.email)
    page.get_by_label(re.compile(r"^Password(\s*\*)?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    # Connect through Facebook Login (the fake's dialog agrees at once and sends us back).
    page.goto("/campaigns/connection/")
    page.get_by_test_id("connect-meta").click()
    expect(page.get_by_text("Meta is connected.")).to_be_visible()
    expect(page.get_by_test_id("connection-status")).to_contain_text("Active")
    page.get_by_label(re.compile("Main ads")).check()
    page.get_by_label("Facebook Page the ads run as").select_option(label="Bakery Lumière (with Instagram)")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved: new campaigns publish with these.")).to_be_visible()
    screenshot(page, "campaigns-connection")

    # Build the campaign.
    page.get_by_role("link", name="Campaigns", exact=True).first.click()
    page.get_by_label(re.compile("^Campaign name")).fill("Spring loaves")
    page.get_by_role("button", name="New campaign").click()
    page.get_by_label("Traffic").check()
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("Amount").fill("20")
    page.get_by_label("Start").fill(_when(1))
    page.get_by_label("End").fill(_when(8))
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("Countries").fill("FR")
    page.get_by_label("Search Meta's interests").fill("bak")
    page.get_by_label(re.compile("^Baking")).check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_test_id("step-placements")).to_be_visible()
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("button", name=re.compile(r"^Add .*1:1, 4:5, 9:16")).click()
    page.get_by_label("Primary text").fill("Warm bread every morning")
    page.get_by_label("Destination URL").fill("https://bakery.example/spring")
    page.get_by_role("button", name="Save this ad").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    page.get_by_role("button", name="Save and review").click()

    # Review: exactly what will be created, PAUSED.
    counts = page.get_by_test_id("review-counts")
    for key, value in (("campaigns", "1"), ("ad_sets", "1"), ("ads", "1"), ("images", "3")):
        expect(counts.locator(f'[data-count="{key}"]')).to_contain_text(value)
    expect(page.get_by_test_id("initial-status")).to_contain_text("PAUSED")
    screenshot(page, "campaigns-review")
    assert not [r for r in graph.requests if r[0] == "POST"]
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("run-state")).to_have_text("Published")
    screenshot(page, "campaigns-run")
    assert dict(graph.created) == {"adimage": 3, "campaign": 1, "adset": 1, "adcreative": 1, "ad": 1}
    assert {o["status"] for kind in ("campaign", "adset", "ad") for o in graph.live(kind)} == {"PAUSED"}

    # Run it from CraftAds.
    page.get_by_role("link", name="Go to the campaign").click()
    campaign = Campaign.objects.get(user=user)
    meta_campaign = graph.objects["campaign"][campaign.meta_campaign_id]
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_test_id("delivery-status")).to_have_text("ACTIVE")
    assert meta_campaign["status"] == "ACTIVE"
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_test_id("delivery-status")).to_have_text("PAUSED")
    assert meta_campaign["status"] == "PAUSED"
    expect(page.get_by_test_id("changes")).to_contain_text("ACTIVE → PAUSED")
    screenshot(page, "campaigns-detail")
    assert generation.pk == campaign.assets.get().generation_id
    assert browser_problems == []
