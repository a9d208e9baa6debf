"""The built-in offline provider: original abstract backgrounds drawn in code from the brand colours and
a seed, reproducible, different per seed, never noise, and with no network at all."""

import itertools
import random
import socket
from decimal import Decimal

import numpy as np
import pytest
from pytest_socket import SocketBlockedError

from generations.models import AIProvider, CallStatus, ProviderCall, ProviderKind, ProviderPrice
from generations.providers import ProviderError
from generations.providers.builtin import STYLES, draw_background
from generations.services import providers as provider_services

BLUES = {"primary": "#1E40AF", "secondary": "#DBEAFE", "accent": "#3B82F6", "background": "#EFF6FF"}
FORMATS = [(1080, 1080), (1080, 1350), (1080, 1920), (1920, 1080)]


def pixels(image) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


@pytest.mark.disable_socket
def test_the_drawing_needs_no_network_and_is_identical_for_the_same_inputs():
    # Sockets really are off in this test, loopback included.
    with pytest.warns(UserWarning, match="socket"), pytest.raises(SocketBlockedError):
        socket.socket()

    first = draw_background((540, 675), 42, BLUES)
    again = draw_background((540, 675), 42, BLUES)

    assert first.mode == "RGB"
    assert first.size == (540, 675)
    assert first.tobytes() == again.tobytes()


@pytest.mark.parametrize("size", FORMATS)
def test_every_ad_format_gets_exactly_its_size(size):
    assert draw_background(size, 3, BLUES).size == size


def test_different_seeds_give_visibly_different_backgrounds():
    images = {seed: pixels(draw_background((360, 450), seed, BLUES)) for seed in range(8)}

    for a, b in itertools.combinations(images, 2):
        # Mean difference per channel, out of 255: far beyond what a tiny shift would give.
        assert np.abs(images[a] - images[b]).mean() > 6, (a, b)


def test_seeds_cover_every_style():
    styles = {STYLES[random.Random(seed).randrange(len(STYLES))] for seed in range(40)}  # noqa: S311

    assert styles == set(STYLES)


@pytest.mark.parametrize("seed", range(8))
def test_a_background_is_smooth_shapes_not_noise(seed):
    image = pixels(draw_background((540, 540), seed, BLUES))

    # Neighbouring pixels are nearly always alike (gradients, soft shapes); noise would differ everywhere.
    step = np.abs(np.diff(image, axis=1)).max(axis=2)
    assert (step <= 4).mean() > 0.97
    # And there is something to see: not one flat colour.
    assert image.reshape(-1, 3).std(axis=0).max() > 8


@pytest.mark.parametrize("seed", range(8))
def test_the_brand_colours_make_the_picture(seed):
    image = pixels(draw_background((300, 300), seed, BLUES))
    red, green, blue = (image[:, :, channel].mean() for channel in range(3))

    assert blue > red + 20
    assert blue > green


def test_missing_brand_colours_fall_back_to_the_default_palette():
    assert (
        draw_background((200, 200), 5, {}).tobytes() == draw_background((200, 200), 5, {"primary": "#2E86AB"}).tobytes()
    )


# -- through the service ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_service_uses_the_builtin_renderer_offline_and_records_the_call(user):
    result = provider_services.generate_background(user=user, prompt="", size=(1080, 1350), seed=11, brand_colors=BLUES)

    assert (result.provider, result.model, result.cost) == ("builtin", "abstract-v1", Decimal("0.0000"))
    assert (
        result.image.tobytes() == draw_background((1080, 1350), 11, {k: v.upper() for k, v in BLUES.items()}).tobytes()
    )
    call = ProviderCall.objects.get()
    assert (call.provider, call.operation, call.model, call.status, call.status_code, call.cost) == (
        "builtin",
        "image",
        "abstract-v1",
        CallStatus.SUCCESS,
        None,
        Decimal("0.0000"),
    )
    assert call.request_summary == {"size": "1080x1350", "seed": 11, "prompt_chars": 0}


@pytest.mark.django_db
def test_the_builtin_price_comes_from_provider_price(user):
    ProviderPrice.objects.filter(provider="builtin").update(cost_per_call=Decimal("0.0002"))

    result = provider_services.generate_background(user=user, prompt="", size=(64, 64), seed=1, brand_colors={})

    assert result.cost == Decimal("0.0002")
    assert ProviderCall.objects.get().cost == Decimal("0.0002")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"size": (8, 1080)}, "The image size must be between 16 and 4096 pixels a side."),
        ({"size": (1080, 5000)}, "The image size must be between 16 and 4096 pixels a side."),
        ({"size": "big"}, "The image size must be two whole numbers."),
        ({"brand_colors": {"primary": "blue"}}, "The brand colour primary (blue) is not a colour."),
        ({"prompt": "x" * 1001}, "The image description is longer than 1000 characters."),
        ({"seed": "lucky"}, "The seed must be a whole number."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_records_nothing(user, arguments, message):
    base = {"user": user, "prompt": "", "size": (100, 100), "seed": 1, "brand_colors": BLUES}

    with pytest.raises(ProviderError) as caught:
        provider_services.generate_background(**(base | arguments))

    assert caught.value.message == message
    assert not ProviderCall.objects.exists()


@pytest.mark.django_db
def test_feature_status_of_a_fresh_installation(settings):
    settings.OPENAI_API_KEY = ""
    settings.AUTOMATIC1111_URL = ""

    status = provider_services.feature_status()

    assert status["ai_image"] == provider_services.FeatureStatus(
        True,
        "builtin",
        "abstract-v1",
        "AI backgrounds are drawn offline by the built-in renderer from your brand colours. Photographic scenes "
        "need an OpenAI-compatible or Automatic1111 image provider (OpenAI-compatible: set OPENAI_API_KEY and "
        "enable it in the admin; or Automatic1111 / Stable Diffusion web UI: set AUTOMATIC1111_URL and enable it "
        "in the admin).",
    )
    assert status["ai_copy"] == provider_services.FeatureStatus(
        False, "", "", "AI copy needs an OpenAI-compatible provider: set OPENAI_API_KEY and enable it in the admin."
    )
    assert status["upscale"] == provider_services.FeatureStatus(
        False, "", "", "AI upscaling needs an Automatic1111 server: set AUTOMATIC1111_URL and enable it in the admin."
    )
    assert status["remove_background"] == provider_services.FeatureStatus(
        False,
        "",
        "",
        "AI background removal needs an Automatic1111 server with the rembg extension: set AUTOMATIC1111_URL and "
        "AUTOMATIC1111_REMBG_MODEL and enable it in the admin.",
    )


@pytest.mark.django_db
def test_the_builtin_renderer_cannot_be_switched_off(user):
    AIProvider.objects.filter(key=ProviderKind.BUILTIN).update(enabled=False)

    assert provider_services.feature_status()["ai_image"].available is True
    assert (
        provider_services.generate_background(user=user, prompt="", size=(32, 32), seed=1, brand_colors={}).provider
        == "builtin"
    )


@pytest.mark.django_db
def test_the_migration_seeds_the_providers_and_example_prices():
    assert dict(AIProvider.objects.values_list("key", "enabled")) == {
        "builtin": True,
        "openai": False,
        "automatic1111": False,
    }
    prices = {(p.provider, p.operation, p.model): p.cost_per_call for p in ProviderPrice.objects.all()}
    assert prices == {
        ("builtin", "image", ""): Decimal("0.0000"),
        ("openai", "image", "gpt-image-1"): Decimal("0.0420"),
        ("openai", "image", "dall-e-3"): Decimal("0.0400"),
        ("openai", "copy", "gpt-4o-mini"): Decimal("0.0010"),
        ("automatic1111", "image", ""): Decimal("0.0000"),
        ("automatic1111", "upscale", ""): Decimal("0.0000"),
        ("automatic1111", "remove_background", ""): Decimal("0.0000"),
    }
