"""The providers' admin: switches, models, whether the environment is configured (never the key itself),
editable prices, and the read-only list of calls with its filters."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from generations.models import AIProvider, CallStatus, ProviderCall, ProviderPrice

API_KEY = "sk-live-super-secret-key-0123456789"
A1111_PASSWORD = "gpu-box-password-42"

pytestmark = pytest.mark.django_db


@pytest.fixture
def configured(settings):
    settings.OPENAI_API_KEY = API_KEY
    settings.OPENAI_BASE_URL = "http://llm.internal:8080/v1"
    settings.AUTOMATIC1111_URL = "http://gpu.internal:7860"
    settings.AUTOMATIC1111_API_AUTH = f"artist:{A1111_PASSWORD}"


def assert_no_secret(response):
    content = response.content.decode()
    assert API_KEY not in content
    assert A1111_PASSWORD not in content


def provider(key: str) -> AIProvider:
    return AIProvider.objects.get(key=key)


def test_the_provider_list_says_what_is_configured_without_showing_keys(admin_client_, configured):
    response = admin_client_.get(reverse("admin:generations_aiprovider_changelist"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Configured: key set, base URL http://llm.internal:8080/v1" in content
    assert "Configured: http://gpu.internal:7860 (background removal off, with a password)" in content
    assert "Always available (no settings needed)" in content
    assert "gpt-image-1 (from OPENAI_IMAGE_MODEL)" in content
    assert_no_secret(response)


def test_the_provider_list_names_the_missing_variables(admin_client_, settings):
    settings.OPENAI_API_KEY = ""
    settings.AUTOMATIC1111_URL = ""

    response = admin_client_.get(reverse("admin:generations_aiprovider_changelist"))

    content = response.content.decode()
    assert "Not configured: set OPENAI_API_KEY" in content
    assert "Not configured: set AUTOMATIC1111_URL" in content


@pytest.mark.parametrize("key", ["builtin", "openai", "automatic1111"])
def test_each_provider_page_loads_without_secrets(admin_client_, configured, key):
    response = admin_client_.get(reverse("admin:generations_aiprovider_change", args=[provider(key).pk]))

    assert response.status_code == 200
    assert_no_secret(response)


def test_staff_set_a_model_and_switch_a_provider_on(admin_client_, configured):
    openai = provider("openai")

    response = admin_client_.post(
        reverse("admin:generations_aiprovider_change", args=[openai.pk]),
        {"enabled": "on", "image_model": "dall-e-3", "chat_model": "", "notes": "Checked the prices."},
    )

    assert response.status_code == 302
    openai.refresh_from_db()
    assert (openai.enabled, openai.image_model, openai.chat_model) == (True, "dall-e-3", "")
    page = admin_client_.get(reverse("admin:generations_aiprovider_change", args=[openai.pk])).content.decode()
    assert "dall-e-3 (set here)" in page
    assert "gpt-4o-mini (from OPENAI_CHAT_MODEL)" in page


def test_enable_and_disable_actions_leave_the_builtin_renderer_on(admin_client_, settings, staff_user):
    settings.OPENAI_API_KEY = ""
    url = reverse("admin:generations_aiprovider_changelist")
    everyone = [str(pk) for pk in AIProvider.objects.values_list("pk", flat=True)]

    response = admin_client_.post(url, {"action": "enable_providers", "_selected_action": everyone}, follow=True)

    assert dict(AIProvider.objects.values_list("key", "enabled")) == {
        "builtin": True,
        "openai": True,
        "automatic1111": True,
    }
    messages = [str(m) for m in response.context["messages"]]
    assert "2 provider(s) enabled." in messages
    assert "OpenAI-compatible is enabled but not used until OPENAI_API_KEY is set." in messages
    assert LogEntry.objects.filter(user=staff_user, object_id=str(provider("openai").pk)).count() == 1

    admin_client_.post(url, {"action": "disable_providers", "_selected_action": everyone})

    assert dict(AIProvider.objects.values_list("key", "enabled")) == {
        "builtin": True,
        "openai": False,
        "automatic1111": False,
    }


def test_providers_are_neither_added_nor_deleted_in_the_admin(admin_client_):
    assert admin_client_.get(reverse("admin:generations_aiprovider_add")).status_code == 403
    assert (
        admin_client_.post(reverse("admin:generations_aiprovider_delete", args=[provider("openai").pk])).status_code
        == 403
    )
    assert AIProvider.objects.count() == 3


def test_prices_are_listed_and_editable(admin_client_):
    response = admin_client_.get(reverse("admin:generations_providerprice_changelist") + "?provider=openai")
    assert response.status_code == 200
    assert "gpt-image-1" in response.content.decode()

    response = admin_client_.post(
        reverse("admin:generations_providerprice_add"),
        {
            "provider": "openai",
            "operation": "image",
            "model": "gpt-image-1",
            "cost_per_call": "0.0630",
            "currency": "USD",
            "effective_date": "2026-12-01",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    added = ProviderPrice.objects.get(effective_date=date(2026, 12, 1))
    assert added.cost_per_call == Decimal("0.0630")


def test_a_negative_price_is_refused_beside_the_form(admin_client_):
    price = ProviderPrice.objects.get(provider="openai", operation="copy")

    response = admin_client_.post(
        reverse("admin:generations_providerprice_change", args=[price.pk]),
        {
            "provider": "openai",
            "operation": "copy",
            "model": "gpt-4o-mini",
            "cost_per_call": "-1",
            "currency": "USD",
            "effective_date": "2025-01-01",
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    price.refresh_from_db()
    assert price.cost_per_call == Decimal("0.0010")


@pytest.fixture
def calls(user):
    ProviderCall.objects.create(
        user=user, provider="openai", operation="image", model="gpt-image-1", status=CallStatus.SUCCESS,
        status_code=200, latency_ms=2100, cost=Decimal("0.0420"), request_summary={"size": "1080x1080"},
    )  # fmt: skip
    ProviderCall.objects.create(
        user=user, provider="openai", operation="copy", model="gpt-4o-mini", status=CallStatus.RATE_LIMITED,
        status_code=429, latency_ms=80, error_message="The OpenAI-compatible AI service is receiving too many requests right now.",
    )  # fmt: skip
    ProviderCall.objects.create(
        user=user, provider="automatic1111", operation="upscale", model="R-ESRGAN 4x+", status=CallStatus.TIMEOUT,
        latency_ms=120000,
    )  # fmt: skip


def test_the_call_list_filters_by_provider_status_and_operation(admin_client_, calls, configured):
    url = reverse("admin:generations_providercall_changelist")

    assert admin_client_.get(url).context["cl"].result_count == 3
    assert admin_client_.get(url, {"provider": "openai"}).context["cl"].result_count == 2
    assert admin_client_.get(url, {"status": "rate_limited"}).context["cl"].result_count == 1
    assert admin_client_.get(url, {"operation": "upscale"}).context["cl"].result_count == 1
    today = ProviderCall.objects.first().created_at
    response = admin_client_.get(url, {"created_at__year": today.year, "created_at__month": today.month})
    assert response.context["cl"].result_count == 3
    assert_no_secret(response)


def test_calls_are_read_only(admin_client_, calls):
    call = ProviderCall.objects.get(status=CallStatus.SUCCESS)

    page = admin_client_.get(reverse("admin:generations_providercall_change", args=[call.pk]))
    assert page.status_code == 200
    assert 'name="cost"' not in page.content.decode()
    assert admin_client_.get(reverse("admin:generations_providercall_add")).status_code == 403
    admin_client_.post(reverse("admin:generations_providercall_delete", args=[call.pk]))
    assert ProviderCall.objects.count() == 3


def test_non_staff_cannot_see_provider_pages(auth_client):
    response = auth_client.get(reverse("admin:generations_aiprovider_changelist"))

    assert response.status_code == 302
    assert "/login/" in response["Location"]
