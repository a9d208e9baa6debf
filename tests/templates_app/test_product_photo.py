"""Templates that need the user's product photo (issue 12, item 4): a stored flag derived from the
spec by the template service and backfilled by migration 0005; the gallery, its API and the admin
filter on it; the customise page asks for the photo first and labels the sample art."""

import importlib
import json
import shutil
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import reverse
from rest_framework.test import APIClient

from templates_app import services
from templates_app.models import AdTemplate
from templates_app.services.library import LIBRARY_DIR, load_template_library
from templates_app.spec import needs_product_photo
from tests.templates_app.factories import create_template, make_spec

pytestmark = pytest.mark.django_db


def product_spec() -> dict:
    spec = make_spec(formats=("1:1",))
    spec["slots"]["photo"] = {"type": "image", "label": "Product photo", "role": "product"}
    layers = spec["formats"]["1:1"]["layers"]
    layers.insert(1, {"type": "shape", "shape": "circle", "box": [300, 200, 480, 480], "fill": "#F7F1E8"})
    layers.insert(2, {"type": "image", "slot": "photo", "box": [240, 140, 600, 600]})
    return spec


@pytest.fixture
def catalogue(db):
    with_photo = create_template(name="Fresh pasta", slug="fresh-pasta", spec=product_spec())
    without = create_template(name="Flash sale", slug="flash-sale", spec=make_spec())
    return with_photo, without


def test_the_service_derives_the_flag_from_the_spec_on_every_save(catalogue):
    with_photo, without = catalogue
    assert with_photo.needs_product_photo is True
    assert without.needs_product_photo is False

    services.save_template_spec(template=with_photo, spec=make_spec())
    with_photo.refresh_from_db()
    assert with_photo.needs_product_photo is False
    services.save_template_spec(template=without, spec=product_spec())
    without.refresh_from_db()
    assert without.needs_product_photo is True


def test_background_person_and_logo_slots_are_not_product_photos():
    spec = make_spec()
    for role in ("background", "person", "other", "logo"):
        spec["slots"]["photo"] = {"type": "image", "label": "Photo", "role": role}
        assert needs_product_photo(spec) is False
    spec["slots"]["photo"]["role"] = "product"
    assert needs_product_photo(spec) is True


def test_the_migration_backfills_existing_templates_from_their_specs(catalogue):
    AdTemplate.objects.update(needs_product_photo=False)  # as the rows were before the column existed
    migration = importlib.import_module("templates_app.migrations.0005_template_needs_product_photo")
    migration.backfill(apps, None)
    assert set(AdTemplate.objects.filter(needs_product_photo=True).values_list("slug", flat=True)) == {"fresh-pasta"}


def test_shipped_templates_are_flagged_when_loaded(tmp_path: Path):
    # Two shipped files, loaded by the real library loader: the pasta plate asks for a photo, the flash sale does not.
    for name in ("categories.json", "restaurant-fresh-pasta.json", "ecommerce-flash-sale.json"):
        shutil.copy(LIBRARY_DIR / name, tmp_path / name)
    report = load_template_library(path=tmp_path)
    assert report.errors == []
    flags = dict(AdTemplate.objects.values_list("slug", "needs_product_photo"))
    assert flags == {"restaurant-fresh-pasta": True, "ecommerce-flash-sale": False}
    # Every shipped file with a product slot is one the gallery will keep out of "no product photo needed".
    shipped = {
        path.stem: needs_product_photo(json.loads(path.read_text())["spec"])
        for path in LIBRARY_DIR.glob("*.json")
        if path.name != "categories.json"
    }
    assert 5 <= sum(shipped.values()) < len(shipped)


def test_the_gallery_filters_to_templates_that_need_no_product_photo(catalogue, auth_client):
    everything = auth_client.get(reverse("templates_app:index")).content.decode()
    assert "Fresh pasta" in everything
    assert "Flash sale" in everything
    assert 'data-testid="needs-product-photo"' in everything
    assert 'name="no_product_photo"' in everything

    page = auth_client.get(reverse("templates_app:index"), {"no_product_photo": "1"}).content.decode()
    assert "Flash sale" in page
    assert "Fresh pasta" not in page
    assert "No product photo needed" in page  # the chip that removes the filter
    assert 'id="filter-no-product-photo" value="1" aria-describedby="filter-no-product-photo-help" checked' in page


def test_the_api_filters_and_says_which_templates_need_a_photo(catalogue, user):
    client = APIClient()
    client.force_authenticate(user)
    rows = client.get(reverse("api-templates")).json()["results"]
    assert {row["slug"]: row["needs_product_photo"] for row in rows} == {"fresh-pasta": True, "flash-sale": False}
    rows = client.get(reverse("api-templates"), {"no_product_photo": "true"}).json()["results"]
    assert [row["slug"] for row in rows] == ["flash-sale"]
    bad = client.get(reverse("api-templates"), {"no_product_photo": "maybe"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid"


def test_the_admin_list_filters_on_the_flag(catalogue, admin_client):
    response = admin_client.get(
        reverse("admin:templates_app_adtemplate_changelist"), {"needs_product_photo__exact": "1"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Fresh pasta" in page
    assert "Flash sale" not in page
    assert "needs product photo" in page.lower()  # the filter's heading in the sidebar


def test_the_customise_page_asks_for_the_product_photo_first_and_labels_the_sample(catalogue, auth_client):
    with_photo, without = catalogue
    page = auth_client.get(reverse("generations:customise", args=[with_photo.slug])).content.decode()
    card = page.index('data-testid="product-photo-card"')
    assert card < page.index('<legend class="h5">Words</legend>')
    assert page.index('type="file"') > card  # the first file input is the product photo's
    assert page.index('name="image_photo"') < page.index('name="image_logo"')
    assert "Placeholder only: the sample picture will not appear in your ad." in page

    plain = auth_client.get(reverse("generations:customise", args=[without.slug])).content.decode()
    assert 'data-testid="product-photo-card"' not in plain
