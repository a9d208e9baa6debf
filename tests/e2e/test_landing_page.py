"""Acceptance 1: build a landing page from a starting point with a creative in the hero, edit and
reorder it with the live preview, look at it on a phone, publish, then as a signed-out visitor from
an ad click the CTA and send the form: one lead, the owner emailed, events counted, the conversion
attributed to the UTM campaign in the URL."""

import re
import uuid

import pytest
from django.core import mail
from playwright.sync_api import expect

from analytics import drain, ingest
from analytics.models import PageEvent
from campaigns.models import Conversion, LandingPage, Lead
from generations.models import AssetKind
from tests.factories import PASSWORD, UserFactory
from tests.generations.factories import AssetFactory

pytestmark = [pytest.mark.e2e]

VISITOR_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


@pytest.fixture(autouse=True)
def _fresh_stream():
    client = ingest.redis_client()
    if client is not None:
        client.delete(ingest.STREAM)
    yield
    if client is not None:
        client.delete(ingest.STREAM)


def _preview(page):
    return page.frame_locator("#preview-frame")


def test_build_publish_visit_and_convert(page, browser, live_server, screenshot, browser_problems, settings):
    owner = UserFactory(email="lena@example.com")
    AssetFactory(user=owner, kind=AssetKind.RESULT, original_filename="spring-sale-1x1.png", size=(1080, 1080))
    page.goto("/accounts/login/")
    page.get_by_label(re.compile(r"^Email")).fill(owner.email)
    page.get_by_label(re.compile(r"^Password")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))

    # 1. A new page from the "Lead capture" starting point.
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Landing pages").click()
    page.get_by_role("link", name="New page").click()
    page.get_by_label("Name", exact=True).fill("Spring sale")
    page.get_by_label(re.compile(r"^Lead capture")).check()
    page.get_by_role("button", name="Create page").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Spring sale")
    expect(_preview(page).get_by_role("heading", level=1)).to_have_text("Get your free guide today")

    # 2. The creative in the hero and a new headline: the preview follows (htmx, no reload).
    hero = page.locator('#components li[data-type="hero"]')
    hero.get_by_text("Edit hero").click()
    hero.get_by_label("Image").select_option(label="spring-sale-1x1.png (1080×1080)")
    hero.get_by_label("Headline *").fill("Spring sale: 30% off everything")
    hero.get_by_role("button", name="Save").click()
    expect(_preview(page).get_by_role("heading", level=1)).to_have_text("Spring sale: 30% off everything")
    expect(_preview(page).locator("section img")).to_be_visible()

    # 3. Reorder: the features go above the hero; undo puts them back; again, and keep it.
    page.get_by_role("button", name="Move Features up").click()
    expect(page.locator("#components > li").nth(1)).to_have_attribute("data-type", "features")
    page.get_by_role("button", name="Undo last change").click()
    expect(page.locator("#components > li").nth(1)).to_have_attribute("data-type", "hero")
    page.get_by_role("button", name="Move Footer up").click()
    expect(page.locator("#components > li").nth(3)).to_have_attribute("data-type", "footer")
    page.get_by_role("button", name="Move Footer down").click()
    expect(page.locator("#components > li").last).to_have_attribute("data-type", "footer")

    # 4. Phone preview.
    page.get_by_role("button", name="Phone").click()
    expect(page.locator("#preview-wrap")).to_have_attribute("data-device", "phone")
    frame_box = page.locator("#preview-frame").bounding_box()
    assert 370 <= frame_box["width"] <= 400
    screenshot(page, "landing-editor-phone")

    # 5. Publish.
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Version 1 is live.")).to_be_visible()
    landing = LandingPage.objects.get(user=owner)
    public_path = f"/p/{owner.page_handle.handle}/{landing.slug}/"
    campaign_id = uuid.uuid4()
    ad_url = f"{public_path}?utm_source=facebook&utm_medium=paid&utm_campaign=spring-sale-ca-campaign-{campaign_id}&fbclid=IwAR0abc"

    # 6. A visitor from the ad, signed out, on a phone.
    visitor_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True, user_agent=VISITOR_UA
    )
    visitor = visitor_context.new_page()
    try:
        with visitor.expect_request(lambda r: r.url.endswith("/e/") and r.method == "POST"):
            visitor.goto(ad_url)
        expect(visitor.get_by_role("heading", level=1)).to_have_text("Spring sale: 30% off everything")
        img = visitor.locator("section img").first
        assert ".webp" in img.get_attribute("src")
        screenshot(visitor, "landing-public-phone")
        with visitor.expect_request(lambda r: r.url.endswith("/e/") and "click" in (r.post_data or "")):
            visitor.get_by_role("link", name="Get the guide").click()
        visitor.get_by_label("Name", exact=True).fill("Sam Visitor")
        visitor.get_by_label("Email *").fill("sam@example.com")
        visitor.get_by_role("button", name="Send me the guide").click()
        expect(visitor.get_by_role("status")).to_contain_text("Thank you")
        screenshot(visitor, "landing-thanks")
    finally:
        visitor_context.close()

    # 7. One lead, the owner emailed, events counted, the conversion attributed.
    lead = Lead.objects.get()
    assert (lead.name, lead.email, lead.page_id) == ("Sam Visitor", "sam@example.com", landing.pk)
    conversion = Conversion.objects.get()
    assert conversion.utm_campaign == f"spring-sale-ca-campaign-{campaign_id}"
    assert conversion.campaign_ref == str(campaign_id)
    assert conversion.fbclid == "IwAR0abc"
    assert [m.to for m in mail.outbox if "New lead" in m.subject] == [[owner.email]]
    drain.drain(consumer="e2e")
    counts = {t: PageEvent.objects.filter(page=landing, event_type=t).count() for t in ("view", "click", "submit")}
    assert counts["view"] >= 1
    assert counts["click"] == 1
    assert counts["submit"] == 1
    # Every event of the visit (the jump to the form also scrolled past the fold) carries the campaign.
    assert PageEvent.objects.filter(page=landing).exclude(utm_campaign=conversion.utm_campaign).count() == 0
    assert PageEvent.objects.filter(page=landing).values("visitor_hash").distinct().count() == 1

    # 8. The owner sees it in the pages list and the leads inbox.
    page.goto("/campaigns/pages/")
    expect(page.locator("#pages-table tbody tr").first).to_contain_text("Spring sale")
    page.goto("/campaigns/leads/")
    expect(page.locator("#leads-table")).to_contain_text("sam@example.com")
    expect(page.locator("#by-campaign")).to_contain_text(f"spring-sale-ca-campaign-{campaign_id}")
    assert browser_problems == []
