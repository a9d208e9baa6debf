import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.constants import DEFAULT_PALETTE
from accounts.models import BrandProfile
from tests.conftest import make_image_bytes

pytestmark = pytest.mark.django_db


def _form(**overrides):
    data = {
        "name": "Bloom Bakery",
        "website_url": "https://bloom.example",
        "tagline": "Fresh every morning",
        "heading_font": "Playfair Display",
        "body_font": "Lato",
        "tone": "friendly",
        "personality": "warm, local",
        "key_phrases": "Baked today\nOrder ahead",
        **{f"colour_{k}": v for k, v in DEFAULT_PALETTE.items()},
    }
    data.update(overrides)
    return data


def _upload(content: bytes, name="logo.png", content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_brand_kit_saves_every_part(auth_client, user):
    response = auth_client.post(
        reverse("accounts:brand"),
        _form(
            colour_primary="#aa3366",
            logo=_upload(make_image_bytes("PNG", (300, 120), mode="RGBA", colour=(0, 0, 0, 0))),
        ),
    )
    assert response.status_code == 302
    brand = BrandProfile.objects.get(user=user)
    assert brand.name == "Bloom Bakery"
    assert brand.color_palette["primary"] == "#AA3366"
    assert brand.typography == {"heading_font": "Playfair Display", "body_font": "Lato"}
    assert brand.brand_voice == {"tone": "friendly", "personality": "warm, local"}
    assert brand.messaging_patterns == {"tagline": "Fresh every morning", "key_phrases": ["Baked today", "Order ahead"]}
    assert (brand.logo_width, brand.logo_height) == (300, 120)
    assert brand.logo.name.startswith(f"brand-logos/{user.pk}/")
    assert "logo" not in brand.logo.name.rsplit("/", 1)[-1]  # the server chose the file name
    assert default_storage.exists(brand.logo.name)
    with default_storage.open(brand.logo.name) as fh:
        assert Image.open(fh).mode == "RGBA"  # transparency survives re-encoding


def test_replacing_the_logo_removes_the_old_file(auth_client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.post(reverse("accounts:brand"), _form(logo=_upload(make_image_bytes())))
    first = BrandProfile.objects.get(user=user).logo.name
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.post(
            reverse("accounts:brand"), _form(logo=_upload(make_image_bytes("JPEG"), "new.jpg", "image/jpeg"))
        )
    second = BrandProfile.objects.get(user=user).logo.name
    assert second != first
    assert second.endswith(".jpg")
    assert not default_storage.exists(first)
    assert default_storage.exists(second)


def _assert_refused(auth_client, user, data, message):
    before = BrandProfile.objects.get(user=user)
    response = auth_client.post(reverse("accounts:brand"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    after = BrandProfile.objects.get(user=user)
    assert (after.name, after.color_palette, after.logo.name, after.updated_at) == (
        before.name,
        before.color_palette,
        before.logo.name,
        before.updated_at,
    )
    assert (
        not default_storage.exists(f"brand-logos/{user.pk}") or not default_storage.listdir(f"brand-logos/{user.pk}")[1]
    )


def test_a_logo_that_is_not_an_image_is_refused(auth_client, user):
    _assert_refused(
        auth_client, user, _form(logo=_upload(b"this is plain text, not a picture")), "not a PNG, JPEG or WebP image"
    )


def test_an_image_in_a_format_outside_the_allow_list_is_refused(auth_client, user):
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="GIF")
    _assert_refused(auth_client, user, _form(logo=_upload(buffer.getvalue(), "logo.png")), "not a PNG, JPEG or WebP")


def test_an_image_over_the_size_limit_is_refused(auth_client, user, settings):
    settings.UPLOAD_MAX_BYTES = 2_000
    noisy = Image.effect_noise((300, 300), 80).convert("RGB")
    buffer = io.BytesIO()
    noisy.save(buffer, format="PNG")
    assert len(buffer.getvalue()) > 2_000
    _assert_refused(auth_client, user, _form(logo=_upload(buffer.getvalue())), "the limit is")


def test_an_image_over_the_pixel_limit_is_refused(auth_client, user, settings):
    settings.UPLOAD_MAX_PIXELS = 100 * 100
    _assert_refused(auth_client, user, _form(logo=_upload(make_image_bytes("PNG", (200, 200)))), "the limit is 0 MP")


def test_a_decompression_bomb_is_refused_before_it_is_decoded(auth_client, user):
    # 20000 x 20000 one-bit pixels: 400 MP that compress to a few dozen kilobytes.
    bomb = make_image_bytes("PNG", (20_000, 20_000), mode="1")
    assert len(bomb) < 200_000
    _assert_refused(auth_client, user, _form(logo=_upload(bomb)), "too many pixels")


def test_a_bad_colour_is_refused(auth_client, user):
    _assert_refused(auth_client, user, _form(colour_primary="red"), "Use a colour like #1A2B3C")


def test_unknown_font_is_refused(auth_client, user):
    _assert_refused(auth_client, user, _form(heading_font="Comic Sans"), "Select a valid choice")


def test_exif_is_stripped_and_orientation_applied(auth_client, user):
    image = Image.new("RGB", (40, 20), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    exif[0x010F] = "SecretCam"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    auth_client.post(reverse("accounts:brand"), _form(logo=_upload(buffer.getvalue(), "photo.jpg", "image/jpeg")))
    brand = BrandProfile.objects.get(user=user)
    with default_storage.open(brand.logo.name) as fh:
        stored = Image.open(fh)
        assert stored.size == (20, 40)
        assert not stored.getexif()
