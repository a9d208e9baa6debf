"""A collection downloads as one zip, in its order; the add-to-collection form when there is no collection yet."""

import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from generations.models import AssetStatus, Collection, CollectionItem
from generations.services import operations as operation_services
from tests.generations.factories import completed_generation, png_bytes
from tests.templates_app.factories import create_template, make_spec

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def collection(user):
    template = create_template(name="Summer sale", spec=make_spec(formats=("1:1", "9:16")))
    generation = completed_generation(user=user, template=template, formats=("1:1", "9:16"))
    results = list(generation.assets.order_by("format_key"))
    upload = operation_services.upload_image(
        user=user, upload=SimpleUploadedFile("shop.png", png_bytes((50, 40)), content_type="image/png")
    )
    collection = Collection.objects.create(user=user, name="Summer campaign")
    for position, asset in enumerate([results[1], upload, results[0]]):
        CollectionItem.objects.create(collection=collection, asset=asset, position=position)
    return collection, [results[1], upload, results[0]]


def test_the_collection_downloads_as_one_zip_in_its_order(auth_client, collection):
    collection, assets = collection
    response = auth_client.get(reverse("generations:collection_download", args=[collection.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    day = timezone.localtime().strftime("%Y-%m-%d")
    assert response["Content-Disposition"] == f'attachment; filename="summer-campaign_{day}.zip"'
    archive = zipfile.ZipFile(io.BytesIO(body(response)))
    assert archive.testzip() is None
    assert archive.namelist() == [asset.file.name.rsplit("/", 1)[-1] for asset in assets]
    for asset, member in zip(assets, archive.namelist(), strict=True):
        with default_storage.open(asset.file.name, "rb") as stored:
            assert archive.read(member) == stored.read()


def test_expired_images_are_left_out_and_an_all_expired_collection_says_so(auth_client, collection):
    collection, assets = collection
    assets[0].status = AssetStatus.EXPIRED
    assets[0].save(update_fields=["status"])
    response = auth_client.get(reverse("generations:collection_download", args=[collection.pk]))
    assert len(zipfile.ZipFile(io.BytesIO(body(response))).namelist()) == 2
    for asset in assets[1:]:
        asset.status = AssetStatus.EXPIRED
        asset.save(update_fields=["status"])
    assert auth_client.get(reverse("generations:collection_download", args=[collection.pk])).status_code == 410


def test_an_empty_collection_has_no_zip_and_someone_elses_is_404(auth_client, user, other_user, collection):
    empty = Collection.objects.create(user=user, name="Empty")
    assert auth_client.get(reverse("generations:collection_download", args=[empty.pk])).status_code == 404
    page = auth_client.get(reverse("generations:collection", args=[empty.pk])).content.decode()
    assert "Download all as a zip" not in page
    theirs = Collection.objects.create(user=other_user, name="Theirs")
    assert auth_client.get(reverse("generations:collection_download", args=[theirs.pk])).status_code == 404
    full, _ = collection
    page = auth_client.get(reverse("generations:collection", args=[full.pk])).content.decode()
    assert reverse("generations:collection_download", args=[full.pk]) in page


def test_the_api_gives_the_collection_zip_link(user, collection):
    collection, _ = collection
    api = APIClient()
    api.force_authenticate(user)
    [item] = api.get(reverse("api-collections")).json()["results"]
    assert item["download_url"].endswith(reverse("generations:collection_download", args=[collection.pk]))


def test_with_no_collection_the_form_asks_for_a_name_not_or_a_new_one(auth_client, user):
    template = create_template(name="Summer sale", spec=make_spec(formats=("1:1",)))
    generation = completed_generation(user=user, template=template, formats=("1:1",))
    page = auth_client.get(reverse("generations:detail", args=[generation.pk])).content.decode()
    assert "Or a new collection" not in page
    assert "New collection name" in page
    Collection.objects.create(user=user, name="Summer campaign")
    page = auth_client.get(reverse("generations:detail", args=[generation.pk])).content.decode()
    assert "Or a new collection" in page
