"""Uploading images: checked by content (not the name), size and pixel count; EXIF orientation
applied and metadata removed; all or nothing; through the service, the My images page and the API."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from generations.models import Asset, AssetKind
from generations.services import operations as services
from tests.generations.factories import AssetFactory, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings) -> Path:
    """The throwaway media folder tests/conftest.py set for this test."""
    return Path(settings.MEDIA_ROOT)


def stored_files(media_root: Path) -> list[str]:
    if not media_root.exists():
        return []
    return sorted(str(path.relative_to(media_root)) for path in media_root.rglob("*") if path.is_file())


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def oriented_jpeg() -> bytes:
    """40 by 20, left half red and right half blue, stored with EXIF orientation 6 (rotate 90° clockwise
    to view) and a camera make and GPS position that must not survive."""
    image = Image.new("RGB", (40, 20), (220, 0, 0))
    image.paste((0, 0, 220), (20, 0, 40, 20))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPSInfo: latitude
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95, exif=exif)
    return out.getvalue()


def test_a_png_named_jpg_is_stored_as_png_with_a_readable_name_and_a_thumbnail(user, media):
    asset = services.upload_image(user=user, upload=upload("holiday.jpg", png_bytes((64, 48)), "image/jpeg"))

    asset.refresh_from_db()
    assert asset.kind == AssetKind.UPLOAD
    assert (asset.file_format, asset.mime_type) == ("png", "image/png")
    assert (asset.width, asset.height) == (64, 48)
    assert asset.original_filename == "holiday.jpg"
    assert asset.file.name.startswith(f"assets/{user.pk}/brand_holiday_")
    assert asset.file.name.endswith(".png")
    assert asset.size_bytes == default_storage.size(asset.file.name)
    with default_storage.open(asset.file.name) as handle, Image.open(handle) as stored:
        assert stored.format == "PNG"
    with default_storage.open(asset.thumbnail.name) as handle, Image.open(handle) as thumb:
        assert thumb.format == "WEBP"
    assert stored_files(media) == sorted([asset.file.name, asset.thumbnail.name])


def test_free_plan_uploads_expire_after_the_retention_period(user, settings):
    settings.GENERATION_FREE_RETENTION_DAYS = 30
    before = timezone.now()
    asset = services.upload_image(user=user, upload=upload("a.png", png_bytes()))
    assert before + timedelta(days=30) <= asset.expires_at <= timezone.now() + timedelta(days=30)


def test_a_text_file_named_png_is_refused_and_nothing_is_stored(user, media):
    with pytest.raises(services.UploadRejected) as refused:
        services.upload_image(user=user, upload=upload("logo.png", b"just some text, not an image\n" * 10))
    assert refused.value.message == "The file is not a PNG, JPEG or WebP image."
    assert refused.value.problems == [("logo.png", "The file is not a PNG, JPEG or WebP image.")]
    assert not Asset.objects.exists()
    assert stored_files(media) == []


def test_too_many_pixels_are_refused_before_decoding(user, settings, media):
    settings.UPLOAD_MAX_PIXELS = 1_000_000
    with pytest.raises(services.UploadRejected) as refused:
        services.upload_image(user=user, upload=upload("big.png", png_bytes((1200, 1000))))
    assert refused.value.message == "The image is 1200×1000 pixels (1.2 MP); the limit is 1 MP."
    assert not Asset.objects.exists()
    assert stored_files(media) == []


def test_too_many_bytes_are_refused(user, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    noisy = Image.effect_noise((300, 300), 80).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, format="PNG")
    content = out.getvalue()
    with pytest.raises(services.UploadRejected) as refused:
        services.upload_image(user=user, upload=upload("noise.png", content))
    assert refused.value.message.startswith(f"The file is {len(content) // 1024} KB; the limit is 1 KB.")
    assert not Asset.objects.exists()


def test_exif_orientation_is_applied_and_metadata_removed(user):
    asset = services.upload_image(user=user, upload=upload("phone.jpg", oriented_jpeg(), "image/jpeg"))
    assert (asset.width, asset.height) == (20, 40)
    with default_storage.open(asset.file.name) as handle, Image.open(handle) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (20, 40)
        assert "exif" not in stored.info
        assert dict(stored.getexif()) == {}
        rgb = stored.convert("RGB")
        red_top, blue_bottom = rgb.getpixel((10, 5)), rgb.getpixel((10, 35))
    assert red_top[0] > 180
    assert red_top[2] < 60
    assert blue_bottom[2] > 180
    assert blue_bottom[0] < 60
    assert asset.file.name.endswith(".jpg")


def test_one_bad_file_among_several_stores_none_of_them(user, media):
    files = [
        upload("one.png", png_bytes()),
        upload("notes.webp", b"%PDF-1.7 not an image at all"),
        upload("two.png", png_bytes()),
    ]
    with pytest.raises(services.UploadRejected) as refused:
        services.upload_images(user=user, uploads=files)
    assert refused.value.problems == [("notes.webp", "The file is not a PNG, JPEG or WebP image.")]
    assert not Asset.objects.exists()
    assert stored_files(media) == []


def test_more_files_than_allowed_at_once_are_refused(user):
    files = [upload(f"{n}.png", png_bytes()) for n in range(services.MAX_FILES_PER_UPLOAD + 1)]
    with pytest.raises(services.UploadRejected) as refused:
        services.upload_images(user=user, uploads=files)
    assert refused.value.message == f"Upload at most {services.MAX_FILES_PER_UPLOAD} images at a time."
    assert not Asset.objects.exists()


def test_the_my_images_page_uploads_several_files_and_lists_them(auth_client, user):
    response = auth_client.post(
        reverse("generations:images"),
        {"images": [upload("first.png", png_bytes()), upload("second.jpg", png_bytes((30, 20)))]},
    )
    assert response.status_code == 302
    assert response.url == reverse("generations:images")
    assert Asset.objects.filter(user=user, kind=AssetKind.UPLOAD).count() == 2

    page = auth_client.get(reverse("generations:images")).content.decode()
    assert "2 images uploaded." in page
    assert "first.png" in page
    assert "second.jpg" in page
    for asset in Asset.objects.filter(user=user):
        assert f"{reverse('generations:asset_file', args=[asset.pk])}?thumb=1" in page
        assert reverse("generations:asset", args=[asset.pk]) in page
    assert "/media/" not in page


def test_the_my_images_page_shows_a_refusal_beside_the_field_and_stores_nothing(auth_client, media):
    response = auth_client.post(
        reverse("generations:images"), {"images": [upload("good.png", png_bytes()), upload("bad.png", b"hello")]}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_images_errors"' in body
    assert "bad.png: The file is not a PNG, JPEG or WebP image." in body
    assert 'aria-invalid="true"' in body
    assert not Asset.objects.exists()
    assert stored_files(media) == []


def test_the_my_images_page_asks_for_a_file(auth_client):
    body = auth_client.post(reverse("generations:images"), {}).content.decode()
    assert "Choose at least one image to upload." in body
    assert not Asset.objects.exists()


def test_my_images_lists_only_my_uploads_paginated_in_constant_queries(
    auth_client, user, other_user, django_assert_num_queries
):
    AssetFactory(user=other_user, original_filename="not-mine.png")
    AssetFactory(user=user, kind=AssetKind.RESULT, original_filename="a-render.png")
    AssetFactory(user=user, original_filename="mine-0.png")
    url = reverse("generations:images")
    auth_client.get(url)  # warm the session and the credit account

    # user, count, page, recent edits, credits; the storage line: subscription, free plan, library and font bytes
    with django_assert_num_queries(9) as one:
        body = auth_client.get(url).content.decode()
    assert "mine-0.png" in body
    assert "not-mine.png" not in body
    assert "a-render.png" not in body

    for n in range(1, 30):
        AssetFactory(user=user, original_filename=f"mine-{n}.png")
    with django_assert_num_queries(len(one.captured_queries)):
        first = auth_client.get(url).content.decode()
    assert first.count('data-testid="image-grid"') == 1
    assert "Page 1 of 2" in first
    assert "mine-29.png" in first
    assert "mine-0.png" not in first
    second = auth_client.get(url, {"page": 2}).content.decode()
    assert "mine-0.png" in second
    assert "mine-29.png" not in second


def test_my_images_needs_a_login(client):
    response = client.get(reverse("generations:images"))
    assert response.status_code == 302
    assert "/login/" in response.url


def test_api_uploads_lists_and_refuses(user, other_user, media):
    api = APIClient()
    api.force_authenticate(user)
    AssetFactory(user=other_user)

    created = api.post(
        reverse("api-images"),
        {"file": [upload("a.jpg", png_bytes()), upload("b.png", png_bytes(colour="#CC3366"))]},
        format="multipart",
    )
    assert created.status_code == 201
    results = created.json()["results"]
    assert [item["name"] for item in results] == ["a.jpg", "b.png"]
    assert results[0]["file_format"] == "png"
    assert results[0]["file_url"].endswith(reverse("generations:asset_file", args=[results[0]["id"]]))

    refused = api.post(reverse("api-images"), {"file": [upload("c.png", b"text")]}, format="multipart")
    assert refused.status_code == 400
    assert refused.json() == {
        "detail": "The file is not a PNG, JPEG or WebP image.",
        "code": "upload_rejected",
        "errors": {"file": ["c.png: The file is not a PNG, JPEG or WebP image."]},
    }
    empty = api.post(reverse("api-images"), {}, format="multipart")
    assert empty.status_code == 400

    listed = api.get(reverse("api-images")).json()
    assert listed["count"] == 2
    assert {item["id"] for item in listed["results"]} == {item["id"] for item in results}
    assert len(stored_files(media)) == 1 + 4  # the other user's file, and two files with thumbnails
