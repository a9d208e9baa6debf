"""The remote AI providers, driven over real HTTP against the local fake (tests/fakes/ai_server.py):
success, 429 with Retry-After, 5xx, timeouts, malformed answers, content-policy refusals, and a
provider that is not configured or not enabled. Every attempt leaves exactly one ProviderCall row."""

import json
import socket
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image

from generations.models import AIProvider, CallStatus, ImageOperation, ProviderCall, ProviderPrice
from generations.providers import (
    ContentRefused,
    MalformedResponse,
    ProviderError,
    ProviderNotConfigured,
    TransientProviderError,
)
from generations.services import provider_copy
from generations.services import providers as provider_services
from tests.fakes.ai_server import (
    A1111_EXTRAS,
    A1111_REMBG,
    A1111_TXT2IMG,
    OPENAI_CHAT,
    OPENAI_IMAGES,
    FakeAIServer,
    point_settings_at,
)
from tests.generations.factories import AssetFactory, GenerationFactory

API_KEY = "sk-test-fake-0123456789abcdef"
BRAND_COLORS = {"primary": "#2E86AB", "accent": "#F18F01", "secondary": "#F8F9FA", "background": "#FFFFFF"}
BRAND = {
    "name": "Crumb & Co",
    "voice": {"tone": "playful", "personality": ["warm", "witty"], "words_to_avoid": ["cheap"]},
    "messaging": {"value_proposition": "Sourdough baked at dawn"},
}
SLOTS = {
    "headline": {"label": "Headline", "max_chars": 30, "text": "Fresh bread daily"},
    "cta": {"label": "Call to action", "max_chars": 15, "text": "Order now"},
}
GOOD_VARIANTS = [
    {"headline": "Dawn-baked, still warm", "cta": "Grab a loaf"},
    {"headline": "Sourdough worth waking for", "cta": "Order today"},
]

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_ai(settings):
    with FakeAIServer(api_key=API_KEY) as fake:
        point_settings_at(settings, fake, api_key=API_KEY)
        yield fake


def enable(*keys: str) -> None:
    AIProvider.objects.filter(key__in=keys).update(enabled=True)


@pytest.fixture
def openai_on(fake_ai):
    enable("openai")
    return fake_ai


@pytest.fixture
def a1111_on(fake_ai):
    enable("automatic1111")
    return fake_ai


def background(user, **overrides):
    arguments = {
        "user": user,
        "prompt": "A sunlit bakery counter with loaves",
        "size": (1080, 1350),
        "seed": 7,
        "brand_colors": BRAND_COLORS,
    }
    return provider_services.generate_background(**(arguments | overrides))


def copy(user, **overrides):
    arguments = {"user": user, "brand": BRAND, "slots": SLOTS, "count": 2}
    return provider_copy.write_copy_variants(**(arguments | overrides))


def only_call() -> ProviderCall:
    calls = list(ProviderCall.objects.all())
    assert len(calls) == 1, calls
    return calls[0]


def row_text(call: ProviderCall) -> str:
    return json.dumps(
        {f.name: str(getattr(call, f.attname)) for f in ProviderCall._meta.concrete_fields}, ensure_ascii=False
    )


# -- OpenAI-compatible: images ----------------------------------------------------------------


def test_openai_image_success_is_decoded_cropped_and_recorded_with_its_price(openai_on, user):
    generation = GenerationFactory(user=user)

    result = background(user, generation=generation, attempt=2)

    assert result.image.size == (1080, 1350)
    assert result.image.getpixel((540, 675))[:3] == (250, 250, 250)  # the fake's disc, centred after cropping
    assert (result.provider, result.model, result.cost) == ("openai", "gpt-image-1", Decimal("0.0420"))
    [request] = openai_on.requests_to(OPENAI_IMAGES)
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.body["model"] == "gpt-image-1"
    assert request.body["size"] == "1024x1536"  # the allowed size closest to 4:5
    assert "response_format" not in request.body  # gpt-image models refuse it
    assert request.body["prompt"].startswith("A sunlit bakery counter with loaves")
    assert "#2E86AB" in request.body["prompt"]
    assert "no text" in request.body["prompt"]
    call = only_call()
    assert (call.provider, call.operation, call.model, call.status, call.status_code) == (
        "openai",
        "image",
        "gpt-image-1",
        CallStatus.SUCCESS,
        200,
    )
    assert call.cost == Decimal("0.0420")
    assert call.latency_ms >= 1
    assert (call.user, call.generation, call.attempt) == (user, generation, 2)
    assert call.request_summary == {
        "size": "1080x1350",
        "seed": 7,
        "prompt_chars": len("A sunlit bakery counter with loaves"),
        "request_size": "1024x1536",
    }
    assert API_KEY not in row_text(call)


def test_openai_image_model_chosen_in_the_admin_and_its_own_price(openai_on, user):
    AIProvider.objects.filter(key="openai").update(image_model="dall-e-3")

    result = background(user, size=(1920, 1080))

    [request] = openai_on.requests_to(OPENAI_IMAGES)
    assert (request.body["model"], request.body["response_format"], request.body["size"]) == (
        "dall-e-3",
        "b64_json",
        "1536x1024",
    )
    assert (result.model, result.cost, result.image.size) == ("dall-e-3", Decimal("0.0400"), (1920, 1080))


def test_price_is_the_latest_active_one_effective_today(openai_on, user):
    today = timezone.localdate()
    ProviderPrice.objects.create(
        provider="openai", operation="image", model="gpt-image-1", cost_per_call="0.0500", effective_date=today
    )
    ProviderPrice.objects.create(
        provider="openai",
        operation="image",
        model="gpt-image-1",
        cost_per_call="0.0900",
        effective_date=today + timedelta(days=1),
    )
    ProviderPrice.objects.create(
        provider="openai",
        operation="image",
        model="gpt-image-1",
        cost_per_call="0.0700",
        effective_date=today - timedelta(days=1),
        is_active=False,
    )

    assert background(user).cost == Decimal("0.0500")
    assert only_call().cost == Decimal("0.0500")


def test_a_model_without_a_price_costs_nothing_and_still_works(openai_on, user):
    AIProvider.objects.filter(key="openai").update(image_model="local-sdxl")

    result = background(user)

    assert (result.model, result.cost) == ("local-sdxl", Decimal("0"))
    assert only_call().status == CallStatus.SUCCESS


def test_openai_rate_limit_is_transient_with_the_retry_after_header(openai_on, user):
    openai_on.fail_next(OPENAI_IMAGES, "rate_limit", retry_after=7)

    with pytest.raises(TransientProviderError) as caught:
        background(user)

    assert caught.value.retry_after == 7.0
    assert "too many requests" in caught.value.message
    call = only_call()
    assert (call.status, call.status_code, call.cost) == (CallStatus.RATE_LIMITED, 429, Decimal("0"))
    assert call.error_message == caught.value.message


def test_an_http_date_retry_after_is_turned_into_seconds(openai_on, user):
    when = timezone.now() + timedelta(seconds=120)
    openai_on.fail_next(OPENAI_IMAGES, "rate_limit", retry_after=when.strftime("%a, %d %b %Y %H:%M:%S GMT"))

    with pytest.raises(TransientProviderError) as caught:
        background(user)

    assert 100 <= caught.value.retry_after <= 121


@pytest.mark.parametrize("status", [500, 503])
def test_openai_server_errors_are_transient(openai_on, user, status):
    openai_on.fail_next(OPENAI_IMAGES, "server_error", status=status)

    with pytest.raises(TransientProviderError) as caught:
        background(user)

    assert caught.value.retry_after is None
    assert f"HTTP {status}" in caught.value.message
    call = only_call()
    assert (call.status, call.status_code, call.cost) == (CallStatus.SERVER_ERROR, status, Decimal("0"))


def test_an_answer_slower_than_the_timeout_is_a_transient_timeout(openai_on, user, settings):
    settings.AI_PROVIDER_TIMEOUT_SECONDS = 0.3
    openai_on.fail_next(OPENAI_IMAGES, "slow", delay=5)
    started = time.monotonic()

    with pytest.raises(TransientProviderError) as caught:
        background(user)

    assert time.monotonic() - started < 3
    assert caught.value.message == "The OpenAI-compatible AI service did not answer within 0.3 seconds."
    call = only_call()
    assert (call.status, call.status_code) == (CallStatus.TIMEOUT, None)
    assert 250 <= call.latency_ms < 3000


def test_a_provider_that_cannot_be_reached_is_transient(openai_on, user, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{closed_port}/v1"

    with pytest.raises(TransientProviderError) as caught:
        background(user)

    assert caught.value.message == "The OpenAI-compatible AI service could not be reached."
    assert (only_call().status, only_call().status_code) == (CallStatus.ERROR, None)


def test_a_malformed_image_answer_is_a_clear_permanent_error(openai_on, user):
    openai_on.fail_next(OPENAI_IMAGES, "malformed")

    with pytest.raises(MalformedResponse) as caught:
        background(user)

    assert not isinstance(caught.value, TransientProviderError)
    assert caught.value.message == "The OpenAI-compatible AI service sent an answer that is not valid JSON."
    call = only_call()
    assert (call.status, call.status_code, call.cost) == (CallStatus.MALFORMED, 200, Decimal("0"))


def test_a_content_policy_refusal_is_content_refused_with_a_readable_message(openai_on, user):
    openai_on.fail_next(OPENAI_IMAGES, "content_policy")

    with pytest.raises(ContentRefused) as caught:
        background(user)

    assert caught.value.message == (
        "The AI service declined this request under its content policy. Please change the wording and try again."
    )
    call = only_call()
    assert (call.status, call.status_code, call.cost) == (CallStatus.REFUSED, 400, Decimal("0"))


def test_an_exhausted_quota_is_permanent_not_a_rate_limit(openai_on, user):
    openai_on.fail_next(OPENAI_IMAGES, "quota")

    with pytest.raises(ProviderError) as caught:
        background(user)

    assert not isinstance(caught.value, TransientProviderError)
    assert "no quota left" in caught.value.message
    assert (only_call().status, only_call().status_code) == (CallStatus.ERROR, 429)


def test_a_bad_request_passes_the_providers_reason_on(openai_on, user):
    openai_on.fail_next(OPENAI_IMAGES, "bad_request", message="Invalid value for 'size'.")

    with pytest.raises(ProviderError) as caught:
        background(user)

    assert caught.value.message == (
        "The OpenAI-compatible AI service rejected the request (HTTP 400) (Invalid value for 'size'.)."
    )


def test_a_refused_key_is_reported_without_the_key(openai_on, user, settings):
    settings.OPENAI_API_KEY = "sk-wrong-key-9876543210zyxw"

    with pytest.raises(ProviderError) as caught:
        background(user)

    assert caught.value.message == (
        "The OpenAI-compatible AI service refused this installation's credentials. Please tell the site's staff."
    )
    call = only_call()
    assert (call.status, call.status_code) == (CallStatus.ERROR, 401)
    assert "sk-wrong-key" not in row_text(call)


def test_openai_not_configured_falls_back_to_the_builtin_renderer(openai_on, user, settings):
    settings.OPENAI_API_KEY = ""

    result = background(user)

    assert (result.provider, result.model) == ("builtin", "abstract-v1")
    assert openai_on.requests == []
    assert only_call().provider == "builtin"
    status = provider_services.feature_status()
    assert status["ai_image"].provider == "builtin"
    assert "OpenAI-compatible: set OPENAI_API_KEY;" in status["ai_image"].message


def test_openai_disabled_in_the_admin_is_not_used_even_when_configured(fake_ai, user):
    result = background(user)

    assert result.provider == "builtin"
    assert fake_ai.requests == []


# -- OpenAI-compatible: copy variants ---------------------------------------------------------


def test_copy_variants_in_the_brands_voice(openai_on, user):
    openai_on.reply_chat({"variants": GOOD_VARIANTS})
    generation = GenerationFactory(user=user)

    result = copy(user, generation=generation)

    assert result.variants == GOOD_VARIANTS
    assert (result.provider, result.model, result.cost) == ("openai", "gpt-4o-mini", Decimal("0.0010"))
    [request] = openai_on.requests_to(OPENAI_CHAT)
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.body["model"] == "gpt-4o-mini"
    assert request.body["response_format"] == {"type": "json_object"}
    system, ask = request.body["messages"]
    assert "Crumb & Co" in system["content"]
    assert "tone: playful" in system["content"]
    assert "words to avoid: cheap" in system["content"]
    assert "Sourdough baked at dawn" in system["content"]
    assert json.loads(ask["content"]) == {
        "variants_wanted": 2,
        "texts": [
            {"key": "headline", "label": "Headline", "max_chars": 30, "current_text": "Fresh bread daily"},
            {"key": "cta", "label": "Call to action", "max_chars": 15, "current_text": "Order now"},
        ],
    }
    call = only_call()
    assert (call.operation, call.status, call.status_code, call.cost, call.generation) == (
        "copy",
        CallStatus.SUCCESS,
        200,
        Decimal("0.0010"),
        generation,
    )
    assert call.request_summary["usage"] == {"prompt_tokens": 420, "completion_tokens": 180, "total_tokens": 600}


def test_the_chat_model_chosen_in_the_admin_is_used(openai_on, user):
    AIProvider.objects.filter(key="openai").update(chat_model="llama3.1:8b")
    openai_on.reply_chat({"variants": GOOD_VARIANTS})

    result = copy(user)

    assert openai_on.requests_to(OPENAI_CHAT)[0].body["model"] == "llama3.1:8b"
    assert (result.model, result.cost) == ("llama3.1:8b", Decimal("0"))


def test_a_text_over_its_limit_is_sent_back_once_and_the_repaired_answer_used(openai_on, user):
    too_long = "Sourdough so good you will sing"  # 31 characters, the limit is 30
    first = {"variants": [{"headline": too_long, "cta": "Grab a loaf"}, GOOD_VARIANTS[1]]}
    openai_on.reply_chat(first, {"variants": GOOD_VARIANTS})

    result = copy(user)

    assert result.variants == GOOD_VARIANTS
    assert result.cost == Decimal("0.0020")  # both answers were produced, and billed
    retry = openai_on.requests_to(OPENAI_CHAT)[1].body["messages"]
    assert retry[2] == {"role": "assistant", "content": json.dumps(first)}
    assert "variant 1 headline has 31 characters; the limit is 30" in retry[3]["content"]
    calls = list(ProviderCall.objects.order_by("created_at"))
    assert [(c.status, c.cost, c.request_summary["try"]) for c in calls] == [
        (CallStatus.MALFORMED, Decimal("0.0010"), 1),
        (CallStatus.SUCCESS, Decimal("0.0010"), 2),
    ]


def test_texts_over_their_limit_twice_are_refused_never_cut(openai_on, user):
    too_long = {"variants": [{"headline": "x" * 31, "cta": "Go"}, GOOD_VARIANTS[1]]}
    openai_on.reply_chat(too_long, too_long)

    with pytest.raises(ProviderError) as caught:
        copy(user)

    assert caught.value.message == "The AI answer did not fit the text limits."
    assert not isinstance(caught.value, TransientProviderError)
    assert list(ProviderCall.objects.values_list("status", flat=True)) == [CallStatus.MALFORMED] * 2


@pytest.mark.parametrize(
    ("first", "problem"),
    [
        ({"variants": [{"headline": "Dawn-baked, still warm"}, GOOD_VARIANTS[1]]}, "variant 1 has no cta"),
        ({"variants": [GOOD_VARIANTS[0]]}, "1 variants were written; 2 are needed"),
    ],
)
def test_a_missing_text_or_variant_is_asked_for_again(openai_on, user, first, problem):
    openai_on.reply_chat(first, {"variants": GOOD_VARIANTS})

    assert copy(user).variants == GOOD_VARIANTS
    assert problem in openai_on.requests_to(OPENAI_CHAT)[1].body["messages"][-1]["content"]


def test_an_answer_that_is_not_json_is_asked_for_again_once(openai_on, user):
    openai_on.reply_chat("Here are some ideas: Fresh bread!", {"variants": GOOD_VARIANTS})

    assert copy(user).variants == GOOD_VARIANTS
    assert "not the JSON object asked for" in openai_on.requests_to(OPENAI_CHAT)[1].body["messages"][-1]["content"]


def test_two_unreadable_answers_are_a_provider_error(openai_on, user):
    openai_on.reply_chat("not json", "still not json")

    with pytest.raises(ProviderError) as caught:
        copy(user)

    assert caught.value.message == "The AI service's answer could not be read. Please try again."
    assert ProviderCall.objects.filter(status=CallStatus.MALFORMED).count() == 2


def test_a_malformed_chat_body_is_asked_for_again_and_not_charged(openai_on, user):
    openai_on.fail_next(OPENAI_CHAT, "malformed")
    openai_on.reply_chat({"variants": GOOD_VARIANTS})

    result = copy(user)

    assert result.variants == GOOD_VARIANTS
    assert result.cost == Decimal("0.0010")
    calls = list(ProviderCall.objects.order_by("created_at"))
    assert [(c.status, c.status_code, c.cost) for c in calls] == [
        (CallStatus.MALFORMED, 200, Decimal("0")),
        (CallStatus.SUCCESS, 200, Decimal("0.0010")),
    ]


@pytest.mark.parametrize(("fault", "status_code"), [("refusal", 200), ("content_policy", 400)])
def test_a_chat_refusal_is_content_refused(openai_on, user, fault, status_code):
    openai_on.fail_next(OPENAI_CHAT, fault)

    with pytest.raises(ContentRefused):
        copy(user)

    assert len(openai_on.requests_to(OPENAI_CHAT)) == 1  # a refusal is not asked again
    assert (only_call().status, only_call().status_code) == (CallStatus.REFUSED, status_code)


def test_a_rate_limited_chat_is_left_to_the_job_to_retry(openai_on, user):
    openai_on.fail_next(OPENAI_CHAT, "rate_limit", retry_after="2.5")

    with pytest.raises(TransientProviderError) as caught:
        copy(user)

    assert caught.value.retry_after == 2.5
    assert len(openai_on.requests_to(OPENAI_CHAT)) == 1
    assert only_call().status == CallStatus.RATE_LIMITED


def test_chat_server_error_and_timeout_are_transient(openai_on, user, settings):
    openai_on.fail_next(OPENAI_CHAT, "server_error", status=502)
    with pytest.raises(TransientProviderError):
        copy(user)
    settings.AI_PROVIDER_TIMEOUT_SECONDS = 0.3
    openai_on.fail_next(OPENAI_CHAT, "slow", delay=5)
    with pytest.raises(TransientProviderError):
        copy(user)

    assert list(ProviderCall.objects.order_by("created_at").values_list("status", "status_code")) == [
        (CallStatus.SERVER_ERROR, 502),
        (CallStatus.TIMEOUT, None),
    ]


def test_copy_without_a_configured_provider_says_what_to_do(fake_ai, user, settings):
    settings.OPENAI_API_KEY = ""

    with pytest.raises(ProviderNotConfigured) as caught:
        copy(user)

    assert (
        caught.value.message
        == "AI copy needs an OpenAI-compatible provider: set OPENAI_API_KEY and enable it in the admin."
    )
    assert fake_ai.requests == []
    assert not ProviderCall.objects.exists()


def test_copy_with_a_key_but_switched_off_in_the_admin(fake_ai, user):
    with pytest.raises(ProviderNotConfigured) as caught:
        copy(user)

    assert caught.value.message == "AI copy needs an OpenAI-compatible provider: enable it in the admin."
    assert fake_ai.requests == []


def test_copy_enabled_but_without_a_key(openai_on, user, settings):
    settings.OPENAI_API_KEY = ""

    status = provider_services.feature_status()["ai_copy"]

    assert status == provider_services.FeatureStatus(
        False, "", "", "AI copy needs an OpenAI-compatible provider: set OPENAI_API_KEY."
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"count": 0}, "Ask for between 1 and 10 variants."),
        ({"slots": {}}, "Choose at least one text to write variants of."),
        ({"slots": {"headline": {"label": "Headline"}}}, "The text slot headline has no character limit."),
    ],
)
def test_bad_copy_requests_are_refused_before_any_call(openai_on, user, arguments, message):
    with pytest.raises(ProviderError) as caught:
        copy(user, **arguments)

    assert caught.value.message == message
    assert openai_on.requests == []


# -- Automatic1111 ----------------------------------------------------------------------------


def test_a1111_image_success_with_seed_and_size(a1111_on, user):
    ProviderPrice.objects.create(
        provider="automatic1111",
        operation="image",
        model="",
        cost_per_call="0.0030",
        effective_date=timezone.localdate(),
    )

    result = background(user, size=(1080, 1920), seed=2**40 + 5)

    assert result.image.size == (1080, 1920)
    assert (result.provider, result.model, result.cost) == ("automatic1111", "", Decimal("0.0030"))
    [request] = a1111_on.requests_to(A1111_TXT2IMG)
    body = request.body
    assert (body["width"], body["height"], body["seed"]) == (576, 1024, 5)
    assert body["steps"] == 25
    assert body["sampler_name"] == "DPM++ 2M"
    assert "text" in body["negative_prompt"]
    assert "override_settings" not in body
    assert "Authorization" not in request.headers
    call = only_call()
    assert (call.provider, call.status, call.status_code, call.cost) == (
        "automatic1111",
        CallStatus.SUCCESS,
        200,
        Decimal("0.0030"),
    )
    assert call.request_summary["request_size"] == "576x1024"


def test_a1111_checkpoint_chosen_in_the_admin(a1111_on, user):
    AIProvider.objects.filter(key="automatic1111").update(image_model="sdxl_base_1.0.safetensors")

    assert background(user).model == "sdxl_base_1.0.safetensors"
    body = a1111_on.requests_to(A1111_TXT2IMG)[0].body
    assert body["override_settings"] == {"sd_model_checkpoint": "sdxl_base_1.0.safetensors"}


def test_openai_goes_first_when_both_image_providers_are_on(openai_on, user):
    enable("automatic1111")

    assert background(user).provider == "openai"
    assert openai_on.requests_to(A1111_TXT2IMG) == []


def test_a1111_with_a_password(settings, user):
    with FakeAIServer(basic_auth=("artist", "s3cret-pass-word")) as fake:
        point_settings_at(settings, fake)
        enable("automatic1111")
        settings.AUTOMATIC1111_API_AUTH = "artist:s3cret-pass-word"
        assert background(user).provider == "automatic1111"

        settings.AUTOMATIC1111_API_AUTH = "artist:wrong-pass-word"
        with pytest.raises(ProviderError) as caught:
            background(user)

    assert caught.value.message == (
        "The Automatic1111 image server refused this installation's credentials. Please tell the site's staff."
    )
    failed = ProviderCall.objects.get(status=CallStatus.ERROR)
    assert failed.status_code == 401
    assert "pass-word" not in row_text(failed)


def test_a1111_rate_limit_from_its_proxy(a1111_on, user):
    a1111_on.fail_next(A1111_TXT2IMG, "rate_limit", retry_after=30)

    with pytest.raises(TransientProviderError) as caught:
        background(user)

    assert caught.value.retry_after == 30.0
    assert (only_call().status, only_call().status_code) == (CallStatus.RATE_LIMITED, 429)


def test_a1111_out_of_memory_is_a_transient_server_error(a1111_on, user):
    a1111_on.fail_next(A1111_TXT2IMG, "server_error")

    with pytest.raises(TransientProviderError) as caught:
        background(user)

    assert caught.value.message == "The Automatic1111 image server had a problem on its side (HTTP 500)."
    assert (only_call().status, only_call().status_code) == (CallStatus.SERVER_ERROR, 500)


def test_a1111_timeout(a1111_on, user, settings):
    settings.AI_PROVIDER_TIMEOUT_SECONDS = 0.3
    a1111_on.fail_next(A1111_TXT2IMG, "slow", delay=5)

    with pytest.raises(TransientProviderError) as caught:
        background(user)

    assert caught.value.message == "The Automatic1111 image server did not answer within 0.3 seconds."
    assert only_call().status == CallStatus.TIMEOUT


def test_a1111_malformed_answer(a1111_on, user):
    a1111_on.fail_next(A1111_TXT2IMG, "malformed")

    with pytest.raises(MalformedResponse) as caught:
        background(user)

    assert caught.value.message == "The Automatic1111 image server sent an answer that is not valid JSON."
    assert only_call().status == CallStatus.MALFORMED


def test_a1111_rejection_names_the_field(a1111_on, user):
    # The web UI has no content policy of its own; what it refuses, it refuses as a 422 validation error.
    a1111_on.fail_next(A1111_TXT2IMG, "bad_request")

    with pytest.raises(ProviderError) as caught:
        background(user)

    assert not isinstance(caught.value, ContentRefused | TransientProviderError)
    assert caught.value.message == (
        "The Automatic1111 image server rejected the request (HTTP 422) (width: value is not a valid integer)."
    )
    assert (only_call().status, only_call().status_code) == (CallStatus.ERROR, 422)


def test_a1111_not_configured_says_so(fake_ai, user, settings):
    settings.AUTOMATIC1111_URL = ""
    enable("automatic1111")

    status = provider_services.feature_status()

    assert status["upscale"] == provider_services.FeatureStatus(
        False, "", "", "AI upscaling needs an Automatic1111 server: set AUTOMATIC1111_URL."
    )
    assert background(user).provider == "builtin"


# -- image operations -------------------------------------------------------------------------


@pytest.fixture
def image_operation(user):
    return ImageOperation.objects.create(user=user, source=AssetFactory(user=user), operation_type="upscale")


def test_upscale_with_automatic1111(a1111_on, user, image_operation):
    image = Image.new("RGB", (64, 48), "#3366CC")

    result = provider_services.run_image_operation_with_provider(
        user=user, operation="upscale", image=image, parameters={"factor": 4}, image_operation=image_operation
    )

    assert result.image.size == (256, 192)
    assert result.image.getpixel((128, 96)) == (0x33, 0x66, 0xCC)
    assert (result.provider, result.model, result.cost) == ("automatic1111", "R-ESRGAN 4x+", Decimal("0.0000"))
    [request] = a1111_on.requests_to(A1111_EXTRAS)
    assert (request.body["upscaling_resize"], request.body["upscaler_1"]) == (4, "R-ESRGAN 4x+")
    call = only_call()
    assert (call.operation, call.status, call.image_operation, call.generation) == (
        "upscale",
        CallStatus.SUCCESS,
        image_operation,
        None,
    )
    assert call.request_summary == {"size": "64x48", "factor": 4}


def test_upscale_without_a_provider_returns_none(fake_ai, user):
    result = provider_services.run_image_operation_with_provider(
        user=user, operation="upscale", image=Image.new("RGB", (8, 8)), parameters={"factor": 2}
    )

    assert result is None
    assert fake_ai.requests == []
    assert not ProviderCall.objects.exists()


def test_upscale_failures_are_recorded_and_raised(a1111_on, user):
    a1111_on.fail_next(A1111_EXTRAS, "rate_limit", retry_after=4)

    with pytest.raises(TransientProviderError) as caught:
        provider_services.run_image_operation_with_provider(
            user=user, operation="upscale", image=Image.new("RGB", (8, 8)), parameters={"factor": 2}
        )

    assert caught.value.retry_after == 4.0
    assert (only_call().operation, only_call().status) == ("upscale", CallStatus.RATE_LIMITED)


def test_a_bad_upscale_factor_is_refused(a1111_on, user):
    with pytest.raises(ProviderError) as caught:
        provider_services.run_image_operation_with_provider(
            user=user, operation="upscale", image=Image.new("RGB", (8, 8)), parameters={"factor": 3}
        )

    assert caught.value.message == "Choose an upscale factor of 2 or 4."
    assert a1111_on.requests == []


def test_background_removal_needs_the_rembg_model_setting(a1111_on, user, settings):
    image = Image.new("RGB", (40, 40), "#EEDDCC")
    assert (
        provider_services.run_image_operation_with_provider(
            user=user, operation="remove_background", image=image, parameters={}
        )
        is None
    )
    assert provider_services.feature_status()["remove_background"].message == (
        "AI background removal needs an Automatic1111 server with the rembg extension: set AUTOMATIC1111_REMBG_MODEL."
    )

    settings.AUTOMATIC1111_REMBG_MODEL = "u2net"
    result = provider_services.run_image_operation_with_provider(
        user=user, operation="remove_background", image=image, parameters={}
    )

    assert result.image.mode == "RGBA"
    assert result.image.size == (40, 40)
    assert result.image.getpixel((0, 0))[3] == 0
    assert result.image.getpixel((20, 20))[3] == 255
    assert a1111_on.requests_to(A1111_REMBG)[0].body["model"] == "u2net"
    assert provider_services.feature_status()["remove_background"].available is True


def test_background_removal_without_the_extension_installed(a1111_on, user, settings):
    settings.AUTOMATIC1111_REMBG_MODEL = "u2net"
    a1111_on.fail_next(A1111_REMBG, "not_found")

    with pytest.raises(ProviderError) as caught:
        provider_services.run_image_operation_with_provider(
            user=user, operation="remove_background", image=Image.new("RGB", (8, 8)), parameters={}
        )

    assert caught.value.message.startswith("The Automatic1111 image server does not offer what was asked (HTTP 404)")
    assert (only_call().status, only_call().status_code) == (CallStatus.ERROR, 404)


# -- what each feature says -------------------------------------------------------------------


def test_feature_status_with_everything_configured(openai_on, settings):
    enable("automatic1111")
    settings.AUTOMATIC1111_REMBG_MODEL = "u2net"

    status = provider_services.feature_status()

    assert {name: (s.available, s.provider, s.model) for name, s in status.items()} == {
        "ai_image": (True, "openai", "gpt-image-1"),
        "ai_copy": (True, "openai", "gpt-4o-mini"),
        "upscale": (True, "automatic1111", "R-ESRGAN 4x+"),
        "remove_background": (True, "automatic1111", "u2net"),
    }
    assert status["ai_copy"].message == "AI copy is written by OpenAI-compatible (gpt-4o-mini)."
    assert status["upscale"].message == "AI upscaling uses Automatic1111 / Stable Diffusion web UI (R-ESRGAN 4x+)."
