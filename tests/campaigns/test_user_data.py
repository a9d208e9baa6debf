"""Landing pages in "download my data" and account deletion."""

from django.core.files.storage import default_storage

from campaigns.integrations import webhooks
from campaigns.leads import services as lead_services
from campaigns.models import LandingPage, Lead, PageVersion
from campaigns.pages import services
from craftplatform.user_data import export_user_data, user_file_names
from tests.generations.factories import AssetFactory


def test_export_has_pages_versions_leads_and_no_secrets(user, published, settings):
    settings.SAFE_HTTP_ALLOW_LOOPBACK_FOR_TESTS = True
    form = next(c for c in published.published_version.components if c["type"] == "lead_form")
    lead_services.submit_lead(
        page=published,
        data={"component": form["id"], "ts": lead_services.form_token(), "email": "v@example.com"},
        address="203.0.113.1",
    )
    endpoint = webhooks.create_endpoint(user=user, url="http://127.0.0.1:9/h", events=["lead.created"])
    section = export_user_data(user)["sections"]["landing_pages"]
    assert section["pages"][0]["slug"] == "spring"
    assert section["versions"][0]["number"] == 1
    assert section["leads"][0]["email"] == "v@example.com"
    assert section["webhooks"][0]["url"] == "http://127.0.0.1:9/h"
    assert endpoint.secret not in str(section)


def test_page_images_are_listed_for_account_deletion(user, page):
    asset = AssetFactory(user=user, size=(600, 400))
    hero = page.components.get(component_type="hero")
    services.update_component(component=hero, props={**hero.props, "image": str(asset.pk)})
    version = services.publish_page(page=page)
    names = [size["name"] for size in version.images[str(asset.pk)]["sizes"]]
    assert all(default_storage.exists(name) for name in names)
    assert set(names) <= set(user_file_names(user))
    user.delete()
    assert LandingPage.objects.count() == 0
    assert PageVersion.objects.count() == 0
    assert Lead.objects.count() == 0
