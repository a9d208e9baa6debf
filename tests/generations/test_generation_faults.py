"""Generations that use AI providers, against the local fake of their APIs (tests/fakes/ai_server.py):
a provider that fails then succeeds charges once; one that fails for good releases the holds and
says why; a refusal is shown as such; AI copy lands in the ad and in the lineage."""

import pytest
from django.core.files.storage import default_storage
from django.test import TestCase

from credits import services as credit_services
from credits.models import CreditAccount, CreditHold, CreditTransaction, HoldStatus
from generations.errors import InvalidGenerationRequest
from generations.models import AIProvider, Asset, AssetKind, Generation, GenerationStatus, ProviderCall
from generations.services import generation as generation_services
from generations.tasks.generation import render_generation_task
from tests.factories import UserFactory
from tests.fakes.ai_server import OPENAI_CHAT, OPENAI_IMAGES, FakeAIServer, point_settings_at
from tests.generations.factories import spec_with_backdrop
from tests.templates_app.factories import create_template

API_KEY = "sk-test-fake-0123456789abcdef"


@pytest.fixture
def ai(settings, db):
    with FakeAIServer(api_key=API_KEY) as fake:
        point_settings_at(settings, fake, api_key=API_KEY)
        settings.AI_PROVIDER_TIMEOUT_SECONDS = 2
        AIProvider.objects.filter(key="openai").update(enabled=True)
        yield fake


@pytest.fixture
def user(db):
    user = UserFactory()
    credit_services.get_or_open_account(user=user)
    return user


@pytest.fixture
def template(db):
    return create_template(spec=spec_with_backdrop())


def run_like_a_worker(generation_id) -> str:
    """Run the task eagerly; a retry the runner sends on commit runs at once (Celery's eager apply),
    as a worker would run it after the countdown. Returns how the generation ended."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        outcome = render_generation_task.apply(args=[str(generation_id)]).get()
    if outcome == "retrying":
        return str(Generation.objects.get(pk=generation_id).status)
    return outcome


def balance(user) -> tuple[int, int]:
    account = CreditAccount.objects.get(user=user)
    return account.balance, account.reserved


def request_with_background(user, template) -> Generation:
    [generation] = generation_services.request_generation(
        user=user,
        request=generation_services.GenerationRequest(
            template_id=template.pk,
            formats=["1:1", "9:16"],
            ai_background=True,
            ai_prompt="warm light over a farmers' market",
        ),
    )
    return generation


def test_the_provider_failing_then_succeeding_charges_once(ai, user, template):
    before, _ = balance(user)
    generation = request_with_background(user, template)
    assert generation.credits_quoted == 2 + 4  # two formats, one AI image
    ai.fail_next(OPENAI_IMAGES, "server_error", status=503)

    assert run_like_a_worker(generation.pk) == "completed"

    generation.refresh_from_db()
    assert generation.status == GenerationStatus.COMPLETED, generation.error_message
    assert generation.attempts == 2
    assert balance(user) == (before - 6, 0)
    usage = CreditTransaction.objects.filter(reference_type="generation", reference_id=str(generation.pk))
    assert sorted(entry.amount for entry in usage) == [-4, -2]
    calls = list(ProviderCall.objects.filter(generation=generation).order_by("created_at"))
    assert [call.status for call in calls] == ["server_error", "success"]
    assert generation.provider == "openai"
    assert generation.provider_cost == sum(call.cost for call in calls)
    [background] = Asset.objects.filter(generation=generation, kind=AssetKind.AI_IMAGE)
    assert generation.prompt_data["background_asset"] == str(background.pk)
    assert Asset.objects.filter(generation=generation, kind=AssetKind.RESULT).count() == 2
    assert len(ai.requests_to(OPENAI_IMAGES)) == 2


def test_the_provider_failing_for_good_releases_the_holds_and_says_why(ai, user, template, settings):
    settings.GENERATION_MAX_ATTEMPTS = 3
    before = balance(user)
    generation = request_with_background(user, template)
    ai.fail_next(OPENAI_IMAGES, "rate_limit", retry_after=1, times=3)

    assert run_like_a_worker(generation.pk) == "failed"

    generation.refresh_from_db()
    assert generation.status == GenerationStatus.FAILED
    assert generation.attempts == 3
    assert "no credits were taken" in generation.error_message.lower()
    assert "provider" in generation.error_message.lower()
    assert balance(user) == before
    for hold_id in (generation.hold_id, generation.image_hold_id):
        assert CreditHold.objects.get(pk=hold_id).status == HoldStatus.RELEASED
    assert not Asset.objects.filter(generation=generation).exists()
    assert not default_storage.exists(f"assets/{user.pk}") or default_storage.listdir(f"assets/{user.pk}") == ([], [])
    assert ProviderCall.objects.filter(generation=generation, status="rate_limited").count() == 3


def test_a_content_policy_refusal_fails_at_once_with_the_reason(ai, user, template):
    before = balance(user)
    generation = request_with_background(user, template)
    ai.fail_next(OPENAI_IMAGES, "content_policy")

    assert run_like_a_worker(generation.pk) == "failed"

    generation.refresh_from_db()
    assert generation.status == GenerationStatus.FAILED
    assert generation.attempts == 1
    assert "content policy" in generation.error_message
    assert balance(user) == before


def test_ai_copy_in_the_brands_voice_is_used_and_kept_in_the_lineage(ai, user, template):
    ai.reply_chat({"variants": [{"headline": "Picked at dawn", "body": "Straight to your table", "cta": "Order now"}]})
    [generation] = generation_services.request_generation(
        user=user,
        request=generation_services.GenerationRequest(template_id=template.pk, formats=["1:1"], ai_copy=True),
    )
    before, _ = balance(user)
    assert run_like_a_worker(generation.pk) == "completed"
    generation.refresh_from_db()
    assert generation.status == GenerationStatus.COMPLETED, generation.error_message
    assert generation.prompt_data["copy"]["headline"] == "Picked at dawn"
    assert balance(user) == (before - 2, 0)  # one format + AI copy
    assert len(ai.requests_to(OPENAI_CHAT)) == 1


def test_asking_for_ai_without_a_configured_provider_is_refused_before_anything_is_held(user, template):
    before = balance(user)
    with pytest.raises(InvalidGenerationRequest) as caught:
        generation_services.request_generation(
            user=user,
            request=generation_services.GenerationRequest(template_id=template.pk, formats=["1:1"], ai_copy=True),
        )
    assert "OPENAI_API_KEY" in caught.value.problems["ai_copy"]
    assert not Generation.objects.exists()
    assert balance(user) == before
