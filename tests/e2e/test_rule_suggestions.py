"""A rule's suggestion on the Rules page, explained by the AI chat provider (the fake AI server) from
the numbers synced from the fake Graph API, in a real browser under the CSP."""

import re

import pytest
from playwright.sync_api import expect

from campaigns.publishing import services as publishing
from campaigns.rules import services as rule_services
from campaigns.sync import services as sync_services
from generations.models import AIProvider
from tests.campaigns.support import connect, draft, meta_settings
from tests.factories import PASSWORD, UserFactory
from tests.fakes.ai_server import FakeAIServer, point_settings_at
from tests.fakes.graph_server import FakeGraphServer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

API_KEY = "sk-test-fake-0123456789abcdef"
EXPLANATION = "Your campaign spent money over the last 3 days, more than the 0 this rule watches for."


@pytest.fixture
def services_faked(settings, live_server):
    with FakeGraphServer() as graph, FakeAIServer(api_key=API_KEY) as ai:
        meta_settings(settings, graph)
        point_settings_at(settings, ai, api_key=API_KEY)
        settings.META_SYNC_RESTATE_DAYS = 3
        yield graph, ai


def test_a_suggestion_is_explained_by_ai_on_the_rules_page(page, services_faked, screenshot):
    _graph, ai = services_faked
    user = UserFactory()
    connect(user, _graph)
    campaign = draft(user)
    # Jobs run as they are queued in this suite (eager Celery): publish, then sync.
    publishing.request_publish(user=user, campaign=campaign)
    ad_account = user.meta_connection.ad_accounts.get(selected=True)
    sync, _ = sync_services.request_sync(ad_account=ad_account, kind="manual")
    sync.refresh_from_db()
    assert sync.status == "completed"
    campaign.refresh_from_db()
    rule_services.save_rule(
        user=user,
        campaign=campaign,
        data={
            "name": "Spend watch",
            "level": "campaign",
            "conditions": [{"metric": "spend", "operator": "gt", "value": "0", "days": 3}],
            "action": "activate",
            "mode": "suggest",
        },
    )
    [suggestion] = rule_services.evaluate_account(ad_account=ad_account)
    AIProvider.objects.filter(key="openai").update(enabled=True)
    ai.reply_chat({"text": EXPLANATION})

    page.goto("/accounts/login/")
    page.get_by_label(re.compile(r"^Email(\s*\*)?$")).fill(user.email)
    page.get_by_label(re.compile(r"^Password(\s*\*)?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.goto("/campaigns/rules/")
    pending = page.get_by_test_id("pending")
    expect(pending).to_contain_text("Spend watch")
    pending.get_by_role("button", name="Explain with AI").click()
    expect(page.get_by_test_id("explanation")).to_contain_text(EXPLANATION)
    expect(page.get_by_test_id("explanation")).to_contain_text("Explained by AI")
    expect(pending.get_by_role("button", name="Explain with AI")).to_have_count(0)
    expect(pending.get_by_role("button", name="Approve")).to_be_visible()
    screenshot(page, "rules-suggestion-explained")
    suggestion.refresh_from_db()
    assert suggestion.explanation == EXPLANATION
