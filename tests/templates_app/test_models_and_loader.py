"""Templates through their services: versions, renders and their files, flags, use counts, and the library loader."""

import copy
import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection
from PIL import Image

from accounts.models import AuditEvent
from templates_app import selectors, services
from templates_app.errors import TemplateSpecError
from templates_app.models import AdCategory, AdTemplate, Category, TemplateSpecVersion
from templates_app.spec import FORMAT_KEYS
from tests.templates_app.factories import CategoryFactory, create_template, make_spec

pytestmark = pytest.mark.django_db

LIBRARY_DIR = Path(settings.BASE_DIR) / "templates_app" / "library"


@pytest.fixture
def media_root(settings):
    """The test's own media folder (tests/conftest.py points MEDIA_ROOT at it)."""
    return settings.MEDIA_ROOT


def stored_files(media_root) -> set[str]:
    root = Path(media_root)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def render_names(template: AdTemplate) -> set[str]:
    return {template.thumbnail.name, *template.previews.values()}


# -- creating and saving ---------------------------------------------------------------------------


def test_a_new_template_is_validated_versioned_and_rendered(media_root):
    category = CategoryFactory()
    template = create_template(
        slug="summer-sale",
        spec=make_spec(formats=("4:5", "9:16")),
        categories=[category],
        tags=["Sale", " sale ", "Menu"],
    )

    template.refresh_from_db()
    assert template.spec_version == 1
    assert template.native_formats == ["4:5", "9:16"]
    assert template.adapted_formats == ["1:1", "16:9"]
    assert (template.format, template.width, template.height) == ("4:5", 1080, 1350)
    assert template.tags == ["sale", "menu"]
    assert set(template.render_spec["formats"]) == set(FORMAT_KEYS)
    assert list(template.categories.all()) == [category]

    version = TemplateSpecVersion.objects.get(template=template)
    assert version.version == 1
    assert version.spec == template.spec
    assert version.render_spec == template.render_spec

    assert set(template.previews) == set(FORMAT_KEYS)
    assert stored_files(media_root) == render_names(template)
    assert template.thumbnail.name.startswith("templates/summer-sale/v1-thumb-")
    assert template.previews["9:16"].startswith("templates/summer-sale/v1-9x16-")
    with default_storage.open(template.thumbnail.name) as handle:
        thumbnail = Image.open(handle)
        assert thumbnail.format == "WEBP"
        assert thumbnail.size == (services.THUMBNAIL_SIZE, services.THUMBNAIL_SIZE)
    with default_storage.open(template.previews["16:9"]) as handle:
        assert Image.open(handle).size == (960, 540)


def test_saving_the_same_spec_changes_no_version_and_renders_nothing(media_root):
    template = create_template(spec=make_spec())
    files_before = stored_files(media_root)

    outcome = services.save_template_spec(template=template, spec=make_spec())

    assert outcome.spec_changed is False
    assert outcome.rendered is False
    template.refresh_from_db()
    assert template.spec_version == 1
    assert TemplateSpecVersion.objects.filter(template=template).count() == 1
    assert stored_files(media_root) == files_before


def test_a_changed_spec_is_a_new_version_and_the_old_one_is_kept(media_root, django_capture_on_commit_callbacks):
    template = create_template(spec=make_spec(headline="Summer sale"))
    first_spec = copy.deepcopy(template.spec)
    old_files = render_names(template)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.save_template_spec(template=template, spec=make_spec(headline="Winter sale"))

    assert outcome.spec_changed is True
    template.refresh_from_db()
    assert template.spec_version == 2
    assert template.spec["slots"]["headline"]["default"] == "Winter sale"
    versions = {v.version: v for v in TemplateSpecVersion.objects.filter(template=template)}
    assert set(versions) == {1, 2}
    assert versions[1].spec == first_spec
    assert selectors.get_spec_for_generation(template_id=template.pk, version=1) == versions[1].render_spec
    # The replaced renders are deleted once the save is committed; the new ones are all there is.
    assert not old_files & render_names(template)
    assert stored_files(media_root) == render_names(template)
    assert all(name.split("/")[-1].startswith("v2-") for name in render_names(template))


def test_an_invalid_spec_is_refused_with_every_problem_and_nothing_is_written(media_root):
    spec = make_spec()
    spec["formats"]["1:1"]["layers"][2]["font"] = "Comic Sans"
    spec["slots"]["cta"]["max_chars"] = 0

    with pytest.raises(TemplateSpecError) as refused:
        create_template(slug="broken", spec=spec)

    paths = [path for path, _ in refused.value.problems]
    assert "formats.1:1.layers[2].font" in paths
    assert "slots.cta.max_chars" in paths
    assert not AdTemplate.objects.filter(slug="broken").exists()
    assert stored_files(media_root) == set()


def test_a_default_text_that_does_not_fit_is_a_spec_problem_at_its_slot(media_root):
    spec = make_spec(headline="An extremely long headline here")
    layer = spec["formats"]["1:1"]["layers"][2]
    layer["box"] = [80, 80, 240, 60]
    layer["size"] = [40, 60]
    layer["max_lines"] = 1

    with pytest.raises(TemplateSpecError) as refused:
        create_template(slug="too-long", spec=spec)

    assert refused.value.problems[0][0] == "slots.headline.default"
    assert "does not fit" in refused.value.problems[0][1]
    assert stored_files(media_root) == set()


def test_a_save_that_fails_after_rendering_leaves_no_files_behind(media_root):
    template = create_template(spec=make_spec())
    files_before = stored_files(media_root)
    # A version 2 exists already (as if written by someone else): the save's insert fails.
    TemplateSpecVersion.objects.create(template=template, version=2, spec={}, render_spec={})

    with pytest.raises(IntegrityError):
        services.save_template_spec(template=template, spec=make_spec(headline="Autumn sale"))

    template.refresh_from_db()
    assert template.spec_version == 1
    assert stored_files(media_root) == files_before


def test_save_template_refuses_to_run_inside_another_transaction():
    from django.db import transaction

    template = create_template()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        services.save_template_spec(template=template, spec=make_spec(headline="Spring sale"))


def test_slugs_are_unique_and_reserved_ones_refused():
    create_template(slug="taken")
    with pytest.raises(services.SlugTaken):
        create_template(slug="taken")
    with pytest.raises(services.TemplateError, match="reserved"):
        create_template(slug="categories")


def test_search_text_and_vector_are_maintained_by_the_service():
    template = create_template(name="Fresh bakery", description="Warm bread every morning", tags=["croissant"])
    template.refresh_from_db()
    assert "Fresh bakery" in template.search_text
    assert "croissant" in template.search_text
    assert "Restaurant and food" in template.search_text
    if connection.vendor == "postgresql":
        assert "'bakeri':" in str(template.search_vector)
        assert "'croissant':" in str(template.search_vector)
    else:
        assert template.search_vector is None


@pytest.mark.postgres
def test_the_postgresql_only_indexes_exist():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'templates_app_adtemplate'")
        definitions = dict(cursor.fetchall())
    assert "USING gin (search_vector)" in definitions["templates_adtemplate_search_gin"]
    assert "best_ctr DESC NULLS LAST" in definitions["templates_adtemplate_best_ctr"]


def test_use_count_goes_up_by_one_per_use_without_touching_updated_at():
    template = create_template()
    updated_at = template.updated_at
    services.record_template_use(template_id=template.pk)
    services.record_template_use(template_id=template.pk)
    template.refresh_from_db()
    assert template.usage_count == 2
    assert template.updated_at == updated_at


def test_feature_and_activate_change_only_what_differs_and_are_audited(staff_user):
    featured = create_template(is_featured=True)
    plain = create_template()

    assert services.set_featured(templates=[featured, plain], featured=True, actor=staff_user) == 1
    assert services.set_active(templates=[plain], active=False, actor=staff_user) == 1
    assert services.set_active(templates=[plain], active=False, actor=staff_user) == 0

    plain.refresh_from_db()
    assert plain.is_featured is True
    assert plain.is_active is False
    actions = list(AuditEvent.objects.filter(target_id=str(plain.pk)).values_list("action", flat=True))
    assert sorted(actions) == ["template.deactivated", "template.featured"]


def test_duplicate_is_an_inactive_copy_with_its_own_renders(staff_user, media_root):
    category = CategoryFactory()
    original = create_template(slug="spring", categories=[category], is_featured=True)

    copy_one = services.duplicate_template(template=original, actor=staff_user)
    copy_two = services.duplicate_template(template=original, actor=staff_user)

    assert (copy_one.slug, copy_two.slug) == ("spring-copy", "spring-copy-2")
    assert copy_one.is_active is False
    assert copy_one.is_featured is False
    assert copy_one.spec == original.spec
    assert copy_one.spec_version == 1
    assert list(copy_one.categories.all()) == [category]
    assert copy_one.metadata["duplicated_from"] == str(original.pk)
    assert render_names(copy_one).isdisjoint(render_names(original))
    assert all(default_storage.exists(name) for name in render_names(copy_one))
    assert AuditEvent.objects.filter(action="template.duplicated", target_id=str(copy_one.pk)).exists()


def test_categories_are_replaced_by_a_save():
    first, second = CategoryFactory(), CategoryFactory()
    template = create_template(categories=[first])
    services.save_template(template=template, spec=template.spec, categories=[second])
    assert list(AdCategory.objects.filter(template=template).values_list("category", flat=True)) == [second.pk]


# -- the library loader ----------------------------------------------------------------------------


def write_library(folder: Path, templates: list[dict], categories: list[dict] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        old.unlink()
    if categories is not None:
        (folder / "categories.json").write_text(json.dumps(categories))
    for document in templates:
        (folder / f"{document['slug']}.json").write_text(json.dumps(document))
    return folder


def library_template(slug: str, **changes) -> dict:
    return {
        "slug": slug,
        "name": slug.replace("-", " ").title(),
        "description": "A shipped template.",
        "industry": "restaurant",
        "style": "bold",
        "campaign_type": "sales",
        "categories": ["food-and-drink"],
        "tags": ["menu"],
        "featured": False,
        "spec": make_spec(),
        **changes,
    }


CATEGORIES = [
    {"slug": "food-and-drink", "name": "Food & drink", "icon": "🍽", "description": "Restaurants and cafés."},
    {"slug": "retail", "name": "Retail", "icon": "🛍"},
]


def test_loading_the_library_twice_changes_nothing_the_second_time(tmp_path, media_root):
    folder = write_library(
        tmp_path / "library",
        [library_template("daily-special", featured=True), library_template("new-arrivals", categories=["retail"])],
        CATEGORIES,
    )

    first = services.load_template_library(path=folder)
    assert first.errors == []
    assert sorted(first.created) == ["daily-special", "new-arrivals"]
    assert sorted(first.rendered) == ["daily-special", "new-arrivals"]
    assert first.categories_created == ["food-and-drink", "retail"]
    special = AdTemplate.objects.get(slug="daily-special")
    assert special.is_featured is True
    assert [c.slug for c in special.categories.all()] == ["food-and-drink"]
    assert Category.objects.get(slug="food-and-drink").display_order == 10
    snapshot = {t.slug: (t.updated_at, t.spec_version, render_names(t)) for t in AdTemplate.objects.all()}
    files = stored_files(media_root)

    second = services.load_template_library(path=folder)

    assert second.errors == []
    assert (second.created, second.updated, second.rendered) == ([], [], [])
    assert sorted(second.unchanged) == ["daily-special", "new-arrivals"]
    assert (second.categories_created, second.categories_updated) == ([], [])
    assert {t.slug: (t.updated_at, t.spec_version, render_names(t)) for t in AdTemplate.objects.all()} == snapshot
    assert TemplateSpecVersion.objects.count() == 2
    assert stored_files(media_root) == files
    assert AuditEvent.objects.filter(action="templates.library_loaded").count() == 1


def test_a_changed_library_spec_is_a_new_version_and_a_changed_name_is_not(tmp_path):
    folder = tmp_path / "library"
    write_library(folder, [library_template("daily-special"), library_template("lunch-deal")], CATEGORIES)
    services.load_template_library(path=folder)

    write_library(
        folder,
        [
            library_template("daily-special", spec=make_spec(headline="Soup of the day")),
            library_template("lunch-deal", name="Lunch deal of the week"),
        ],
        CATEGORIES,
    )
    report = services.load_template_library(path=folder)

    assert sorted(report.updated) == ["daily-special", "lunch-deal"]
    assert report.rendered == ["daily-special"]
    special = AdTemplate.objects.get(slug="daily-special")
    assert special.spec_version == 2
    assert special.spec["slots"]["headline"]["default"] == "Soup of the day"
    lunch = AdTemplate.objects.get(slug="lunch-deal")
    assert lunch.spec_version == 1
    assert lunch.name == "Lunch deal of the week"


def test_the_loader_keeps_staff_edits_until_the_file_changes_and_never_deletes(tmp_path, staff_user):
    folder = tmp_path / "library"
    write_library(folder, [library_template("daily-special"), library_template("retired")], CATEGORIES)
    services.load_template_library(path=folder)
    special = AdTemplate.objects.get(slug="daily-special")
    special.name = "Renamed by staff"
    services.save_template(template=special, spec=special.spec, actor=staff_user)
    services.set_active(templates=[special], active=False, actor=staff_user)

    write_library(folder, [library_template("daily-special")], CATEGORIES)
    report = services.load_template_library(path=folder)

    assert report.unchanged == ["daily-special"]
    assert report.no_longer_shipped == ["retired"]
    assert report.deactivated == []
    special.refresh_from_db()
    assert special.name == "Renamed by staff"
    assert special.is_active is False  # the loader never re-activates what staff took out
    assert AdTemplate.objects.get(slug="retired").is_active is True

    report = services.load_template_library(path=folder, deactivate_missing=True)
    assert report.deactivated == ["retired"]
    assert AdTemplate.objects.get(slug="retired").is_active is False
    assert AdTemplate.objects.count() == 2


def test_bad_library_files_are_reported_and_the_others_still_load(tmp_path):
    create_template(slug="made-in-admin")
    bad_spec = make_spec()
    bad_spec["formats"]["1:1"]["layers"][0]["fill"] = "not a colour"
    folder = write_library(
        tmp_path / "library",
        [
            library_template("good-one"),
            library_template("bad-spec", spec=bad_spec),
            library_template("unknown-category", categories=["nope"]),
            library_template("bad-industry", industry="mining"),
            library_template("made-in-admin"),
        ],
        CATEGORIES,
    )
    (folder / "broken.json").write_text("{not json")

    report = services.load_template_library(path=folder)

    assert report.created == ["good-one"]
    errors = "\n".join(report.errors)
    assert "bad-spec.json: the spec is not valid: formats.1:1.layers[0].fill" in errors
    assert "unknown-category.json: unknown categories nope" in errors
    assert "bad-industry.json: industry “mining” is not one of" in errors
    assert "made-in-admin.json: the slug “made-in-admin” belongs to a template made in the admin" in errors
    assert "broken.json: not readable JSON" in errors
    assert len(report.errors) == 5


def test_the_command_prints_counts_and_fails_on_errors(tmp_path):
    folder = write_library(tmp_path / "library", [library_template("daily-special")], CATEGORIES)
    out = io.StringIO()
    call_command("load_template_library", "--path", str(folder), stdout=out)
    assert "Templates: 1 created, 0 updated, 0 unchanged (1 rendered)." in out.getvalue()
    assert "Categories: 2 created, 0 updated." in out.getvalue()

    out = io.StringIO()
    call_command("load_template_library", "--path", str(folder), stdout=out)
    assert "Templates: 0 created, 0 updated, 1 unchanged (0 rendered)." in out.getvalue()

    (folder / "broken.json").write_text("[]")
    with pytest.raises(CommandError, match="1 library file"):
        call_command("load_template_library", "--path", str(folder), stdout=io.StringIO(), stderr=io.StringIO())


def test_every_shipped_library_template_loads_and_renders(media_root):
    """The real library: every JSON file in templates_app/library loads, validates and renders every format."""
    files = sorted(path for path in LIBRARY_DIR.glob("*.json") if path.name != "categories.json")
    assert files, "templates_app/library has no templates"

    report = services.load_template_library(path=LIBRARY_DIR)

    assert report.errors == []
    assert len(report.created) == len(files)
    for template in AdTemplate.objects.all():
        assert set(template.previews) == set(FORMAT_KEYS), template.slug
        assert default_storage.exists(template.thumbnail.name), template.slug
        assert template.categories.exists(), template.slug
    again = services.load_template_library(path=LIBRARY_DIR)
    assert len(again.unchanged) == len(files)
