"""IDOR matrix: every private landing-page route, page and API, answers 404 for another user's
object and changes nothing."""

import pytest
from rest_framework.test import APIClient

from campaigns.integrations import webhooks
from campaigns.integrations.models import SiteIntegration, WebhookDelivery
from campaigns.leads import services as lead_services
from campaigns.models import LandingPage, Lead, PageComponent, SavedComponent
from campaigns.pages import services


@pytest.fixture
def owned(user, published, settings):
    settings.SAFE_HTTP_ALLOW_LOOPBACK_FOR_TESTS = True
    component = published.components.get(component_type="hero")
    saved = services.save_to_library(component=component, name="Hero", is_public=False)
    form = next(c for c in published.published_version.components if c["type"] == "lead_form")
    lead = lead_services.submit_lead(
        page=published,
        data={"component": form["id"], "ts": lead_services.form_token(), "email": "a@example.com"},
        address="203.0.113.1",
    )
    endpoint = webhooks.create_endpoint(user=user, url="http://127.0.0.1:9/hook", events=["lead.created"])
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="lead.created", event_id="x", payload={})
    site = SiteIntegration.objects.create(
        user=user, name="Blog", site_url="http://127.0.0.1:9", username="u", app_password="p"
    )
    return {
        "page": published,
        "component": component,
        "saved": saved,
        "lead": lead,
        "endpoint": endpoint,
        "delivery": delivery,
        "site": site,
    }


def _snapshot():
    return (
        list(LandingPage.objects.values_list("pk", "name", "status", "draft_revision")),
        list(PageComponent.objects.order_by("pk").values_list("pk", "position", "props")),
        Lead.objects.count(),
        SavedComponent.objects.count(),
        WebhookDelivery.objects.count(),
    )


PAGE_ROUTES = [
    ("get", "/campaigns/pages/{page}/edit/"),
    ("get", "/campaigns/pages/{page}/preview/"),
    ("get", "/campaigns/pages/{page}/settings/"),
    ("post", "/campaigns/pages/{page}/settings/"),
    ("post", "/campaigns/pages/{page}/add/"),
    ("post", "/campaigns/pages/{page}/undo/"),
    ("post", "/campaigns/pages/{page}/upload/"),
    ("post", "/campaigns/pages/{page}/publish/"),
    ("post", "/campaigns/pages/{page}/unpublish/"),
    ("get", "/campaigns/pages/{page}/delete/"),
    ("post", "/campaigns/pages/{page}/delete/"),
    ("post", "/campaigns/components/{component}/update/"),
    ("post", "/campaigns/components/{component}/move/up/"),
    ("post", "/campaigns/components/{component}/remove/"),
    ("get", "/campaigns/components/{component}/save/"),
    ("post", "/campaigns/components/{component}/save/"),
    ("post", "/campaigns/library/{saved}/copy/"),
    ("post", "/campaigns/library/{saved}/update/"),
    ("get", "/campaigns/library/?page={page}"),
    ("get", "/campaigns/leads/?page={page}"),
    ("get", "/campaigns/leads/export.csv?page={page}"),
    ("post", "/campaigns/leads/{lead}/delete/"),
    ("post", "/campaigns/integrations/wordpress/{site}/publish/"),
    ("post", "/campaigns/integrations/wordpress/{site}/remove/"),
    ("post", "/campaigns/integrations/webhooks/{endpoint}/"),
    ("get", "/campaigns/integrations/webhooks/{endpoint}/deliveries/"),
    ("post", "/campaigns/integrations/deliveries/{delivery}/replay/"),
]

API_ROUTES = [
    ("get", "/api/v1/pages/{page}/"),
    ("patch", "/api/v1/pages/{page}/"),
    ("delete", "/api/v1/pages/{page}/"),
    ("post", "/api/v1/pages/{page}/components/"),
    ("put", "/api/v1/pages/{page}/components/"),
    ("delete", "/api/v1/pages/{page}/components/"),
    ("post", "/api/v1/pages/{page}/publish/"),
    ("post", "/api/v1/pages/{page}/unpublish/"),
    ("get", "/api/v1/pages/{page}/events/summary/"),
    ("get", "/api/v1/leads/{lead}/"),
    ("delete", "/api/v1/leads/{lead}/"),
    ("delete", "/api/v1/webhooks/{endpoint}/"),
    ("get", "/api/v1/webhooks/{endpoint}/deliveries/"),
    ("post", "/api/v1/webhooks/deliveries/{delivery}/replay/"),
]


def _url(template, owned):
    return template.format(**{key: value.pk for key, value in owned.items()})


@pytest.mark.parametrize(("method", "route"), PAGE_ROUTES)
def test_pages_answer_404_for_someone_elses_objects(client, other_user, owned, method, route):
    client.force_login(other_user)
    before = _snapshot()
    data = {"page": str(owned["page"].pk), "component_type": "hero", "name": "x", "headline": "x", "delete": "1"}
    response = getattr(client, method)(_url(route, owned), data if method == "post" else None)
    assert response.status_code == 404, route
    assert _snapshot() == before


@pytest.mark.parametrize(("method", "route"), API_ROUTES)
def test_api_answers_404_for_someone_elses_objects(other_user, owned, method, route):
    api = APIClient()
    api.force_authenticate(other_user)
    before = _snapshot()
    body = {"id": str(owned["component"].pk), "type": "hero", "props": {"headline": "x"}, "name": "x"}
    response = getattr(api, method)(_url(route, owned), body, format="json")
    assert response.status_code == 404, route
    assert _snapshot() == before


def test_the_owners_lists_do_not_show_others(client, other_user, owned):
    client.force_login(other_user)
    for url in ("/campaigns/pages/", "/campaigns/leads/", "/campaigns/library/", "/campaigns/integrations/"):
        body = client.get(url).content.decode()
        assert owned["page"].name not in body
        assert "a@example.com" not in body
    api = APIClient()
    api.force_authenticate(other_user)
    assert api.get("/api/v1/pages/").json() == []
    assert api.get("/api/v1/leads/").json() == []
    assert "a@example.com" not in api.get("/api/v1/leads/export/").content.decode()


def test_private_routes_need_sign_in(client, owned):
    for _method, route in PAGE_ROUTES[:3]:
        assert client.get(_url(route, owned)).status_code == 302
    assert APIClient().get("/api/v1/pages/").status_code in (401, 403)


def test_shared_library_components_are_copied_never_edited(client, other_user, owned):
    saved = owned["saved"]
    saved.is_public = True
    saved.save()
    mine = services.create_page(user=other_user, name="Mine")
    client.force_login(other_user)
    assert client.post(f"/campaigns/library/{saved.pk}/copy/", {"page": str(mine.pk)}).status_code == 302
    assert mine.components.get().component_type == "hero"
    assert client.post(f"/campaigns/library/{saved.pk}/update/", {"name": "stolen", "delete": "1"}).status_code == 404
    saved.refresh_from_db()
    assert saved.name == "Hero"
    assert saved.copies == 1
