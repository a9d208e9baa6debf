"""A suggestion's plain-words explanation from the AI chat provider (the fake AI server): written from
the numbers and recorded as a provider call; a provider failure leaves the suggestion as it was; with
no provider, nothing on the page or in the API pretends to be AI."""

import json
import logging
from decimal import Decimal

import pytest

from campaigns.rules import services
from campaigns.rules.models import LogStatus, OptimizationLog
from generations.models import AIProvider, CallStatus, ProviderCall, ProviderPrice
from tests.campaigns.support import finish_sync, requested_sync
from tests.fakes.ai_server import OPENAI_CHAT, FakeAIServer, point_settings_at

pytestmark = pytest.mark.django_db

API_KEY = "sk-test-fake-0123456789abcdef"
EXPLANATION = (
    "Your ad spent 48.20 EUR over the last 3 days, more than the 0 EUR this rule watches for, so it "
    "suggests switching the campaign on."
)


@pytest.fixture
def suggestion(user, published_campaign, django_capture_on_commit_callbacks) -> OptimizationLog:
    ad_account, campaign = published_campaign
    finish_sync(requested_sync(ad_account, django_capture_on_commit_callbacks))
    services.save_rule(
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
    [log] = services.evaluate_account(ad_account=ad_account)
    assert log.status == LogStatus.SUGGESTED
    return log


@pytest.fixture
def chat(settings):
    with FakeAIServer(api_key=API_KEY) as fake:
        point_settings_at(settings, fake, api_key=API_KEY)
        yield fake


@pytest.fixture
def chat_on(chat):
    AIProvider.objects.filter(key="openai").update(enabled=True)
    return chat


def test_an_explanation_is_written_from_the_numbers_recorded_and_shown_on_the_page_and_in_the_api(
    client, user, chat_on, suggestion
):
    chat_on.reply_chat({"text": EXPLANATION})
    client.force_login(user)
    page = client.get("/campaigns/rules/").content.decode()
    assert "Explain with AI" in page
    assert client.post(f"/campaigns/rule-logs/{suggestion.pk}/explain/").status_code == 302

    suggestion.refresh_from_db()
    assert suggestion.explanation == EXPLANATION
    assert suggestion.explanation_by == "OpenAI-compatible (gpt-4o-mini)"
    assert suggestion.status == LogStatus.SUGGESTED  # explained, still waiting for approval
    [request] = chat_on.requests_to(OPENAI_CHAT)
    system, numbers = request.body["messages"]
    assert "do not invent" in system["content"]
    facts = json.loads(numbers["content"])
    assert facts["numbers"] == suggestion.metrics
    assert facts["conditions"] == ["Spend > 0 over 3 days"]
    call = ProviderCall.objects.get()
    price = ProviderPrice.objects.filter(provider="openai", operation="copy").order_by("-effective_date").first()
    assert (call.operation, call.status, call.user, call.cost) == (
        "copy",
        CallStatus.SUCCESS,
        user,
        price.cost_per_call,
    )
    assert call.cost > Decimal(0)
    assert call.request_summary["purpose"] == "rule_suggestion"
    assert call.request_summary["usage"]["total_tokens"] > 0

    page = client.get("/campaigns/rules/").content.decode()
    assert "Explained by AI" in page
    assert EXPLANATION in page
    assert "Explain with AI" not in page
    [listed] = [log for log in client.get("/api/v1/rule-logs/").json() if log["id"] == str(suggestion.pk)]
    assert listed["explanation"] == EXPLANATION
    again = client.post(f"/api/v1/rule-logs/{suggestion.pk}/explain/")
    assert again.status_code == 200
    assert again.json()["explanation"] == EXPLANATION
    assert len(chat_on.requests_to(OPENAI_CHAT)) == 1  # asked once per suggestion


def test_a_provider_failure_leaves_the_suggestion_unexplained_logs_it_and_can_be_tried_again(
    client, user, chat_on, suggestion, caplog
):
    chat_on.fail_next(OPENAI_CHAT, "server_error")
    client.force_login(user)
    with caplog.at_level(logging.WARNING, logger="campaigns.rules.explanations"):
        answer = client.post(f"/api/v1/rule-logs/{suggestion.pk}/explain/")
    assert answer.status_code == 503
    assert answer.json()["code"] == "ai_failed"
    assert any(r.message == "Rule suggestion explanation failed" for r in caplog.records)
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.explanation) == (LogStatus.SUGGESTED, "")
    assert ProviderCall.objects.get().status == CallStatus.SERVER_ERROR

    chat_on.reply_chat("not json at all")  # an unreadable answer: refused the same way, page stays up
    page = client.post(f"/campaigns/rule-logs/{suggestion.pk}/explain/", follow=True)
    assert page.status_code == 200
    assert "could not explain this suggestion" in page.content.decode()
    suggestion.refresh_from_db()
    assert suggestion.explanation == ""
    assert client.post(f"/campaigns/rule-logs/{suggestion.pk}/approve/").status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.status == LogStatus.APPLIED  # the suggestion still works


def test_without_a_provider_nothing_pretends_to_be_ai_and_staff_see_how_to_set_it_up(
    client, user, admin_user, chat, suggestion
):
    client.force_login(user)
    page = client.get("/campaigns/rules/").content.decode()
    assert "Explain with AI" not in page
    assert "Explained by AI" not in page
    assert 'data-testid="explain-setup"' not in page
    refused = client.post(f"/api/v1/rule-logs/{suggestion.pk}/explain/")
    assert (refused.status_code, refused.json()["code"]) == (409, "ai_unavailable")
    assert not chat.requests
    assert not ProviderCall.objects.exists()

    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    staff_page = client.get("/campaigns/rules/").content.decode()
    assert 'data-testid="explain-setup"' in staff_page
    assert "enable it in the admin" in staff_page


def test_another_users_suggestion_cannot_be_explained(client, django_user_model, chat_on, suggestion):
    other = django_user_model.objects.create_user(email="other@example.com", password="x")
    client.force_login(other)
    assert client.post(f"/api/v1/rule-logs/{suggestion.pk}/explain/").status_code == 404
    assert client.post(f"/campaigns/rule-logs/{suggestion.pk}/explain/").status_code == 404
    assert not chat_on.requests
