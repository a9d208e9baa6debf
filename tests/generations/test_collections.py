"""Collections: create, rename (unique names per user), add (at the end, twice is a no-op), remove,
reorder (exactly the collection's images), move up and down, delete (images stay); the pages, their
query counts, and the API."""

import re

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from generations.models import Asset, AssetStatus, Collection, CollectionItem
from generations.services import library as services
from tests.generations.factories import AssetFactory, CollectionFactory, CollectionItemFactory, completed_generation
from tests.templates_app.factories import create_template, make_spec

pytestmark = pytest.mark.django_db

COLLECTIONS = reverse("generations:collections")
HTMX = {"HTTP_HX_REQUEST": "true"}


def order(collection) -> list:
    return list(
        CollectionItem.objects.filter(collection=collection)
        .order_by("position", "created_at")
        .values_list("asset_id", flat=True)
    )


def positions(collection) -> list[int]:
    return list(
        CollectionItem.objects.filter(collection=collection).order_by("position").values_list("position", flat=True)
    )


@pytest.fixture
def three(user):
    """A collection of three uploads, in order a, b, c."""
    collection = CollectionFactory(user=user, name="Spring")
    assets = [AssetFactory(user=user, original_filename=f"{name}.png") for name in "abc"]
    for asset in assets:
        services.add_to_collection(user=user, collection_id=collection.pk, asset_id=asset.pk)
    return collection, assets


# -- services --------------------------------------------------------------------------------------


def test_create_collection_cleans_the_name_and_refuses_a_taken_one(user, other_user):
    created = services.create_collection(user=user, name="  Summer   launch ", description=" For June ")
    assert (created.name, created.description) == ("Summer launch", "For June")
    with pytest.raises(services.CollectionNameTaken, match="You already have a collection named “Summer launch”"):
        services.create_collection(user=user, name="Summer launch")
    # Names are unique per user, not across users.
    assert services.create_collection(user=other_user, name="Summer launch").user == other_user
    with pytest.raises(services.InvalidCollectionName, match="Give the collection a name"):
        services.create_collection(user=user, name="   ")
    with pytest.raises(services.InvalidCollectionName, match="120 characters"):
        services.create_collection(user=user, name="x" * 121)
    assert Collection.objects.filter(user=user).count() == 1


def test_rename_collection_refuses_a_name_another_of_mine_has(user):
    first = services.create_collection(user=user, name="First")
    services.create_collection(user=user, name="Second")
    with pytest.raises(services.CollectionNameTaken):
        services.rename_collection(user=user, collection_id=first.pk, name="Second")
    first.refresh_from_db()
    assert first.name == "First"
    renamed = services.rename_collection(user=user, collection_id=first.pk, name="Best of", description="Top picks")
    assert (renamed.name, renamed.description) == ("Best of", "Top picks")
    # Keeping its own name is not a clash.
    assert services.rename_collection(user=user, collection_id=first.pk, name="Best of").description == "Top picks"


def test_adding_appends_at_the_end_and_adding_twice_changes_nothing(user, three):
    collection, (a, b, c) = three
    assert order(collection) == [a.pk, b.pk, c.pk]
    assert positions(collection) == [0, 1, 2]
    again = services.add_to_collection(user=user, collection_id=collection.pk, asset_id=a.pk)
    assert again.position == 0
    assert order(collection) == [a.pk, b.pk, c.pk]
    assert CollectionItem.objects.filter(collection=collection).count() == 3


def test_an_expired_image_cannot_be_added(user):
    collection = CollectionFactory(user=user)
    expired = AssetFactory(user=user, status=AssetStatus.EXPIRED)
    with pytest.raises(services.LibraryError, match="expired"):
        services.add_to_collection(user=user, collection_id=collection.pk, asset_id=expired.pk)
    assert not CollectionItem.objects.exists()


def test_another_users_image_or_collection_cannot_be_used(user, other_user):
    mine = CollectionFactory(user=user)
    theirs = CollectionFactory(user=other_user)
    their_asset = AssetFactory(user=other_user)
    my_asset = AssetFactory(user=user)
    with pytest.raises(services.AssetNotFound):
        services.add_to_collection(user=user, collection_id=mine.pk, asset_id=their_asset.pk)
    with pytest.raises(services.CollectionNotFound):
        services.add_to_collection(user=user, collection_id=theirs.pk, asset_id=my_asset.pk)
    assert not CollectionItem.objects.exists()


def test_removing_keeps_the_image_and_the_order_of_the_rest(user, three):
    collection, (a, b, c) = three
    assert services.remove_from_collection(user=user, collection_id=collection.pk, asset_id=b.pk) is True
    assert services.remove_from_collection(user=user, collection_id=collection.pk, asset_id=b.pk) is False
    assert order(collection) == [a.pk, c.pk]
    assert Asset.objects.filter(pk=b.pk).exists()
    d = AssetFactory(user=user)
    services.add_to_collection(user=user, collection_id=collection.pk, asset_id=d.pk)
    assert order(collection) == [a.pk, c.pk, d.pk]


def test_reorder_rewrites_every_position(user, three):
    collection, (a, b, c) = three
    assert services.reorder_collection(user=user, collection_id=collection.pk, asset_ids=[str(c.pk), a.pk, b.pk]) == [
        c.pk,
        a.pk,
        b.pk,
    ]
    assert order(collection) == [c.pk, a.pk, b.pk]
    assert positions(collection) == [0, 1, 2]


@pytest.mark.parametrize(
    "pick",
    [
        lambda a, b, c, x: [a, b],  # one missing
        lambda a, b, c, x: [a, b, c, x],  # one that is not in it
        lambda a, b, c, x: [a, b, b],  # a duplicate in place of one
        lambda a, b, c, x: [a, b, c, a],  # a duplicate on top
        lambda a, b, c, x: [a, b, "not-an-id"],
        lambda a, b, c, x: [],
    ],
)
def test_reorder_must_list_exactly_the_collections_images(user, three, pick):
    collection, (a, b, c) = three
    stranger = AssetFactory(user=user)
    with pytest.raises(services.InvalidCollectionOrder, match="every image in the collection exactly once"):
        services.reorder_collection(
            user=user, collection_id=collection.pk, asset_ids=pick(a.pk, b.pk, c.pk, stranger.pk)
        )
    assert order(collection) == [a.pk, b.pk, c.pk]


def test_move_up_and_down_stops_at_the_ends(user, three):
    collection, (a, b, c) = three
    services.move_collection_item(user=user, collection_id=collection.pk, asset_id=c.pk, offset=-1)
    assert order(collection) == [a.pk, c.pk, b.pk]
    services.move_collection_item(user=user, collection_id=collection.pk, asset_id=a.pk, offset=-1)
    assert order(collection) == [a.pk, c.pk, b.pk]
    services.move_collection_item(user=user, collection_id=collection.pk, asset_id=a.pk, offset=1)
    assert order(collection) == [c.pk, a.pk, b.pk]
    services.move_collection_item(user=user, collection_id=collection.pk, asset_id=b.pk, offset=1)
    assert order(collection) == [c.pk, a.pk, b.pk]


def test_deleting_a_collection_keeps_its_images_and_their_files(user, three):
    collection, assets = three
    services.delete_collection(user=user, collection_id=collection.pk)
    assert not Collection.objects.filter(pk=collection.pk).exists()
    assert not CollectionItem.objects.exists()
    assert Asset.objects.filter(pk__in=[a.pk for a in assets]).count() == 3
    assert all(default_storage.exists(a.file.name) for a in assets)


# -- pages -----------------------------------------------------------------------------------------


def test_the_collections_page_lists_mine_with_counts_and_a_cover(auth_client, user, other_user, three):
    _collection, (a, _b, _c) = three
    CollectionFactory(user=user, name="Empty one")
    CollectionFactory(user=other_user, name="Not mine")
    page = auth_client.get(COLLECTIONS).content.decode()
    assert re.findall(r'id="collection-[0-9a-f-]+-name"><a href="[^"]+">([^<]+)</a>', page) == ["Empty one", "Spring"]
    assert re.findall(r'data-testid="collection-count">([^<]+)<', page) == ["0 images", "3 images"]
    assert f'src="{reverse("generations:asset_file", args=[a.pk])}?thumb=1"' in page


def test_the_cover_skips_expired_images(auth_client, user, three):
    _collection, (a, b, _c) = three
    Asset.objects.filter(pk=a.pk).update(status=AssetStatus.EXPIRED)
    page = auth_client.get(COLLECTIONS).content.decode()
    assert f'src="{reverse("generations:asset_file", args=[b.pk])}?thumb=1"' in page


def test_creating_a_collection_from_the_page(auth_client, user):
    response = auth_client.post(COLLECTIONS, {"name": "Autumn", "description": "Leaves"})
    collection = Collection.objects.get(user=user)
    assert response.status_code == 302
    assert response["Location"] == reverse("generations:collection", args=[collection.pk])
    assert (collection.name, collection.description) == ("Autumn", "Leaves")


def test_a_taken_name_is_explained_beside_the_field(auth_client, user):
    CollectionFactory(user=user, name="Autumn")
    response = auth_client.post(COLLECTIONS, {"name": "Autumn"})
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="collection-name_errors"' in page
    assert "You already have a collection named “Autumn”; choose another name." in page
    assert Collection.objects.filter(user=user).count() == 1
    empty = auth_client.post(COLLECTIONS, {"name": ""})
    assert empty.status_code == 400
    assert "This field is required." in empty.content.decode()


def test_the_collection_page_shows_items_in_order_with_move_and_remove_controls(auth_client, user, three):
    collection, (a, b, c) = three
    services.reorder_collection(user=user, collection_id=collection.pk, asset_ids=[b.pk, c.pk, a.pk])
    page = auth_client.get(reverse("generations:collection", args=[collection.pk])).content.decode()
    assert re.findall(r'id="item-([0-9a-f-]+)"', page) == [str(b.pk), str(c.pk), str(a.pk)]
    assert page.count(f'action="{reverse("generations:collection_move", args=[collection.pk])}"') == 6
    assert page.count(f'action="{reverse("generations:collection_remove", args=[collection.pk])}"') == 3
    assert "move image 1 up one place" in page
    assert page.count(" disabled>") == 2  # first can't go up, last can't go down
    assert f'action="{reverse("generations:collection_rename", args=[collection.pk])}"' in page
    assert f'href="{reverse("generations:collection_delete", args=[collection.pk])}"' in page


def test_moving_with_the_buttons(auth_client, user, three):
    collection, (a, b, c) = three
    url = reverse("generations:collection_move", args=[collection.pk])
    response = auth_client.post(url, {"asset_id": str(c.pk), "direction": "up"})
    assert response.status_code == 302
    assert response["Location"] == reverse("generations:collection", args=[collection.pk]) + f"#item-{c.pk}"
    assert order(collection) == [a.pk, c.pk, b.pk]
    auth_client.post(url, {"asset_id": str(a.pk), "direction": "down"})
    assert order(collection) == [c.pk, a.pk, b.pk]
    auth_client.post(url, {"asset_id": str(a.pk), "direction": "sideways"})
    assert order(collection) == [c.pk, a.pk, b.pk]
    assert auth_client.post(url, {"asset_id": "nope", "direction": "up"}).status_code == 404


def test_removing_with_the_button(auth_client, user, three):
    collection, (a, b, c) = three
    response = auth_client.post(reverse("generations:collection_remove", args=[collection.pk]), {"asset_id": str(b.pk)})
    assert response.status_code == 302
    assert order(collection) == [a.pk, c.pk]


def test_renaming_from_the_page(auth_client, user, three):
    collection, _ = three
    CollectionFactory(user=user, name="Taken")
    url = reverse("generations:collection_rename", args=[collection.pk])
    refused = auth_client.post(url, {"name": "Taken"})
    assert refused.status_code == 400
    assert 'id="rename-name_errors"' in refused.content.decode()
    collection.refresh_from_db()
    assert collection.name == "Spring"
    assert auth_client.post(url, {"name": "Summer", "description": "Hot"}).status_code == 302
    collection.refresh_from_db()
    assert (collection.name, collection.description) == ("Summer", "Hot")


def test_deleting_from_the_page_asks_first(auth_client, user, three):
    collection, assets = three
    url = reverse("generations:collection_delete", args=[collection.pk])
    assert "the images in it stay in your library" in auth_client.get(url).content.decode()
    assert Collection.objects.filter(pk=collection.pk).exists()
    response = auth_client.post(url)
    assert response["Location"] == COLLECTIONS
    assert not Collection.objects.filter(pk=collection.pk).exists()
    assert Asset.objects.filter(pk__in=[a.pk for a in assets]).count() == 3


def test_add_to_an_existing_collection_with_a_plain_form(auth_client, user, three):
    collection, (a, b, c) = three
    new = AssetFactory(user=user)
    asset_page = reverse("generations:asset", args=[new.pk])
    response = auth_client.post(
        reverse("generations:collection_add"),
        {"asset_id": str(new.pk), "collection_id": str(collection.pk), "next": asset_page},
    )
    assert response.status_code == 302
    assert response["Location"] == asset_page
    assert order(collection) == [a.pk, b.pk, c.pk, new.pk]


def test_add_to_a_new_collection_with_htmx(auth_client, user):
    asset = AssetFactory(user=user)
    response = auth_client.post(
        reverse("generations:collection_add"), {"asset_id": str(asset.pk), "new_name": "Fresh picks"}, **HTMX
    )
    collection = Collection.objects.get(user=user)
    assert collection.name == "Fresh picks"
    assert order(collection) == [asset.pk]
    page = response.content.decode()
    assert page.lstrip().startswith("<form")
    assert f'Added to <a href="{reverse("generations:collection", args=[collection.pk])}">Fresh picks</a>.' in page
    # The new collection is offered in the refreshed form.
    assert f'<option value="{collection.pk}">Fresh picks</option>' in page


def test_add_without_a_collection_is_explained_beside_the_field(auth_client, user):
    CollectionFactory(user=user, name="Existing")
    asset = AssetFactory(user=user)
    response = auth_client.post(reverse("generations:collection_add"), {"asset_id": str(asset.pk)})
    page = response.content.decode()
    assert response.status_code == 400
    assert f'id="add-{asset.pk.hex}-collection_id_errors"' in page
    assert "Choose a collection, or name a new one." in page
    assert not CollectionItem.objects.exists()


def test_add_with_a_taken_new_name_is_explained_beside_the_field(auth_client, user):
    CollectionFactory(user=user, name="Existing")
    asset = AssetFactory(user=user)
    response = auth_client.post(
        reverse("generations:collection_add"), {"asset_id": str(asset.pk), "new_name": "Existing"}, **HTMX
    )
    page = response.content.decode()
    assert f'id="add-{asset.pk.hex}-new_name_errors"' in page
    assert "You already have a collection named “Existing”" in page
    assert Collection.objects.filter(user=user).count() == 1


def test_the_collections_page_runs_a_fixed_number_of_queries(auth_client, user, django_assert_num_queries):
    for n in range(3):
        collection = CollectionFactory(user=user)
        for _ in range(n + 1):
            CollectionItemFactory(collection=collection)
    auth_client.get(COLLECTIONS)
    # user (session cached), collections with counts and covers, credits in the top bar
    with django_assert_num_queries(3):
        assert auth_client.get(COLLECTIONS).status_code == 200


def test_the_collection_page_runs_a_fixed_number_of_queries(auth_client, user, django_assert_num_queries):
    template = create_template(spec=make_spec(formats=("1:1",)))
    collection = CollectionFactory(user=user)
    for _ in range(2):
        CollectionItemFactory(collection=collection)
    for generation in (completed_generation(user=user, template=template, formats=("1:1",)) for _ in range(2)):
        services.add_to_collection(user=user, collection_id=collection.pk, asset_id=generation.assets.get().pk)
    url = reverse("generations:collection", args=[collection.pk])
    auth_client.get(url)
    # user (session cached), collection, its items with their assets and generations, credits
    with django_assert_num_queries(4):
        assert auth_client.get(url).status_code == 200


# -- API -------------------------------------------------------------------------------------------


def test_api_collections_create_read_rename_and_delete(auth_client, user):
    created = auth_client.post(
        reverse("api-collections"), {"name": "Launch", "description": "Q1"}, content_type="application/json"
    )
    assert created.status_code == 201
    collection_id = created.json()["id"]
    assert created.json()["items"] == []
    taken = auth_client.post(reverse("api-collections"), {"name": "Launch"}, content_type="application/json")
    assert taken.status_code == 409
    assert "already have a collection named" in taken.json()["detail"]
    listed = auth_client.get(reverse("api-collections")).json()
    assert [(c["name"], c["item_count"], c["cover_url"]) for c in listed["results"]] == [("Launch", 0, None)]
    detail = reverse("api-collection-detail", args=[collection_id])
    renamed = auth_client.patch(detail, {"name": "Launch week"}, content_type="application/json")
    assert (renamed.json()["name"], renamed.json()["description"]) == ("Launch week", "Q1")
    assert auth_client.delete(detail).status_code == 204
    assert not Collection.objects.filter(pk=collection_id).exists()


def test_api_items_add_remove_and_order(auth_client, user, three):
    collection, (a, b, c) = three
    d = AssetFactory(user=user)
    items = reverse("api-collection-items", args=[collection.pk])
    added = auth_client.post(items, {"asset_id": str(d.pk)}, content_type="application/json")
    assert added.status_code == 201
    assert [i["asset"]["id"] for i in added.json()["items"]] == [str(x.pk) for x in (a, b, c, d)]
    assert added.json()["items"][3]["asset"]["thumbnail_url"].endswith(
        reverse("generations:asset_file", args=[d.pk]) + "?thumb=1"
    )
    auth_client.post(items, {"asset_id": str(d.pk)}, content_type="application/json")
    assert CollectionItem.objects.filter(collection=collection).count() == 4

    url = reverse("api-collection-order", args=[collection.pk])
    reordered = auth_client.put(url, {"asset_ids": [str(x.pk) for x in (d, c, b, a)]}, content_type="application/json")
    assert [i["asset"]["id"] for i in reordered.json()["items"]] == [str(x.pk) for x in (d, c, b, a)]
    refused = auth_client.put(url, {"asset_ids": [str(d.pk)]}, content_type="application/json")
    assert refused.status_code == 400
    assert "exactly once" in refused.json()["detail"]
    assert order(collection) == [d.pk, c.pk, b.pk, a.pk]

    item = reverse("api-collection-item", args=[collection.pk, b.pk])
    assert auth_client.delete(item).status_code == 204
    assert auth_client.delete(item).status_code == 404
    assert order(collection) == [d.pk, c.pk, a.pk]


# -- admin -----------------------------------------------------------------------------------------


def test_staff_see_collections_and_their_items_read_only(admin_client_, user, three):
    collection, (a, _b, _c) = three
    changelist = admin_client_.get(reverse("admin:generations_collection_changelist"))
    assert changelist.status_code == 200
    assert "Spring" in changelist.content.decode()
    change = admin_client_.get(reverse("admin:generations_collection_change", args=[collection.pk]))
    page = change.content.decode()
    assert change.status_code == 200
    assert "Images, in the user" in page
    assert a.display_name in page
    assert 'name="_save"' not in page  # nothing on it can be saved
    assert admin_client_.get(reverse("admin:generations_collection_add")).status_code == 403
