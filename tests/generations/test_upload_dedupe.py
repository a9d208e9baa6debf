"""The same photo uploaded again is one image in the library, and everything that used it keeps working."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from generations.models import Asset, AssetKind, AssetStatus, Collection, CollectionItem
from generations.services import operations as services
from generations.services import upload_dedupe
from tests.generations.factories import png_bytes

pytestmark = pytest.mark.django_db


def stored(media_root: Path) -> list[str]:
    return sorted(str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file())


def photo(name="shop.png", colour="#3366CC") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes((80, 60), colour), content_type="image/png")


def test_three_uploads_of_the_same_photo_store_one_copy(user, settings):
    first = services.upload_image(user=user, upload=photo("shop.png"))
    files_after_first = stored(Path(settings.MEDIA_ROOT))
    second = services.upload_image(user=user, upload=photo("shop (1).png"))
    [third, other] = services.upload_images(user=user, uploads=[photo("shop (2).png"), photo("sky.png", "#88CCEE")])

    assert second.pk == first.pk == third.pk
    assert other.pk != first.pk
    assert Asset.objects.filter(user=user, kind=AssetKind.UPLOAD).count() == 2
    # The repeat wrote no file: only the different photo added its file and thumbnail.
    assert len(stored(Path(settings.MEDIA_ROOT))) == len(files_after_first) + 2
    assert first.content_hash == upload_dedupe.content_hash(Path(settings.MEDIA_ROOT, first.file.name).read_bytes())


def test_the_same_photo_twice_in_one_upload_is_one_image(user):
    a, b = services.upload_images(user=user, uploads=[photo("a.png"), photo("b.png")])
    assert a.pk == b.pk
    assert Asset.objects.filter(user=user, kind=AssetKind.UPLOAD).count() == 1


def test_another_users_identical_photo_is_their_own(user, other_user):
    mine = services.upload_image(user=user, upload=photo())
    theirs = services.upload_image(user=other_user, upload=photo())
    assert mine.pk != theirs.pk
    assert theirs.user_id == other_user.pk


def test_references_keep_working_after_the_same_photo_is_uploaded_again(user, client):
    asset = services.upload_image(user=user, upload=photo())
    collection = Collection.objects.create(user=user, name="Shop photos")
    CollectionItem.objects.create(collection=collection, asset=asset)
    again = services.upload_image(user=user, upload=photo("again.png"))
    assert again.pk == asset.pk
    assert list(collection.items.values_list("asset_id", flat=True)) == [asset.pk]
    client.force_login(user)
    assert client.get(reverse("generations:asset_file", args=[asset.pk])).status_code == 200


def test_the_images_page_shows_one_image_and_says_so(user, client):
    client.force_login(user)
    page = reverse("generations:images")
    for _ in range(3):
        response = client.post(page, {"images": [photo()]}, follow=True)
        assert "1 image uploaded." in response.content.decode()
    response = client.post(page, {"images": [photo("x.png"), photo("y.png")]}, follow=True)
    assert "1 image uploaded. The same image was kept once in your library." in response.content.decode()
    assert Asset.objects.filter(user=user, kind=AssetKind.UPLOAD).count() == 1


def test_an_expired_upload_does_not_swallow_a_new_one(user):
    old = services.upload_image(user=user, upload=photo())
    Asset.objects.filter(pk=old.pk).update(status=AssetStatus.EXPIRED)
    new = services.upload_image(user=user, upload=photo())
    assert new.pk != old.pk


def test_a_race_lost_to_the_same_photo_returns_the_winner_and_drops_its_files(
    user, settings, django_capture_on_commit_callbacks
):
    winner = services.upload_image(user=user, upload=photo())
    loser = Asset(
        user=user,
        kind=AssetKind.UPLOAD,
        file=f"assets/{user.pk}/loser.png",
        thumbnail=f"assets/{user.pk}/loser_thumb.webp",
        content_hash=winner.content_hash,
    )
    for name in (loser.file.name, loser.thumbnail.name):
        Path(settings.MEDIA_ROOT, name).write_bytes(b"x")
    with django_capture_on_commit_callbacks(execute=True):
        assert upload_dedupe.insert_upload(loser) == winner
    assert not Path(settings.MEDIA_ROOT, loser.file.name).exists()
    assert not Path(settings.MEDIA_ROOT, loser.thumbnail.name).exists()
    assert Asset.objects.filter(user=user, kind=AssetKind.UPLOAD).count() == 1
