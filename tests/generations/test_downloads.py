"""Downloads: the zip of a generation, one file, thumbnails, expired files, and signed S3 URLs."""

import io
import time
import zipfile
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from generations.models import AssetStatus, GenerationStatus
from templates_app.spec import FORMATS
from tests.generations.factories import AssetFactory, GenerationFactory, completed_generation
from tests.templates_app.factories import create_template, make_spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(db):
    return create_template(name="Summer sale", spec=make_spec(formats=("1:1", "9:16")))


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# -- the zip ---------------------------------------------------------------------------------------


def test_the_zip_holds_every_result_under_its_readable_name_at_its_format_size(auth_client, user, template):
    formats = ("1:1", "4:5", "9:16", "16:9")
    generation = completed_generation(user=user, template=template, formats=formats)
    response = auth_client.get(reverse("generations:download_zip", args=[generation.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    day = timezone.localtime(generation.created_at).strftime("%Y-%m-%d")
    assert response["Content-Disposition"] == f'attachment; filename="craftads_summer-sale_{day}.zip"'
    assert "private" in response["Cache-Control"]

    archive = zipfile.ZipFile(io.BytesIO(body(response)))
    assert archive.testzip() is None
    by_format = {asset.format_key: asset for asset in generation.assets.all()}
    expected = [by_format[key].file.name.rsplit("/", 1)[-1] for key in formats]
    assert archive.namelist() == expected
    for key, member in zip(formats, expected, strict=True):
        assert member.startswith("acme-bakery_summer-sale_")
        assert member.endswith(".png")
        data = archive.read(member)
        with default_storage.open(by_format[key].file.name, "rb") as stored:
            assert data == stored.read()
        image = Image.open(io.BytesIO(data))
        image.load()
        assert image.format == "PNG"
        assert image.size == FORMATS[key].size


def test_the_zip_is_named_after_the_brand_when_there_is_one(auth_client, user, template):
    generation = completed_generation(user=user, template=template, brand_snapshot={"name": "Acme Bakery"})
    response = auth_client.get(reverse("generations:download_zip", args=[generation.pk]))
    assert "acme-bakery_summer-sale_" in response["Content-Disposition"]


def test_the_zip_leaves_out_expired_files(auth_client, user, template):
    generation = completed_generation(user=user, template=template, formats=("1:1", "9:16"))
    generation.assets.filter(format_key="1:1").update(status=AssetStatus.EXPIRED)
    archive = zipfile.ZipFile(
        io.BytesIO(body(auth_client.get(reverse("generations:download_zip", args=[generation.pk]))))
    )
    assert [name.split("_")[2] for name in archive.namelist()] == ["9x16"]


def test_a_generation_whose_files_all_expired_answers_410(auth_client, user, template):
    generation = completed_generation(user=user, template=template)
    generation.assets.update(status=AssetStatus.EXPIRED)
    response = auth_client.get(reverse("generations:download_zip", args=[generation.pk]))
    assert response.status_code == 410
    assert "This file has expired" in response.content.decode()


def test_a_generation_without_results_has_no_zip(auth_client, user, template):
    generation = GenerationFactory(
        user=user, template=template, status=GenerationStatus.QUEUED, queued_at=timezone.now()
    )
    assert auth_client.get(reverse("generations:download_zip", args=[generation.pk])).status_code == 404


def test_a_file_missing_from_storage_is_said_plainly(auth_client, user, template):
    generation = completed_generation(user=user, template=template)
    default_storage.delete(generation.assets.first().file.name)
    response = auth_client.get(reverse("generations:download_zip", args=[generation.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("generations:detail", args=[generation.pk])
    assert "One of the files is missing from storage." in response.content.decode()


def test_two_results_with_the_same_file_name_both_go_in_the_zip(auth_client, user, template):
    generation = completed_generation(user=user, template=template, formats=("1:1", "9:16"))
    square, tall = generation.assets.get(format_key="1:1"), generation.assets.get(format_key="9:16")
    base = square.file.name.rsplit("/", 1)[-1]
    with default_storage.open(tall.file.name, "rb") as source:
        tall.file.name = default_storage.save(f"elsewhere/{base}", source)
    tall.save()
    response = auth_client.get(reverse("generations:download_zip", args=[generation.pk]))
    archive = zipfile.ZipFile(io.BytesIO(body(response)))
    assert archive.namelist() == [base, base.replace(".png", "-2.png")]
    assert Image.open(io.BytesIO(archive.read(base.replace(".png", "-2.png")))).size == (1080, 1920)


# -- one file --------------------------------------------------------------------------------------


def test_one_file_downloads_as_an_attachment_with_its_readable_name(auth_client, user, template):
    asset = completed_generation(user=user, template=template, formats=("9:16",)).assets.get()
    response = auth_client.get(reverse("generations:asset_file", args=[asset.pk]), {"download": "1"})
    assert response.status_code == 200
    readable = asset.file.name.rsplit("/", 1)[-1]
    assert response["Content-Disposition"] == f'attachment; filename="{readable}"'
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    data = body(response)
    assert Image.open(io.BytesIO(data)).size == (1080, 1920)
    assert int(response["Content-Length"]) == len(data) == asset.size_bytes


def test_the_file_shows_inline_without_download(auth_client, user):
    asset = AssetFactory(user=user, original_filename="my photo.png")
    response = auth_client.get(reverse("generations:asset_file", args=[asset.pk]))
    assert response["Content-Disposition"] == 'inline; filename="my photo.png"'
    assert body(response) == asset.file.open("rb").read()


def test_the_thumbnail_is_a_small_webp(auth_client, user, template):
    asset = completed_generation(user=user, template=template, formats=("16:9",)).assets.get()
    response = auth_client.get(reverse("generations:asset_file", args=[asset.pk]), {"thumb": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    image = Image.open(io.BytesIO(body(response)))
    assert image.format == "WEBP"
    assert image.size == (480, 270)


def test_an_asset_without_a_thumbnail_serves_its_file_for_thumb(auth_client, user):
    asset = AssetFactory(user=user, size=(30, 20))
    response = auth_client.get(reverse("generations:asset_file", args=[asset.pk]), {"thumb": "1"})
    assert response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(body(response))).size == (30, 20)


def test_an_expired_file_answers_410_with_the_retention_rule(auth_client, user, settings):
    settings.GENERATION_FREE_RETENTION_DAYS = 30
    asset = AssetFactory(user=user, status=AssetStatus.EXPIRED)
    response = auth_client.get(reverse("generations:asset_file", args=[asset.pk]), {"download": "1"})
    assert response.status_code == 410
    page = response.content.decode()
    assert "This file has expired" in page
    assert "On the free plan, generated and uploaded files are kept for 30 days" in page


def test_a_file_missing_from_storage_answers_404(auth_client, user):
    asset = AssetFactory(user=user)
    default_storage.delete(asset.file.name)
    assert auth_client.get(reverse("generations:asset_file", args=[asset.pk])).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, user):
    asset = AssetFactory(user=user)
    response = client.get(reverse("generations:asset_file", args=[asset.pk]))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# -- S3: a short-lived signed URL instead of streaming ---------------------------------------------


@pytest.mark.parametrize("signature_version", [None, "s3v4"])
def test_on_s3_the_file_view_redirects_to_a_signed_url_that_expires_in_five_minutes(
    auth_client, user, settings, signature_version
):
    asset = AssetFactory(user=user, original_filename="summer ad.png")
    options = {
        "bucket_name": "craftads-test",
        "endpoint_url": "http://127.0.0.1:5005",
        "region_name": "us-east-1",
        "addressing_style": "path",
        "access_key": "test-access-key",
        "secret_key": "test-secret-key",  # a dummy: signing is local
        "querystring_auth": True,
    }
    if signature_version:
        options["signature_version"] = signature_version
    # Signing is done locally by botocore: nothing is sent to this address (pytest-socket would refuse it).
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    before = time.time()
    response = auth_client.get(reverse("generations:asset_file", args=[asset.pk]), {"download": "1"})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert (location.scheme, location.netloc) == ("http", "127.0.0.1:5005")
    assert location.path == f"/craftads-test/{asset.file.name}"
    query = parse_qs(location.query)
    if signature_version == "s3v4":
        assert query["X-Amz-Expires"] == ["300"]
        assert "X-Amz-Signature" in query
    else:
        assert int(before) + 300 <= int(query["Expires"][0]) <= time.time() + 301
        assert "Signature" in query
    assert query["response-content-disposition"] == ['attachment; filename="summer ad.png"']
    assert query["response-content-type"] == ["image/png"]
    assert response["Cache-Control"] == "private, max-age=150"


def test_on_s3_a_thumbnail_is_signed_inline(auth_client, user, template, settings):
    asset = completed_generation(user=user, template=template, formats=("1:1",)).assets.get()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "craftads-test",
                "endpoint_url": "http://127.0.0.1:5005",
                "access_key": "test-access-key",
                "secret_key": "test-secret-key",  # a dummy: signing is local
            },
        },
    }
    response = auth_client.get(reverse("generations:asset_file", args=[asset.pk]), {"thumb": "1"})
    location = urlsplit(response["Location"])
    assert location.path.endswith(asset.thumbnail.name)
    query = parse_qs(location.query)
    assert query["response-content-disposition"] == [f'inline; filename="{asset.thumbnail.name.rsplit("/", 1)[-1]}"']
    assert query["response-content-type"] == ["image/webp"]
