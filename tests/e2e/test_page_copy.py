"""“Write it for me” in the editor, with the AI copy provider answering from the local fake: the
button shows its price, the hero's texts are replaced in the panel and the preview (htmx, under
the CSP), the credits are taken, and one undo brings the user's texts back."""

import json
import re

import pytest
from playwright.sync_api import expect

from campaigns.pages import copywriting
from campaigns.pages import services as page_services
from credits import services as credit_services
from generations.models import AIProvider
from tests.factories import PASSWORD, UserFactory
from tests.fakes.ai_server import FakeAIServer, point_settings_at

pytestmark = [pytest.mark.e2e]

API_KEY = "sk-test-fake-0123456789abcdef"


def test_write_the_hero_for_me_then_undo(page, live_server, screenshot, browser_problems, settings):
    owner = UserFactory(email="noor@example.com")
    credit_services.grant_credits(user=owner, amount=20, type="bonus", idempotency_key=f"e2e-topup:{owner.pk}")
    before = credit_services.get_or_open_account(user=owner).balance
    landing = page_services.create_page(user=owner, name="Bakery", slug="bakery", starting_point="lead_capture")
    hero = landing.components.get(component_type="hero")
    answer = dict.fromkeys(copywriting.slots_of(hero), "")
    answer[f"{hero.pk}|headline"] = "Sourdough at dawn, at your door"
    answer[f"{hero.pk}|subheadline"] = "Baked before sunrise, delivered warm."
    answer[f"{hero.pk}|cta_label"] = "Order a loaf"
    with FakeAIServer(api_key=API_KEY) as fake:
        point_settings_at(settings, fake, api_key=API_KEY)
        AIProvider.objects.filter(key="openai").update(enabled=True, chat_model="gpt-4o-mini")
        fake.reply_chat(json.dumps({"variants": [answer]}))

        page.goto("/accounts/login/")
        page.get_by_label(re.compile(r"^Email")).fill(owner.email)
        page.get_by_label(re.compile(r"^Password")).fill(PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        expect(page).to_have_url(re.compile(r"/dashboard/$"))
        page.goto(f"/campaigns/pages/{landing.pk}/edit/")
        expect(page.locator("#write-copy-page")).to_have_text(re.compile(r"Write it for me · 5 credits"))

        card = page.locator('#components li[data-type="hero"]')
        card.get_by_text("Edit hero").click()
        card.get_by_role("button", name=re.compile(r"Write it for me · 1 credit$")).click()
        expect(page.get_by_text("The AI wrote 1 component")).to_be_visible()
        expect(page.locator("#topbar-credits")).to_have_text(f"{before - 1} credits")  # the top bar follows
        frame = page.frame_locator("#preview-frame")
        expect(frame.get_by_role("heading", level=1)).to_have_text("Sourdough at dawn, at your door")
        card = page.locator('#components li[data-type="hero"]')
        expect(card.get_by_label("Headline *")).to_have_value("Sourdough at dawn, at your door")
        screenshot(page, "landing-write-it-for-me")

        page.get_by_role("button", name="Undo last change").click()
        expect(frame.get_by_role("heading", level=1)).to_have_text("Get your free guide today")
    account = credit_services.get_or_open_account(user=owner)
    account.refresh_from_db()
    assert (account.balance, account.reserved) == (before - 1, 0)  # undo does not give credits back
    assert browser_problems == []
