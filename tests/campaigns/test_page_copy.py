"""“Write it for me” on a landing page, against the fake AI server over HTTP: the texts come from the
chat provider, the call is recorded with its tokens and cost, the credits are held then captured
(or released when anything fails, and then the page is unchanged), and without a provider the
button is not offered and the API refuses with a code."""

import json
from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.models import BusinessProfile
from campaigns.pages import copywriting
from campaigns.pages import services as page_services
from credits import services as credit_services
from credits.constants import HoldStatus
from credits.models import CreditHold, CreditTransaction
from generations.models import AIProvider, CallStatus, ProviderCall, ProviderPrice
from tests.fakes.ai_server import OPENAI_CHAT, FakeAIServer, point_settings_at

API_KEY = "sk-test-fake-0123456789abcdef"

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_ai(settings):
    with FakeAIServer(api_key=API_KEY) as fake:
        point_settings_at(settings, fake, api_key=API_KEY)
        yield fake


@pytest.fixture
def openai_on(fake_ai):
    AIProvider.objects.filter(key="openai").update(enabled=True, chat_model="gpt-4o-mini")
    ProviderPrice.objects.filter(provider="openai", operation="copy").delete()
    ProviderPrice.objects.create(
        provider="openai", operation="copy", model="", cost_per_call=Decimal("0.0020"), effective_date=date(2026, 1, 1)
    )
    return fake_ai


@pytest.fixture
def funded(user):
    credit_services.grant_credits(user=user, amount=50, type="bonus", idempotency_key=f"test-topup:{user.pk}")
    return user


@pytest.fixture
def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def answer_for(components, **overrides) -> dict:
    """A valid answer: every slot filled with a short text (overrides by slot key)."""
    variant = {}
    for component in components:
        for key, slot in copywriting.slots_of(component).items():
            variant[key] = f"New {slot['label'].split(':')[1].strip().lower()}"[: slot["max_chars"]]
    variant.update(overrides)
    return {"variants": [variant]}


def snapshot(page):
    return [(c.pk, c.component_type, json.dumps(c.props, sort_keys=True)) for c in page.components.all()]


def available(user) -> int:
    account = credit_services.get_or_open_account(user=user)
    account.refresh_from_db()
    return account.balance - account.reserved


def test_whole_page_is_written_recorded_and_charged_one_credit_per_component(api, page, funded, openai_on):
    BusinessProfile.objects.update_or_create(
        user=funded, defaults={"business_name": "Crumb & Co", "target_audience_description": "Busy parents"}
    )
    components = list(page.components.all())
    hero = page.components.get(component_type="hero")
    openai_on.reply_chat(answer_for(components, **{f"{hero.pk}|headline": "Sourdough at dawn, at your door"}))
    price = api.get(f"/api/v1/pages/{page.pk}/write-copy/")
    assert price.status_code == 200
    assert price.json() == {"available": True, "credits": 5, "allowed": True, "reason": ""}
    before = available(funded)

    response = api.post(f"/api/v1/pages/{page.pk}/write-copy/", {"goal": "book a tasting"}, format="json")

    assert response.status_code == 200, response.content
    hero.refresh_from_db()
    assert hero.props["headline"] == "Sourdough at dawn, at your door"
    header = page.components.get(component_type="header")
    assert header.props["brand_name"] == ""  # a fact the AI does not write
    [call] = ProviderCall.objects.all()
    assert (call.status, call.operation, call.cost) == (CallStatus.SUCCESS, "copy", Decimal("0.0020"))
    assert call.request_summary["usage"]["total_tokens"] > 0
    [request] = openai_on.requests_to(OPENAI_CHAT)
    system = request.body["messages"][0]["content"]
    assert "Crumb & Co" in system
    assert "Busy parents" in system
    assert "book a tasting" in system
    assert "landing page" in system
    hold = CreditHold.objects.get(reference_id=str(page.pk))
    assert (hold.status, hold.amount, hold.captured_amount) == (HoldStatus.CAPTURED, 5, 5)
    assert available(funded) == before - 5
    page.refresh_from_db()
    assert page.undo_state is not None  # one change: undo brings the user's texts back
    assert page_services.undo_last_change(page=page)
    hero.refresh_from_db()
    assert hero.props["headline"] == "Get your free guide today"


def test_one_component_costs_one_credit_and_leaves_the_others(auth_client, page, funded, openai_on):
    hero = page.components.get(component_type="hero")
    others = [row for row in snapshot(page) if row[0] != hero.pk]
    openai_on.reply_chat(answer_for([hero]))
    before = available(funded)

    response = auth_client.post(
        f"/campaigns/pages/{page.pk}/write-copy/", {"component": str(hero.pk)}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert "The AI wrote 1 component" in response.content.decode()
    hero.refresh_from_db()
    assert hero.props["headline"] == "New headline"
    assert hero.props["cta_url"] == "#form"
    assert [row for row in snapshot(page) if row[0] != hero.pk] == others
    assert available(funded) == before - 1


def test_provider_failure_releases_the_credits_and_changes_nothing(api, page, funded, openai_on):
    openai_on.fail_next(OPENAI_CHAT, "server_error", status=503)
    before, credits = snapshot(page), available(funded)

    response = api.post(f"/api/v1/pages/{page.pk}/write-copy/", {}, format="json")

    assert response.status_code == 503
    assert response.json()["code"] == "ai_unavailable"
    assert snapshot(page) == before
    assert available(funded) == credits
    assert CreditHold.objects.get(reference_id=str(page.pk)).status == HoldStatus.RELEASED
    assert not CreditTransaction.objects.filter(type="usage").exists()
    [call] = ProviderCall.objects.all()
    assert call.status == CallStatus.SERVER_ERROR


def test_malformed_answer_twice_is_refused_and_released(api, page, funded, openai_on):
    openai_on.reply_chat("this is not json", '{"variants": "nope"}')
    before, credits = snapshot(page), available(funded)

    response = api.post(f"/api/v1/pages/{page.pk}/write-copy/", {}, format="json")

    assert response.status_code == 502
    assert response.json()["code"] == "ai_answer_rejected"
    assert snapshot(page) == before
    assert available(funded) == credits
    assert ProviderCall.objects.filter(status=CallStatus.MALFORMED).count() == 2  # asked once more, as for ads
    page.refresh_from_db()
    assert page.undo_state is None


def test_script_in_the_answer_is_refused_by_the_schema(api, page, funded, openai_on):
    hero = page.components.get(component_type="hero")
    openai_on.reply_chat(
        answer_for(list(page.components.all()), **{f"{hero.pk}|headline": "<script>alert(1)</script>"})
    )
    before, credits = snapshot(page), available(funded)

    response = api.post(f"/api/v1/pages/{page.pk}/write-copy/", {}, format="json")

    assert response.status_code == 502
    assert response.json()["code"] == "ai_answer_rejected"
    assert "headline" in response.json()["detail"]
    assert snapshot(page) == before
    assert available(funded) == credits


def test_not_enough_credits_is_402_and_no_call_is_made(api, page, user, openai_on):
    spare = available(user)
    if spare:
        credit_services.hold_credits(user=user, amount=spare, reference_type="test", reference_id="x")
    before = snapshot(page)

    response = api.post(f"/api/v1/pages/{page.pk}/write-copy/", {}, format="json")

    assert response.status_code == 402
    assert response.json()["code"] == "insufficient_credits"
    assert response.json()["needed"] == 5
    assert openai_on.requests_to(OPENAI_CHAT) == []
    assert snapshot(page) == before


def test_without_a_provider_the_button_is_not_offered_and_the_api_refuses(
    auth_client, api, page, funded, staff_user, client
):
    editor = auth_client.get(f"/campaigns/pages/{page.pk}/edit/")
    assert "Write it for me" not in editor.content.decode()
    assert 'id="write-copy-setup"' not in editor.content.decode()

    response = api.post(f"/api/v1/pages/{page.pk}/write-copy/", {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "ai_not_configured"
    assert api.get(f"/api/v1/pages/{page.pk}/write-copy/").json()["available"] is False
    assert not CreditHold.objects.exists()


def test_staff_see_how_to_set_it_up(client, staff_user):
    page = page_services.create_page(
        user=staff_user, name="Staff page", slug="staff-page", starting_point="lead_capture"
    )
    client.force_login(staff_user)
    editor = client.get(f"/campaigns/pages/{page.pk}/edit/").content.decode()
    assert 'id="write-copy-setup"' in editor
    assert "OpenAI-compatible" in editor


def test_the_editor_shows_the_price_on_the_button(auth_client, page, funded, openai_on):
    editor = auth_client.get(f"/campaigns/pages/{page.pk}/edit/").content.decode()
    assert "Write it for me · 5 credits" in editor
    assert "Write it for me · 1 credit<" in editor


def test_someone_elses_page_is_404(other_user, page, openai_on):
    client = APIClient()
    client.force_authenticate(other_user)
    assert client.post(f"/api/v1/pages/{page.pk}/write-copy/", {}, format="json").status_code == 404
    assert client.get(f"/api/v1/pages/{page.pk}/write-copy/").status_code == 404
