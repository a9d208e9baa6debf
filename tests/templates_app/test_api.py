"""The template library's REST API: the gallery's filters and sorts, a template's details, favourites."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts import services as account_services
from templates_app import services
from templates_app.models import FavoriteTemplate
from tests.templates_app.factories import CategoryFactory, TemplateRowFactory, create_template, make_spec

pytestmark = pytest.mark.django_db

LIST = "/api/v1/templates/"


@pytest.fixture
def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_needs_authentication():
    assert APIClient().get(LIST).status_code in (401, 403)
    assert APIClient().get(f"{LIST}categories/").status_code in (401, 403)


def test_an_api_key_works_too(user):
    TemplateRowFactory(slug="keyed")
    _, key = account_services.create_api_key(user=user, name="script")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(LIST).json()["count"] == 1


def test_list_filters_sorts_and_pages_like_the_gallery(api, user):
    food = CategoryFactory(slug="food")
    TemplateRowFactory(slug="bakery", name="Fresh bakery", categories=[food], is_featured=True, usage_count=1)
    TemplateRowFactory(slug="burger", name="Burger night", categories=[food], style="playful", usage_count=9)
    TemplateRowFactory(slug="gym", name="Gym", industry="fitness", formats=("16:9",))
    TemplateRowFactory(slug="off", is_active=False)

    body = api.get(LIST).json()
    assert body["count"] == 3
    assert [item["slug"] for item in body["results"]] == ["bakery", "burger", "gym"]
    item = body["results"][0]
    assert item["categories"] == [{"slug": "food", "name": food.name, "description": "", "icon": ""}]
    assert item["native_formats"] == ["1:1"]
    assert item["adapted_formats"] == ["4:5", "9:16", "16:9"]
    assert item["is_favorite"] is False
    assert item["thumbnail_url"] == "/media/templates/bakery/v1-thumb.webp"
    assert item["url"] == "/api/v1/templates/bakery/"

    def found(**params):
        return [entry["slug"] for entry in api.get(LIST, params).json()["results"]]

    assert found(category="food", style="playful") == ["burger"]
    assert found(industry="fitness") == ["gym"]
    assert found(designed_for="16:9") == ["gym"]
    assert found(q="bakery") == ["bakery", "burger"]  # the name, and a word of the food industry
    assert found(q="fresh") == ["bakery"]
    assert found(sort="most_used") == ["burger", "bakery", "gym"]

    services.set_favorite(
        user=user, template_id=TemplateRowFactory._meta.model.objects.get(slug="gym").pk, favorite=True
    )
    assert found(favorites="true") == ["gym"]


def test_list_pages_hold_24(api):
    for _ in range(26):
        TemplateRowFactory()
    first = api.get(LIST).json()
    assert len(first["results"]) == 24
    assert first["next"].endswith("?page=2")
    assert len(api.get(LIST, {"page": 2}).json()["results"]) == 2


def test_invalid_filters_are_refused(api):
    response = api.get(LIST, {"industry": "mining", "sort": "random", "designed_for": "3:2"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"industry", "sort", "designed_for"}


def test_the_list_runs_a_fixed_number_of_queries(api, user):
    food = CategoryFactory(slug="food")
    for _ in range(3):
        TemplateRowFactory(categories=[food])

    def count(params):
        with CaptureQueriesContext(connection) as queries:
            assert api.get(LIST, params).status_code == 200
        return len(queries)

    baseline = count({})
    for _ in range(20):
        TemplateRowFactory(categories=[food])
    assert count({}) == baseline
    assert count({"category": "food", "q": "template", "sort": "newest"}) == baseline


def test_detail_has_slots_formats_previews_and_metrics(api, staff_user):
    template = create_template(slug="daily-special", spec=make_spec(formats=("1:1", "9:16")))
    body = api.get(f"{LIST}daily-special/").json()
    assert body["slug"] == "daily-special"
    assert body["spec_version"] == 1
    slots = {slot["name"]: slot for slot in body["slots"]}
    assert slots["headline"] == {
        "name": "headline",
        "type": "text",
        "label": "Headline",
        "required": True,
        "max_chars": 40,
        "default": "Summer sale",
        "role": None,
        "help": "",
    }
    assert slots["logo"]["role"] == "logo"
    formats = {entry["key"]: entry for entry in body["formats"]}
    assert formats["9:16"]["adapted"] is False
    assert formats["16:9"] == {
        "key": "16:9",
        "label": "Landscape 16:9",
        "width": 1920,
        "height": 1080,
        "adapted": True,
        "adapted_from": "1:1",
        "preview_url": f"/media/{template.previews['16:9']}",
    }
    assert body["metrics"] is None

    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = b"template,date,impressions,ctr\ndaily-special,2026-02-01,2000,3%\n"
    services.import_metrics_csv(file=SimpleUploadedFile("m.csv", csv), actor=staff_user)
    metrics = api.get(f"{LIST}daily-special/").json()["metrics"]
    assert metrics["impressions"] == 2000
    assert metrics["ctr"] == pytest.approx(0.03)
    assert metrics["days"] == 1


def test_an_inactive_or_unknown_template_is_404(api):
    TemplateRowFactory(slug="off", is_active=False)
    assert api.get(f"{LIST}off/").status_code == 404
    assert api.get(f"{LIST}nope/").status_code == 404
    assert api.post(f"{LIST}off/favorite/").status_code == 404


def test_favourite_post_and_delete_are_idempotent_and_per_user(api, user, other_user):
    template = TemplateRowFactory(slug="liked")
    services.set_favorite(user=other_user, template_id=template.pk, favorite=True)

    for _ in range(2):
        response = api.post(f"{LIST}liked/favorite/")
        assert response.status_code == 200
        assert response.json() == {"is_favorite": True}
    assert FavoriteTemplate.objects.filter(user=user).count() == 1
    assert api.get(f"{LIST}liked/").json()["is_favorite"] is True

    for _ in range(2):
        assert api.delete(f"{LIST}liked/favorite/").json() == {"is_favorite": False}
    assert not FavoriteTemplate.objects.filter(user=user).exists()
    assert FavoriteTemplate.objects.filter(user=other_user).count() == 1


def test_categories_are_listed_in_display_order(api):
    CategoryFactory(slug="second", name="Second", display_order=2)
    CategoryFactory(slug="first", name="First", display_order=1, icon="🍽")
    CategoryFactory(slug="off", name="Off", is_active=False)
    assert api.get(f"{LIST}categories/").json() == [
        {"slug": "first", "name": "First", "description": "", "icon": "🍽"},
        {"slug": "second", "name": "Second", "description": "", "icon": ""},
    ]


def test_the_openapi_schema_is_valid_and_describes_the_template_endpoints(api):
    output = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=output)
    schema = output.getvalue()
    for path in (
        "/api/v1/templates/:",
        "/api/v1/templates/{slug}/:",
        "/api/v1/templates/{slug}/favorite/:",
        "/api/v1/templates/categories/:",
        "/api/v1/templates/brand-fonts/:",
        "/api/v1/templates/brand-fonts/{font_id}/:",
    ):
        assert path in schema
    assert "FormatSerializer" not in schema  # components are named after what they describe
    assert "adapted_from" in schema
    assert api.get("/api/v1/schema/").status_code == 200
