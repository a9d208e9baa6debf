"""Staff authoring in the admin: the spec editor and its live preview, actions, no deletes, the metrics import."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEvent
from templates_app import services
from templates_app.models import AdMetric, AdTemplate, TemplateSpecVersion
from tests.factories import UserFactory
from tests.templates_app.factories import CategoryFactory, create_template, make_spec

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:templates_app_adtemplate_add")
CHANGELIST = reverse("admin:templates_app_adtemplate_changelist")
PREVIEW_URL = reverse("admin:templates_app_adtemplate_preview")
IMPORT_URL = reverse("admin:templates_app_admetric_import")


def form_data(**changes) -> dict:
    data = {
        "name": "Daily special",
        "slug": "daily-special",
        "description": "A warm card.",
        "industry": "restaurant",
        "style": "bold",
        "campaign_type": "sales",
        "tags": "lunch, Menu",
        "is_active": "on",
        "metadata": "{}",
        "spec": json.dumps(make_spec()),
        "spec_versions-TOTAL_FORMS": "0",
        "spec_versions-INITIAL_FORMS": "0",
        "spec_versions-MIN_NUM_FORMS": "0",
        "spec_versions-MAX_NUM_FORMS": "0",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def change_data(template, **changes) -> dict:
    versions = list(template.spec_versions.order_by("-version"))
    data = form_data(name=template.name, slug=template.slug, spec=json.dumps(template.spec))
    data.update({"spec_versions-TOTAL_FORMS": str(len(versions)), "spec_versions-INITIAL_FORMS": str(len(versions))})
    for number, version in enumerate(versions):
        data[f"spec_versions-{number}-id"] = str(version.pk)
        data[f"spec_versions-{number}-template"] = str(template.pk)
    data.update(changes)
    return data


def test_the_template_admin_pages_render(admin_client_):
    template = create_template()
    assert admin_client_.get(CHANGELIST).status_code == 200
    assert admin_client_.get(ADD_URL).status_code == 200
    response = admin_client_.get(reverse("admin:templates_app_adtemplate_change", args=[template.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="spec-preview"' in html
    assert f'data-url="{PREVIEW_URL}"' in html
    assert "Spec versions" in html
    for name in ("categories", "admetric", "templatespecversion", "favoritetemplate"):
        assert (
            admin_client_.get(
                reverse(f"admin:templates_app_{name if name != 'categories' else 'category'}_changelist")
            ).status_code
            == 200
        )


def test_adding_a_template_in_the_admin_validates_versions_and_renders(admin_client_, staff_user):
    category = CategoryFactory()
    response = admin_client_.post(ADD_URL, form_data(category_choices=[str(category.pk)]))
    assert response.status_code == 302, response.content.decode()[:3000]
    template = AdTemplate.objects.get(slug="daily-special")
    assert template.spec_version == 1
    assert template.tags == ["lunch", "menu"]
    assert list(template.categories.all()) == [category]
    assert set(template.previews) == {"1:1", "4:5", "9:16", "16:9"}
    assert AuditEvent.objects.filter(action="template.created", actor=staff_user).exists()


def test_spec_errors_appear_at_the_spec_field_with_each_path(admin_client_):
    spec = make_spec()
    spec["formats"]["1:1"]["layers"][2]["font"] = "Comic Sans"
    spec["formats"]["1:1"]["layers"][4]["box"] = [900, 900, 400, 110]
    response = admin_client_.post(ADD_URL, form_data(spec=json.dumps(spec)))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["spec"]
    assert any(error.startswith("formats.1:1.layers[2].font: Unknown font 'Comic Sans'") for error in errors)
    assert any(error.startswith("formats.1:1.layers[4].box:") for error in errors)
    html = response.content.decode()
    assert "formats.1:1.layers[2].font" in html
    assert not AdTemplate.objects.exists()

    response = admin_client_.post(ADD_URL, form_data(spec="{not json"))
    assert "This is not valid JSON" in response.context["adminform"].form.errors["spec"][0]


def test_a_default_text_that_does_not_fit_is_an_error_at_the_field(admin_client_):
    spec = make_spec(headline="An extremely long headline here")
    layer = spec["formats"]["1:1"]["layers"][2]
    layer.update(box=[80, 80, 240, 60], size=[40, 60], max_lines=1)
    response = admin_client_.post(ADD_URL, form_data(spec=json.dumps(spec)))
    assert response.status_code == 200
    (error,) = response.context["adminform"].form.errors["spec"]
    assert error.startswith("slots.headline.default: The text for 'headline' does not fit the 1:1 layout")


def test_changing_the_spec_in_the_admin_makes_a_new_version(admin_client_):
    template = create_template(slug="editable")
    url = reverse("admin:templates_app_adtemplate_change", args=[template.pk])

    response = admin_client_.post(url, change_data(template, name="Renamed"))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    template.refresh_from_db()
    assert (template.name, template.spec_version) == ("Renamed", 1)

    response = admin_client_.post(url, change_data(template, spec=json.dumps(make_spec(headline="New headline"))))
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.spec_version == 2
    assert TemplateSpecVersion.objects.filter(template=template).count() == 2


def test_the_live_preview_renders_every_format_of_an_unsaved_spec(admin_client_):
    spec = make_spec(formats=("1:1",))
    spec["formats"]["1:1"]["layers"][2]["box"] = [10, 10, 600, 300]  # leaves the safe zone
    response = admin_client_.post(PREVIEW_URL, json.dumps({"spec": json.dumps(spec)}), content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert [f["key"] for f in body["formats"]] == ["1:1", "4:5", "9:16", "16:9"]
    assert all(f["image"].startswith("data:image/webp;base64,") for f in body["formats"])
    assert body["formats"][1]["adapted"] is True
    assert body["formats"][1]["adapted_from"] == "1:1"
    assert any(w["path"] == "formats.1:1.layers[2].box" for w in body["warnings"])
    assert not AdTemplate.objects.exists()


def test_the_live_preview_lists_problems(admin_client_):
    spec = make_spec()
    spec["slots"]["headline"]["type"] = "video"
    body = admin_client_.post(
        PREVIEW_URL, json.dumps({"spec": json.dumps(spec)}), content_type="application/json"
    ).json()
    assert body["ok"] is False
    assert body["problems"][0]["path"] == "slots.headline.type"

    body = admin_client_.post(PREVIEW_URL, json.dumps({"spec": "{oops"}), content_type="application/json").json()
    assert body == {"ok": False, "problems": [{"path": "", "message": body["problems"][0]["message"]}]}
    assert body["problems"][0]["message"].startswith("Not valid JSON")


def test_the_live_preview_is_for_staff_who_may_edit_templates(client, user):
    payload = json.dumps({"spec": json.dumps(make_spec())})
    assert client.post(PREVIEW_URL, payload, content_type="application/json").status_code == 302  # to the admin login
    client.force_login(user)
    assert client.post(PREVIEW_URL, payload, content_type="application/json").status_code == 302
    staff_without_rights = UserFactory(is_staff=True)
    client.force_login(staff_without_rights)
    assert client.post(PREVIEW_URL, payload, content_type="application/json").status_code == 403
    staff_without_rights.user_permissions.add(Permission.objects.get(codename="change_adtemplate"))
    client.force_login(staff_without_rights)
    assert client.post(PREVIEW_URL, payload, content_type="application/json").status_code == 200
    assert client.get(PREVIEW_URL).status_code == 405


def test_bulk_actions_feature_activate_and_duplicate(admin_client_, staff_user):
    first = create_template(slug="first")
    second = create_template(slug="second", is_active=False)

    def act(action, *templates):
        return admin_client_.post(
            CHANGELIST, {"action": action, "_selected_action": [str(t.pk) for t in templates]}, follow=True
        )

    assert "2 template(s) featured." in act("feature", first, second).content.decode()
    assert "1 template(s) activated." in act("activate", first, second).content.decode()
    assert "2 template(s) deactivated." in act("deactivate", first, second).content.decode()
    assert "2 template(s) no longer featured." in act("unfeature", first, second).content.decode()
    response = act("duplicate", first)
    assert "first-copy" in response.content.decode()
    copy = AdTemplate.objects.get(slug="first-copy")
    assert copy.is_active is False
    assert AuditEvent.objects.filter(action="template.deactivated", actor=staff_user).count() == 2


def test_templates_and_categories_cannot_be_deleted(admin_client_):
    template = create_template()
    assert admin_client_.get(reverse("admin:templates_app_adtemplate_delete", args=[template.pk])).status_code == 403
    response = admin_client_.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [str(template.pk)]})
    assert AdTemplate.objects.filter(pk=template.pk).exists()
    assert response.status_code in (200, 302)
    changelist = admin_client_.get(CHANGELIST).content.decode()
    assert 'value="delete_selected"' not in changelist
    category = CategoryFactory()
    assert admin_client_.get(reverse("admin:templates_app_category_delete", args=[category.pk])).status_code == 403


# -- metrics import --------------------------------------------------------------------------------


def upload(text: str, name: str = "metrics.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_importing_good_metrics_saves_every_row_and_is_audited(admin_client_, staff_user):
    special = create_template(slug="daily-special")
    lunch = create_template(slug="lunch-deal")
    csv = (
        "template,date,impressions,clicks,ctr,conversion_rate,engagement_rate,spend\n"
        "daily-special,2026-01-01,1000,25,2.5%,0.01,3%,12.50\n"
        "daily-special,2026-01-02,3000,45,0.015,,,\n"
        f"{lunch.pk},2026-01-01,500,0,0,,,\n"
    )
    response = admin_client_.post(IMPORT_URL, {"file": upload(csv)}, follow=True)
    assert "Imported 3 row(s) for 2 template(s): 3 new, 0 replaced." in response.content.decode()
    assert AdMetric.objects.count() == 3
    row = AdMetric.objects.get(template=special, recorded_at__date="2026-01-01")
    assert (row.impressions, row.ctr, row.conversion_rate, row.engagement_rate) == (1000, 0.025, 0.01, 0.03)
    assert row.performance_data == {"clicks": 25, "spend": "12.50"}
    special.refresh_from_db()
    assert special.best_ctr == pytest.approx((25 + 45) / 4000)
    assert special.metric_impressions == 4000
    event = AuditEvent.objects.get(action="templates.metrics_imported")
    assert event.actor == staff_user
    assert event.details["rows"] == 3

    # The same file again replaces the rows: nothing doubles.
    response = admin_client_.post(IMPORT_URL, {"file": upload(csv)}, follow=True)
    assert "3 row(s) for 2 template(s): 0 new, 3 replaced." in response.content.decode()
    assert AdMetric.objects.count() == 3


def test_a_file_with_bad_rows_imports_nothing_and_names_each_row(admin_client_):
    create_template(slug="daily-special")
    csv = (
        "template,date,impressions,clicks,ctr\n"
        "daily-special,2026-01-01,1000,10,1%\n"  # good, but the file is refused as a whole
        "nope,2026-01-01,1000,,1%\n"
        "daily-special,01/02/2026,1000,,1%\n"
        "daily-special,2026-01-03,-5,,1%\n"
        "daily-special,2026-01-04,1000,,2.5\n"
        "daily-special,2026-01-05,100,200,1%\n"
        "daily-special,2026-01-01,1000,,1%\n"
        "daily-special,2026-01-06,1000,50,1%\n"
        "daily-special,2999-01-01,1000,,1%\n"
    )
    response = admin_client_.post(IMPORT_URL, {"file": upload(csv)})
    assert response.status_code == 400
    errors = dict(response.context["row_errors"])
    assert errors[3] == "There is no template “nope”."
    assert errors[4].startswith("date must look like 2026-03-31")
    assert errors[5].startswith("impressions must be a whole number")
    assert errors[6].startswith("ctr 2.5 is outside 0–100 %: write it as a fraction (0.025) or a percentage (2.5%)")
    assert errors[7] == "clicks (200) are more than impressions (100)."
    assert errors[8] == "Row 2 has the same template and date already."
    assert errors[9].startswith("ctr 1.00% does not match 50 clicks of 1000 impressions")
    assert errors[10] == "date 2999-01-01 is in the future."
    assert 2 not in errors
    html = response.content.decode()
    assert "8 problems found. Nothing was changed." in html
    assert AdMetric.objects.count() == 0
    assert not AuditEvent.objects.filter(action="templates.metrics_imported").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty."),
        ("template,date,impressions,ctr\n", "The file has a header but no rows."),
        ("template,date,ctr,colour\nx,2026-01-01,1%,red\n", "Unknown column: colour."),
        ("date,impressions,ctr\n2026-01-01,1,0\n", "Missing column: template."),
    ],
)
def test_a_malformed_file_is_refused_with_a_reason(admin_client_, text, message):
    response = admin_client_.post(IMPORT_URL, {"file": upload(text or "\n")})
    assert response.status_code == 400
    assert any(message in error for _, error in response.context["row_errors"])


def test_a_file_that_is_not_utf8_is_refused(staff_user):
    with pytest.raises(services.MetricsImportError) as refused:
        services.import_metrics_csv(file=upload("x").__class__("m.csv", b"\xff\xfe\x00t"), actor=staff_user)
    assert "not UTF-8" in refused.value.errors[0][1]


def test_only_staff_who_may_add_metrics_can_import(client, user):
    client.force_login(user)
    assert client.get(IMPORT_URL).status_code == 302
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_admetric"))
    client.force_login(staff)
    assert client.get(IMPORT_URL).status_code == 403
    changelist = client.get(reverse("admin:templates_app_admetric_changelist")).content.decode()
    assert "Import metrics from CSV" not in changelist
