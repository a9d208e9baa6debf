"""Another user's generations, images, downloads and collections answer 404 everywhere: pages,
the file and zip downloads, the status endpoint and the API; and nothing of theirs changes."""

import pytest
from django.core.files.storage import default_storage
from django.urls import NoReverseMatch, reverse

from generations.models import Asset, Collection, CollectionItem, Generation
from tests.generations.factories import AssetFactory, CollectionFactory, CollectionItemFactory, completed_generation
from tests.services import skip_unless_required

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(other_user):
    generation = completed_generation(user=other_user, rating=2, feedback="Meh")
    result = generation.assets.first()
    upload = AssetFactory(user=other_user)
    collection = CollectionFactory(user=other_user, name="Their picks")
    CollectionItemFactory(collection=collection, asset=upload)
    CollectionItemFactory(collection=collection, asset=result)
    return {"generation": generation, "result": result, "upload": upload, "collection": collection}


@pytest.fixture
def mine(user):
    return {"collection": CollectionFactory(user=user, name="My picks"), "upload": AssetFactory(user=user)}


def page_requests(theirs, mine):
    g, a, u, c = theirs["generation"].pk, theirs["result"].pk, theirs["upload"].pk, theirs["collection"].pk
    return [
        ("get", "generations:detail", [g], {}),
        ("get", "generations:download_zip", [g], {}),
        ("get", "generations:delete", [g], {}),
        ("post", "generations:delete", [g], {}),
        ("post", "generations:rate", [g], {"rating": "5"}),
        ("post", "generations:favorite", [g], {"favorite": "1"}),
        ("get", "generations:asset", [a], {}),
        ("get", "generations:asset", [u], {}),
        ("get", "generations:asset_file", [a], {}),
        ("get", "generations:asset_file", [a], {"thumb": "1"}),
        ("get", "generations:asset_file", [u], {"download": "1"}),
        ("post", "generations:asset_favorite", [u], {"favorite": "1"}),
        ("get", "generations:asset_delete", [u], {}),
        ("post", "generations:asset_delete", [u], {}),
        ("get", "generations:collection", [c], {}),
        ("post", "generations:collection_rename", [c], {"name": "Mine now"}),
        ("get", "generations:collection_delete", [c], {}),
        ("post", "generations:collection_delete", [c], {}),
        ("post", "generations:collection_remove", [c], {"asset_id": str(u)}),
        ("post", "generations:collection_move", [c], {"asset_id": str(u), "direction": "down"}),
        # Their image into my collection, my image into theirs.
        ("post", "generations:collection_add", [], {"asset_id": str(u), "collection_id": str(mine["collection"].pk)}),
        ("post", "generations:collection_add", [], {"asset_id": str(u), "new_name": "Stolen"}),
        ("post", "generations:collection_add", [], {"asset_id": str(mine["upload"].pk), "collection_id": str(c)}),
        # Their image moved within my collection.
        ("post", "generations:collection_move", [mine["collection"].pk], {"asset_id": str(u), "direction": "up"}),
    ]


def api_requests(theirs, mine):
    g, a, u, c = theirs["generation"].pk, theirs["result"].pk, theirs["upload"].pk, theirs["collection"].pk
    return [
        ("get", "api-generation-detail", [g], {}),
        ("delete", "api-generation-detail", [g], {}),
        ("post", "api-generation-rate", [g], {"rating": 5}),
        ("post", "api-generation-favorite", [g], {}),
        ("delete", "api-generation-favorite", [g], {}),
        ("get", "api-asset-detail", [a], {}),
        ("delete", "api-asset-detail", [u], {}),
        ("post", "api-asset-favorite", [u], {}),
        ("delete", "api-asset-favorite", [a], {}),
        ("get", "api-collection-detail", [c], {}),
        ("patch", "api-collection-detail", [c], {"name": "Mine now"}),
        ("delete", "api-collection-detail", [c], {}),
        ("post", "api-collection-items", [c], {"asset_id": str(mine["upload"].pk)}),
        ("post", "api-collection-items", [mine["collection"].pk], {"asset_id": str(u)}),
        ("delete", "api-collection-item", [c, u], {}),
        ("put", "api-collection-order", [c], {"asset_ids": [str(a), str(u)]}),
    ]


def assert_untouched(theirs):
    generation = Generation.objects.get(pk=theirs["generation"].pk)
    assert (generation.rating, generation.feedback, generation.is_favorite) == (2, "Meh", False)
    for key in ("result", "upload"):
        asset = Asset.objects.get(pk=theirs[key].pk)
        assert asset.is_favorite is False
        assert default_storage.exists(asset.file.name)
    collection = Collection.objects.get(pk=theirs["collection"].pk)
    assert collection.name == "Their picks"
    assert list(
        CollectionItem.objects.filter(collection=collection).order_by("position").values_list("asset_id", flat=True)
    ) == [theirs["upload"].pk, theirs["result"].pk]
    assert not CollectionItem.objects.exclude(collection=collection).exists()
    assert not Collection.objects.filter(name="Stolen").exists()


def test_every_page_and_download_of_another_users_objects_is_404(auth_client, theirs, mine):
    for method, name, args, data in page_requests(theirs, mine):
        url = reverse(name, args=args)
        response = getattr(auth_client, method)(url, data)
        assert response.status_code == 404, (method, name, data, response.status_code)
    assert_untouched(theirs)


def test_every_api_endpoint_of_another_users_objects_is_404(auth_client, theirs, mine):
    for method, name, args, data in api_requests(theirs, mine):
        url = reverse(name, args=args)
        response = getattr(auth_client, method)(url, data, content_type="application/json")
        assert response.status_code == 404, (method, name, data, response.status_code)
    assert_untouched(theirs)


def test_the_status_endpoint_of_another_users_generation_is_404(auth_client, theirs):
    try:
        url = reverse("generations:status", args=[theirs["generation"].pk])
    except NoReverseMatch:
        skip_unless_required("generations:status is not built")
    assert auth_client.get(url).status_code == 404


def test_lists_never_show_another_users_objects(auth_client, theirs):
    assert auth_client.get(reverse("api-generations")).json()["count"] == 0
    assert auth_client.get(reverse("api-assets"), {"include_expired": "true"}).json()["count"] == 0
    assert auth_client.get(reverse("api-collections")).json()["count"] == 0
    for name in ("generations:index", "generations:collections"):
        page = auth_client.get(reverse(name)).content.decode()
        assert str(theirs["generation"].pk) not in page
        assert str(theirs["collection"].pk) not in page
        assert "Their picks" not in page


def test_the_owner_still_gets_every_one_of_them(client, other_user, theirs, mine):
    """The same requests succeed for the owner, so the 404s above are about ownership, not broken URLs."""
    client.force_login(other_user)
    checks = [
        ("generations:detail", [theirs["generation"].pk], {}),
        ("generations:download_zip", [theirs["generation"].pk], {}),
        ("generations:asset", [theirs["upload"].pk], {}),
        ("generations:asset_file", [theirs["result"].pk], {"thumb": "1"}),
        ("generations:collection", [theirs["collection"].pk], {}),
        ("api-generation-detail", [theirs["generation"].pk], {}),
        ("api-asset-detail", [theirs["upload"].pk], {}),
        ("api-collection-detail", [theirs["collection"].pk], {}),
    ]
    for name, args, data in checks:
        assert client.get(reverse(name, args=args), data).status_code == 200, name
