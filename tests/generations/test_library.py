"""The library: my generations (filters, pagination, query counts), a generation's page, rating,
favourites, deleting generations and images (files leave storage only after the commit), the asset
page, the data export, and the read side of the API."""

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts import services as account_services
from craftplatform import user_data
from credits import services as credit_services
from generations.models import (
    Asset,
    AssetKind,
    AssetStatus,
    Collection,
    CollectionItem,
    Generation,
    GenerationStatus,
    ImageOperation,
    OperationStatus,
    OperationType,
)
from generations.services import library as services
from tests.generations.factories import (
    AssetFactory,
    CollectionFactory,
    CollectionItemFactory,
    GenerationFactory,
    completed_generation,
)
from tests.services import skip_unless_required
from tests.templates_app.factories import create_template, make_spec

pytestmark = pytest.mark.django_db

INDEX = reverse("generations:index")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def template(db):
    return create_template(name="Summer sale", spec=make_spec(formats=("1:1", "9:16")))


@pytest.fixture
def other_template(db):
    return create_template(name="Burger night", spec=make_spec(formats=("1:1",)))


def card_names(response) -> list[str]:
    return re.findall(r'id="generation-[0-9a-f-]+-name"><a href="[^"]+">([^<]+)</a>', response.content.decode())


def files_of(generation: Generation) -> list[str]:
    return [name for asset in generation.assets.all() for name in (asset.file.name, asset.thumbnail.name) if name]


# -- my generations --------------------------------------------------------------------------------


def test_my_generations_lists_mine_with_their_square_thumbnail_and_nobody_elses(
    auth_client, user, other_user, template
):
    mine = completed_generation(user=user, template=template, formats=("9:16", "1:1"))
    completed_generation(user=other_user, template=create_template(name="Someone else's ad"))
    response = auth_client.get(INDEX)
    assert response.status_code == 200
    assert card_names(response) == ["Summer sale"]
    page = response.content.decode()
    square = mine.assets.get(format_key="1:1")
    # The 1:1 result is the card's picture even though 9:16 was asked for first; served by the owner-checked view.
    assert f"{reverse('generations:asset_file', args=[square.pk])}?thumb=1" in page
    assert settings.MEDIA_URL not in page
    assert 'data-testid="status-badge">Completed<' in page
    assert '<span class="format-pill">9:16</span><span class="format-pill">1:1</span>' in page


def test_a_card_without_a_square_result_shows_the_first_format(auth_client, user, template):
    generation = completed_generation(user=user, template=template, formats=("9:16", "16:9"))
    first = generation.assets.get(format_key="9:16")
    assert f"{reverse('generations:asset_file', args=[first.pk])}?thumb=1" in auth_client.get(INDEX).content.decode()


def test_filters_narrow_my_generations(auth_client, user, template, other_template):
    now = timezone.now()
    old = GenerationFactory(user=user, template=template, formats=["1:1"], status=GenerationStatus.FAILED)
    Generation.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=40))
    GenerationFactory(user=user, template=template, formats=["9:16"], status=GenerationStatus.COMPLETED)
    GenerationFactory(user=user, template=other_template, formats=["1:1"], is_favorite=True)
    names = lambda **query: sorted(card_names(auth_client.get(INDEX, query)))  # noqa: E731

    assert names(status="failed") == ["Summer sale"]
    assert names(template=str(other_template.pk)) == ["Burger night"]
    assert names(format="9:16") == ["Summer sale"]
    assert names(format="1:1") == ["Burger night", "Summer sale"]
    assert names(favorites="1") == ["Burger night"]
    since = (now - timedelta(days=7)).date().isoformat()
    assert names(date_from=since) == ["Burger night", "Summer sale"]
    assert names(date_to=(now - timedelta(days=30)).date().isoformat()) == ["Summer sale"]
    assert names(status="completed", template=str(template.pk), format="9:16", date_from=since) == ["Summer sale"]


def test_a_bad_filter_value_is_explained_beside_its_field_and_ignored(auth_client, user, template):
    GenerationFactory(user=user, template=template)
    response = auth_client.get(INDEX, {"date_from": "yesterday", "date_to": "2020-01-01", "status": "lost"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_date_from_errors"' in page
    assert "Enter a valid date." in page
    assert 'id="id_status_errors"' in page
    assert "Select a valid choice." in page
    assert card_names(response) == []  # the valid date_to still filters


def test_the_end_date_before_the_start_date_is_refused(auth_client, user, template):
    GenerationFactory(user=user, template=template)
    response = auth_client.get(INDEX, {"date_from": "2030-01-10", "date_to": "2030-01-01"})
    assert "The end date is before the start date." in response.content.decode()


def test_the_template_filter_offers_only_templates_i_used(auth_client, user, other_user, template, other_template):
    GenerationFactory(user=user, template=template)
    GenerationFactory(user=other_user, template=other_template)
    page = auth_client.get(INDEX).content.decode()
    assert f'<option value="{template.pk}">Summer sale</option>' in page
    assert str(other_template.pk) not in page


def test_the_empty_library_links_to_the_template_gallery(auth_client):
    page = auth_client.get(INDEX).content.decode()
    assert "No creatives yet" in page
    assert f'href="{reverse("templates_app:index")}">Browse the template gallery' in page


def test_no_match_offers_to_clear_the_filters(auth_client, user, template):
    GenerationFactory(user=user, template=template)
    page = auth_client.get(INDEX, {"status": "failed"}).content.decode()
    assert "No creatives match these filters" in page


def test_pages_of_24_keep_the_filters(auth_client, user, template):
    for _ in range(25):
        GenerationFactory(user=user, template=template, formats=["1:1"])
    first = auth_client.get(INDEX, {"format": "1:1"})
    assert len(card_names(first)) == 24
    assert "page=2" in first.content.decode()
    assert "format=1%3A1&amp;page=2" in first.content.decode()
    assert len(card_names(auth_client.get(INDEX, {"format": "1:1", "page": "2"}))) == 1


def test_the_library_runs_a_fixed_number_of_queries(auth_client, user, template, django_assert_num_queries):
    for _ in range(3):
        completed_generation(user=user, template=template)
    auth_client.get(INDEX)
    # user (session cached), templates for the filter, count, page of generations, their results,
    # credits in the top bar, and the storage line (subscription, free plan, library and font bytes)
    with django_assert_num_queries(10):
        response = auth_client.get(INDEX, {"status": "completed", "favorites": ""})
    assert len(card_names(response)) == 3
    for _ in range(3):
        completed_generation(user=user, template=create_template())
    with django_assert_num_queries(10):
        assert len(card_names(auth_client.get(INDEX))) == 6


# -- a generation's page ---------------------------------------------------------------------------


def test_a_completed_generation_shows_every_format_with_downloads_and_its_lineage(auth_client, user, template):
    generation = completed_generation(
        user=user,
        template=template,
        formats=("1:1", "9:16"),
        seed=424242,
        credits_used=3,
        customization_data={"texts": {"headline": "Fresh bread daily"}, "colors": {"accent": "#FF5A5F"}, "images": {}},
    )
    response = auth_client.get(reverse("generations:detail", args=[generation.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    for asset in generation.assets.all():
        file_url = reverse("generations:asset_file", args=[asset.pk])
        assert f'src="{file_url}?thumb=1"' in page
        assert f'href="{file_url}?download=1"' in page
        assert f"{asset.width} × {asset.height} px" in page
    assert "1080 × 1080 px" in page
    assert "1080 × 1920 px" in page
    assert f'href="{reverse("generations:download_zip", args=[generation.pk])}"' in page
    assert "Download all (zip)" in page
    # lineage
    assert "design version 1" in page
    assert "Fresh bread daily" in page
    assert "#FF5A5F" in page
    assert "424242" in page
    assert "3 used" in page
    assert settings.MEDIA_URL not in page
    # rating, favourite, delete, add to collection
    assert f'action="{reverse("generations:rate", args=[generation.pk])}"' in page
    assert f'action="{reverse("generations:favorite", args=[generation.pk])}"' in page
    assert f'href="{reverse("generations:delete", args=[generation.pk])}"' in page
    assert page.count(f'action="{reverse("generations:collection_add")}"') == 2


def test_more_like_this_posts_the_variation_kind(auth_client, user, template):
    try:
        url = reverse("generations:variation", args=[completed_generation(user=user, template=template).pk])
    except NoReverseMatch:
        skip_unless_required("generations:variation is not built yet")
    generation = Generation.objects.get()
    page = auth_client.get(reverse("generations:detail", args=[generation.pk])).content.decode()
    assert f'action="{url}"' in page
    for value, label in (("seed", "New seed"), ("palette", "Palette variant"), ("copy", "Copy variant")):
        assert f'name="kind" id="variation-kind-{value}" value="{value}"' in page
        assert f'for="variation-kind-{value}">{label}</label>' in page


def test_variations_and_the_parent_are_linked(auth_client, user, template):
    parent = completed_generation(user=user, template=template)
    child = GenerationFactory(user=user, template=template, parent=parent, variation_kind="palette")
    parent_page = auth_client.get(reverse("generations:detail", args=[parent.pk])).content.decode()
    assert f'href="{reverse("generations:detail", args=[child.pk])}">Palette variant' in parent_page
    child_page = auth_client.get(reverse("generations:detail", args=[child.pk])).content.decode()
    assert f'Palette variant of <a href="{reverse("generations:detail", args=[parent.pk])}">' in child_page


def test_an_unfinished_generation_shows_its_progress(auth_client, user, template):
    generation = GenerationFactory(
        user=user, template=template, status=GenerationStatus.QUEUED, formats=["1:1"], queued_at=timezone.now()
    )
    response = auth_client.get(reverse("generations:detail", args=[generation.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="generation-progress"' in page
    assert "Download all (zip)" not in page
    assert "You can delete this generation once it has finished." in page


def test_the_input_images_of_a_generation_link_to_their_pages(auth_client, user, template):
    photo = AssetFactory(user=user, original_filename="croissant.png")
    generation = completed_generation(
        user=user,
        template=template,
        customization_data={
            "texts": {},
            "colors": {},
            "images": {"product": str(photo.pk), "logo": str(uuid.uuid4())},  # an image since deleted
        },
    )
    page = auth_client.get(reverse("generations:detail", args=[generation.pk])).content.decode()
    assert f'<a href="{reverse("generations:asset", args=[photo.pk])}">croissant.png</a>' in page
    assert "No longer in your library" in page


def test_the_generation_page_runs_a_fixed_number_of_queries(auth_client, user, template, django_assert_num_queries):
    photo = AssetFactory(user=user)
    generation = completed_generation(
        user=user, template=template, customization_data={"texts": {}, "colors": {}, "images": {"logo": str(photo.pk)}}
    )
    GenerationFactory(user=user, template=template, parent=generation, variation_kind="seed")
    CollectionFactory(user=user)
    url = reverse("generations:detail", args=[generation.pk])
    auth_client.get(url)
    # user, generation with template and parent, its results, its variations, input images,
    # collections for "add to collection", credits in the top bar, the AI providers switched on
    # (which "more like this" options apply)
    with django_assert_num_queries(8):
        assert auth_client.get(url).status_code == 200


# -- rating ----------------------------------------------------------------------------------------


def test_rating_with_a_plain_form_saves_and_goes_back(auth_client, user, template):
    generation = completed_generation(user=user, template=template)
    url = reverse("generations:rate", args=[generation.pk])
    response = auth_client.post(url, {"rating": "4", "feedback": "  Great colours  "})
    assert response.status_code == 302
    assert response["Location"] == reverse("generations:detail", args=[generation.pk])
    generation.refresh_from_db()
    assert (generation.rating, generation.feedback) == (4, "Great colours")


def test_rating_with_htmx_answers_the_form_and_a_second_rating_replaces_the_first(auth_client, user, template):
    generation = completed_generation(user=user, template=template)
    url = reverse("generations:rate", args=[generation.pk])
    auth_client.post(url, {"rating": "2"}, **HTMX)
    response = auth_client.post(url, {"rating": "5", "feedback": "Better"}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith("<form")  # the partial, not the whole page
    assert "your rating is saved" in page
    assert 'value="5" checked' in page
    generation.refresh_from_db()
    assert (generation.rating, generation.feedback) == (5, "Better")


@pytest.mark.parametrize("rating", ["0", "6", "", "four"])
def test_a_rating_outside_1_to_5_is_refused_beside_the_field(auth_client, user, template, rating):
    generation = completed_generation(user=user, template=template, rating=3)
    response = auth_client.post(reverse("generations:rate", args=[generation.pk]), {"rating": rating})
    assert response.status_code == 400
    assert 'id="rating-rating_errors"' in response.content.decode()
    generation.refresh_from_db()
    assert generation.rating == 3


def test_feedback_longer_than_the_limit_is_refused(auth_client, user, template):
    generation = completed_generation(user=user, template=template)
    response = auth_client.post(
        reverse("generations:rate", args=[generation.pk]), {"rating": "4", "feedback": "x" * 2001}, **HTMX
    )
    assert 'id="rating-feedback_errors"' in response.content.decode()
    generation.refresh_from_db()
    assert generation.rating is None


def test_only_a_finished_generation_can_be_rated(auth_client, user, template):
    generation = GenerationFactory(user=user, template=template, status=GenerationStatus.RUNNING)
    response = auth_client.post(reverse("generations:rate", args=[generation.pk]), {"rating": "5"}, **HTMX)
    assert "Only a finished generation can be rated." in response.content.decode()
    generation.refresh_from_db()
    assert generation.rating is None
    with pytest.raises(services.InvalidRating):
        services.rate_generation(user=user, generation_id=generation.pk, rating=True)


# -- favourites ------------------------------------------------------------------------------------


def test_favourite_toggle_with_a_plain_form_and_with_htmx(auth_client, user, template):
    generation = completed_generation(user=user, template=template)
    url = reverse("generations:favorite", args=[generation.pk])
    response = auth_client.post(url, {"favorite": "1", "next": INDEX})
    assert response.status_code == 302
    assert response["Location"] == INDEX
    generation.refresh_from_db()
    assert generation.is_favorite is True
    # Setting it again changes nothing (a double click does not flip it back).
    auth_client.post(url, {"favorite": "1"})
    generation.refresh_from_db()
    assert generation.is_favorite is True
    response = auth_client.post(url, {"favorite": "0", "variant": "button"}, **HTMX)
    assert 'aria-pressed="false"' in response.content.decode()
    assert "Add to favourites" in response.content.decode()
    generation.refresh_from_db()
    assert generation.is_favorite is False


def test_an_unsafe_next_address_is_not_followed(auth_client, user, template):
    generation = completed_generation(user=user, template=template)
    response = auth_client.post(
        reverse("generations:favorite", args=[generation.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("generations:detail", args=[generation.pk])


def test_asset_favourite(auth_client, user):
    asset = AssetFactory(user=user)
    auth_client.post(reverse("generations:asset_favorite", args=[asset.pk]), {"favorite": "1"})
    asset.refresh_from_db()
    assert asset.is_favorite is True


# -- deleting --------------------------------------------------------------------------------------


def test_deleting_a_generation_asks_first_then_removes_rows_and_files_after_the_commit(
    auth_client, user, template, django_capture_on_commit_callbacks
):
    generation = completed_generation(user=user, template=template)
    names = files_of(generation)
    assert len(names) == 4
    assert all(default_storage.exists(name) for name in names)
    collection = CollectionFactory(user=user)
    CollectionItemFactory(collection=collection, asset=generation.assets.first())
    url = reverse("generations:delete", args=[generation.pk])

    confirm = auth_client.get(url)
    assert confirm.status_code == 200
    assert f'action="{url}"' in confirm.content.decode()
    assert Generation.objects.filter(pk=generation.pk).exists()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = auth_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == INDEX
    assert len(callbacks) == 1
    assert not Generation.objects.filter(pk=generation.pk).exists()
    assert not Asset.objects.filter(generation_id=generation.pk).exists()
    assert not any(default_storage.exists(name) for name in names)
    assert Collection.objects.filter(pk=collection.pk).exists()
    assert not CollectionItem.objects.exists()


def test_files_stay_until_the_delete_commits(user, template, django_capture_on_commit_callbacks):
    generation = completed_generation(user=user, template=template)
    names = files_of(generation)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.delete_generation(user=user, generation_id=generation.pk)
    assert len(callbacks) == 1
    assert all(default_storage.exists(name) for name in names)  # not yet: the transaction is still open


def test_a_rolled_back_delete_keeps_rows_and_files(user, template, django_capture_on_commit_callbacks):
    generation = completed_generation(user=user, template=template)
    names = files_of(generation)

    class Abort(Exception):
        pass

    def delete_then_fail():
        with transaction.atomic():
            services.delete_generation(user=user, generation_id=generation.pk)
            raise Abort

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Abort):
        delete_then_fail()
    assert callbacks == []
    assert Generation.objects.filter(pk=generation.pk).exists()
    assert Asset.objects.filter(generation=generation).count() == 2
    assert all(default_storage.exists(name) for name in names)


@pytest.mark.parametrize("status", [GenerationStatus.QUEUED, GenerationStatus.RUNNING])
def test_a_running_generation_cannot_be_deleted(auth_client, user, template, status):
    generation = GenerationFactory(user=user, template=template, status=status, queued_at=timezone.now())
    response = auth_client.post(reverse("generations:delete", args=[generation.pk]), follow=True)
    assert "still being made; you can delete it once it has finished or failed" in response.content.decode()
    assert Generation.objects.filter(pk=generation.pk).exists()


def test_a_generation_whose_image_is_being_edited_cannot_be_deleted(user, template):
    generation = completed_generation(user=user, template=template)
    ImageOperation.objects.create(
        user=user,
        source=generation.assets.first(),
        operation_type=OperationType.UPSCALE,
        status=OperationStatus.RUNNING,
    )
    with pytest.raises(services.AssetInUse, match="image operation is still running"):
        services.delete_generation(user=user, generation_id=generation.pk)
    assert Generation.objects.filter(pk=generation.pk).exists()


def test_deleting_a_generation_keeps_its_variations_and_images_made_from_it(
    user, template, django_capture_on_commit_callbacks
):
    parent = completed_generation(user=user, template=template)
    child = GenerationFactory(user=user, template=template, parent=parent, variation_kind="seed")
    upscaled = AssetFactory(user=user, kind=AssetKind.OPERATION, source=parent.assets.first())
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_generation(user=user, generation_id=parent.pk)
    child.refresh_from_db()
    upscaled.refresh_from_db()
    assert child.parent_id is None
    assert upscaled.source_id is None
    assert default_storage.exists(upscaled.file.name)


def test_deleting_an_upload_removes_its_file_after_the_commit(auth_client, user, django_capture_on_commit_callbacks):
    upload = AssetFactory(user=user)
    name = upload.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(reverse("generations:asset_delete", args=[upload.pk]))
    assert response.status_code == 302
    assert not Asset.objects.filter(pk=upload.pk).exists()
    assert not default_storage.exists(name)


def test_a_generated_ad_is_deleted_with_its_generation_not_alone(auth_client, user, template):
    generation = completed_generation(user=user, template=template)
    result = generation.assets.first()
    confirm = auth_client.get(reverse("generations:asset_delete", args=[result.pk])).content.decode()
    assert "delete the generation to remove its images" in confirm
    response = auth_client.post(reverse("generations:asset_delete", args=[result.pk]), follow=True)
    assert "delete the generation to remove its images" in response.content.decode()
    assert Asset.objects.filter(pk=result.pk).exists()
    assert default_storage.exists(result.file.name)


def test_an_upload_used_by_a_running_generation_or_operation_is_kept(user, template):
    photo = AssetFactory(user=user)
    running = GenerationFactory(
        user=user,
        template=template,
        status=GenerationStatus.QUEUED,
        customization_data={"texts": {}, "colors": {}, "images": {"product": str(photo.pk)}},
    )
    with pytest.raises(services.AssetInUse, match="generation that is still being made"):
        services.delete_asset(user=user, asset_id=photo.pk)
    Generation.objects.filter(pk=running.pk).update(status=GenerationStatus.COMPLETED)
    ImageOperation.objects.create(user=user, source=photo, operation_type=OperationType.VECTORIZE)
    with pytest.raises(services.AssetInUse, match="operation is still running"):
        services.delete_asset(user=user, asset_id=photo.pk)
    assert Asset.objects.filter(pk=photo.pk).exists()


# -- an image's page -------------------------------------------------------------------------------


def test_the_asset_page_shows_the_image_its_source_and_what_was_made_from_it(auth_client, user, template):
    generation = completed_generation(user=user, template=template, formats=("1:1",))
    result = generation.assets.get()
    upscaled = AssetFactory(user=user, kind=AssetKind.OPERATION, source=result, original_filename="big.png")
    collection = CollectionFactory(user=user, name="Spring")
    CollectionItemFactory(collection=collection, asset=result)
    page = auth_client.get(reverse("generations:asset", args=[result.pk])).content.decode()
    assert f'src="{reverse("generations:asset_file", args=[result.pk])}"' in page
    assert "1080 × 1080 px" in page
    assert f'href="{reverse("generations:asset", args=[upscaled.pk])}"' in page
    assert "big.png" in page
    assert f'<a href="{reverse("generations:collection", args=[collection.pk])}">Spring</a>' in page
    assert f'action="{reverse("generations:collection_add")}"' in page
    assert 'class="image-operations"' in page
    assert settings.MEDIA_URL not in page
    upscaled_page = auth_client.get(reverse("generations:asset", args=[upscaled.pk])).content.decode()
    assert "Made from" in upscaled_page
    assert f'href="{reverse("generations:asset", args=[result.pk])}"' in upscaled_page


def test_an_expired_assets_page_says_so_without_the_image(auth_client, user):
    asset = AssetFactory(user=user, status=AssetStatus.EXPIRED)
    page = auth_client.get(reverse("generations:asset", args=[asset.pk])).content.decode()
    assert f"files are kept for {settings.GENERATION_FREE_RETENTION_DAYS} days" in page
    assert reverse("generations:asset_file", args=[asset.pk]) not in page


# -- download my data, delete my account -----------------------------------------------------------


def test_my_data_export_holds_my_generations_assets_and_collections(user, other_user, template):
    generation = completed_generation(user=user, template=template, seed=7, formats=("1:1",))
    collection = CollectionFactory(user=user, name="Picks")
    CollectionItemFactory(collection=collection, asset=generation.assets.get())
    completed_generation(user=other_user, template=template)
    section = user_data.export_user_data(user)["sections"]["generations"]
    assert [g["id"] for g in section["generations"]] == [str(generation.pk)]
    exported = section["generations"][0]
    assert (exported["template"], exported["seed"], exported["formats"]) == (template.slug, 7, ["1:1"])
    assert "hold" not in json.dumps(exported)
    assert "provider_cost" not in exported
    assert [a["id"] for a in section["assets"]] == [str(generation.assets.get().pk)]
    assert section["collections"] == [
        {
            "id": str(collection.pk),
            "name": "Picks",
            "description": "",
            "assets": [str(generation.assets.get().pk)],
            "created_at": collection.created_at.isoformat(),
        }
    ]


def test_account_deletion_lists_every_file_of_my_assets(user, other_user, template):
    generation = completed_generation(user=user, template=template)
    upload = AssetFactory(user=user)
    completed_generation(user=other_user, template=template)
    names = set(user_data.user_file_names(user))
    assert set(files_of(generation)) | {upload.file.name} <= names
    assert not {name for name in names if f"assets/{other_user.pk}/" in name}


# -- API: the read side and simple writes ----------------------------------------------------------


def test_api_lists_my_generations_with_their_results(auth_client, user, other_user, template):
    generation = completed_generation(user=user, template=template, formats=("9:16", "1:1"))
    completed_generation(user=other_user, template=template)
    body = auth_client.get(reverse("api-generations"), {"format_key": "9:16"}).json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["id"] == str(generation.pk)
    assert item["template"]["slug"] == template.slug
    assert [r["format_key"] for r in item["results"]] == ["9:16", "1:1"]
    first = item["results"][0]
    assert first["file_url"].endswith(reverse("generations:asset_file", args=[first["id"]]))
    assert (first["width"], first["height"]) == (1080, 1920)
    assert item["download_url"].endswith(reverse("generations:download_zip", args=[generation.pk]))
    assert auth_client.get(reverse("api-generations"), {"status": "failed"}).json()["count"] == 0
    bad = auth_client.get(reverse("api-generations"), {"date_from": "2030-01-02", "date_to": "2030-01-01"})
    assert bad.status_code == 400
    assert "before the start date" in bad.content.decode()


def test_api_generation_detail_rate_favourite_and_delete(
    auth_client, user, template, django_capture_on_commit_callbacks
):
    generation = completed_generation(user=user, template=template)
    detail = reverse("api-generation-detail", args=[generation.pk])
    assert auth_client.get(detail).json()["customization_data"] == generation.customization_data
    rated = auth_client.post(
        reverse("api-generation-rate", args=[generation.pk]),
        {"rating": 5, "feedback": "Yes"},
        content_type="application/json",
    )
    assert rated.json() == {"rating": 5, "feedback": "Yes"}
    assert (
        auth_client.post(
            reverse("api-generation-rate", args=[generation.pk]), {"rating": 9}, content_type="application/json"
        ).status_code
        == 400
    )
    assert auth_client.post(reverse("api-generation-favorite", args=[generation.pk])).json() == {"is_favorite": True}
    assert auth_client.delete(reverse("api-generation-favorite", args=[generation.pk])).json() == {"is_favorite": False}
    names = files_of(generation)
    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete(detail).status_code == 204
    assert not Generation.objects.filter(pk=generation.pk).exists()
    assert not any(default_storage.exists(name) for name in names)


def test_api_refuses_to_delete_a_running_generation_with_409(auth_client, user, template):
    generation = GenerationFactory(user=user, template=template, status=GenerationStatus.RUNNING)
    response = auth_client.delete(reverse("api-generation-detail", args=[generation.pk]))
    assert response.status_code == 409
    assert "still being made" in response.json()["detail"]


def test_api_assets_list_detail_and_delete(auth_client, user, other_user, django_capture_on_commit_callbacks):
    upload = AssetFactory(user=user)
    AssetFactory(user=user, status=AssetStatus.EXPIRED)
    AssetFactory(user=other_user)
    listed = auth_client.get(reverse("api-assets")).json()
    assert [a["id"] for a in listed["results"]] == [str(upload.pk)]
    assert auth_client.get(reverse("api-assets"), {"include_expired": "true"}).json()["count"] == 2
    assert auth_client.get(reverse("api-asset-detail", args=[upload.pk])).json()["name"] == upload.original_filename
    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete(reverse("api-asset-detail", args=[upload.pk])).status_code == 204
    assert not default_storage.exists(upload.file.name)


def test_deleting_my_account_removes_my_generations_and_their_files(user, template, django_capture_on_commit_callbacks):
    credit_services.grant_credits(user=user, amount=10, type="bonus", idempotency_key=f"test-topup:{user.pk}")
    generation = completed_generation(user=user, template=template)
    hold, _quote = credit_services.hold_for_operation(
        user=user,
        operation="generate_format",
        quantity=2,
        reference_type="generation",
        reference_id=str(generation.pk),
        idempotency_key=f"generation:{generation.pk}",
        description="Test generation",
    )
    credit_services.capture_hold(hold_id=hold.pk)
    Generation.objects.filter(pk=generation.pk).update(hold=hold)
    upload = AssetFactory(user=user)
    names = [*files_of(generation), upload.file.name]
    with django_capture_on_commit_callbacks(execute=True):
        account_services.delete_account(user=user)
    assert not Generation.objects.filter(pk=generation.pk).exists()
    assert not any(default_storage.exists(name) for name in names)
