"""Finding 4 (issue 11): uploads are limited in rate and in storage by plan, on the pages and the API;
a refusal says why and stores nothing; the library shows how much is used."""

import io
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from credits.services import plans, storage
from generations.models import Asset
from templates_app.models import BrandFont
from tests.templates_app.test_brand_fonts import upload as font_upload

pytestmark = pytest.mark.django_db


def noisy_png(side: int = 420) -> bytes:
    """A PNG that does not compress: about 3 bytes a pixel."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, format="PNG")
    return out.getvalue()


def png_upload(name="photo.png", data=None):
    return SimpleUploadedFile(name, data or noisy_png(), content_type="image/png")


def stored(media_root) -> list[Path]:
    root = Path(media_root)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture
def one_mb(settings):
    settings.STORAGE_QUOTA_FREE_MB = 1
    return settings


def test_the_quota_comes_from_the_plan_or_the_settings(user, settings):
    settings.STORAGE_QUOTA_FREE_MB = 7
    settings.STORAGE_QUOTA_PAID_MB = 70
    assert storage.quota_bytes(user=user) == 7 * storage.MB  # the free plan, no quota of its own
    free = plans.free_plan()
    free.storage_quota_mb = 3
    free.save()
    assert storage.quota_bytes(user=user) == 3 * storage.MB
    free.storage_quota_mb = 0
    free.save()
    assert storage.usage(user=user).label.endswith("used")  # 0: no limit


def test_the_page_refuses_an_upload_that_does_not_fit_and_stores_nothing(auth_client, user, one_mb):
    response = auth_client.post(reverse("generations:images"), {"images": [png_upload()]})
    assert response.status_code == 302
    assert Asset.objects.filter(user=user).count() == 1
    files_before = stored(one_mb.MEDIA_ROOT)

    response = auth_client.post(reverse("generations:images"), {"images": [png_upload("second.png")]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Not enough storage for this upload" in page
    assert "nothing was stored" in page
    assert Asset.objects.filter(user=user).count() == 1
    assert stored(one_mb.MEDIA_ROOT) == files_before


def test_the_api_refuses_an_upload_that_does_not_fit(user, one_mb):
    api = APIClient()
    api.force_authenticate(user)
    assert api.post("/api/v1/images/", {"file": [png_upload()]}, format="multipart").status_code == 201
    response = api.post("/api/v1/images/", {"file": [png_upload()]}, format="multipart")
    assert response.status_code == 400
    assert "Not enough storage for this upload" in response.json()["errors"]["file"][0]
    assert Asset.objects.filter(user=user).count() == 1


def test_a_brand_font_is_refused_when_storage_is_full(auth_client, user, one_mb):
    auth_client.post(reverse("generations:images"), {"images": [png_upload(data=noisy_png(590))]})
    assert storage.usage(user=user).free < 10_000  # a few KB left: less than the font
    response = auth_client.post(reverse("templates_app:brand_fonts"), {"file": font_upload()})
    assert "Not enough storage for this upload" in response.content.decode()
    assert not BrandFont.objects.filter(user=user).exists()


def test_the_library_shows_usage(auth_client, user, settings):
    settings.STORAGE_QUOTA_FREE_MB = 5 * 1024
    auth_client.post(reverse("generations:images"), {"images": [png_upload()]})
    used = storage.usage(user=user)
    assert used.used > 400_000
    for url in (reverse("generations:images"), reverse("generations:index")):
        page = auth_client.get(url).content.decode()
        assert f"{used.label}" in page
        assert " of 5 GB" in page


def test_uploads_past_the_rate_limit_are_refused_on_the_page_and_the_api(auth_client, user, settings):
    settings.UPLOAD_RATE_LIMIT = "3/hour"
    small = [png_upload(f"p{n}.png", noisy_png(16)) for n in range(3)]
    assert auth_client.post(reverse("generations:images"), {"images": small}).status_code == 302
    response = auth_client.post(reverse("generations:images"), {"images": [png_upload("late.png", noisy_png(16))]})
    assert "You reached the upload limit of 3 files per hour" in response.content.decode()
    assert Asset.objects.filter(user=user).count() == 3

    api = APIClient()
    api.force_authenticate(user)
    response = api.post("/api/v1/images/", {"file": [png_upload("api.png", noisy_png(16))]}, format="multipart")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert Asset.objects.filter(user=user).count() == 3


def test_logo_and_avatar_uploads_count_against_the_same_rate(auth_client, user, settings):
    settings.UPLOAD_RATE_LIMIT = "1/hour"
    api = APIClient()
    api.force_authenticate(user)
    assert (
        api.put(
            "/api/v1/me/brand-kit/logo/", {"logo": png_upload("logo.png", noisy_png(16))}, format="multipart"
        ).status_code
        == 200
    )
    response = api.put(
        "/api/v1/me/brand-kit/logo/", {"logo": png_upload("logo.png", noisy_png(16))}, format="multipart"
    )
    assert response.status_code == 429
    response = auth_client.post(
        reverse("accounts:profile"), {"first_name": "A", "avatar": png_upload("me.png", noisy_png(16))}, follow=True
    )
    assert "You reached the upload limit of 1 file per hour" in response.content.decode()
    user.refresh_from_db()
    assert not user.avatar


def test_the_api_says_how_much_is_stored(user, settings):
    settings.STORAGE_QUOTA_FREE_MB = 5 * 1024
    api = APIClient()
    api.force_authenticate(user)
    api.post("/api/v1/images/", {"file": [png_upload()]}, format="multipart")
    body = api.get("/api/v1/storage/").json()
    assert body["used_bytes"] == storage.usage(user=user).used > 400_000
    assert body["quota_bytes"] == 5 * 1024**3
    assert body["label"].endswith(" of 5 GB")
