"""The REST API for pages, leads, the events summary and webhooks."""

from rest_framework.test import APIClient

from campaigns.models import LandingPage


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_page_crud_components_and_publish(user, client):
    api = _api(user)
    created = api.post("/api/v1/pages/", {"name": "Launch", "starting_point": "app_download"}, format="json")
    assert created.status_code == 201
    page_id = created.json()["id"]
    assert [c["type"] for c in created.json()["components"]][:2] == ["header", "hero"]
    bad = api.post(
        f"/api/v1/pages/{page_id}/components/",
        {"type": "hero", "props": {"headline": "<script>x</script>"}},
        format="json",
    )
    assert bad.status_code == 400
    assert "HTML and scripts are not allowed" in bad.json()["errors"]["headline"][0]
    unknown = api.post(
        f"/api/v1/pages/{page_id}/components/", {"type": "hero", "props": {"colour": "red"}}, format="json"
    )
    assert unknown.json()["errors"] == {"colour": ["unknown property for a hero component"]}
    added = api.post(
        f"/api/v1/pages/{page_id}/components/",
        {"type": "faq", "props": {"items": [{"question": "Q?", "answer": "A."}]}},
        format="json",
    )
    assert added.status_code == 201
    assert added.json()["components"][-1]["type"] == "faq"
    published = api.post(f"/api/v1/pages/{page_id}/publish/")
    assert published.json()["published_version"] == 1
    assert client.get(published.json()["public_url"]).status_code == 200
    patched = api.patch(f"/api/v1/pages/{page_id}/", {"currency": "eur", "conversion_value": "12.50"}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["currency"], patched.json()["conversion_value"]) == ("EUR", "12.50")
    refused = api.patch(f"/api/v1/pages/{page_id}/", {"currency": "euro", "slug": "admin"}, format="json")
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"currency", "slug"}
    assert api.get(f"/api/v1/pages/{page_id}/").json()["currency"] == "EUR"
    assert api.delete(f"/api/v1/pages/{page_id}/").status_code == 204
    assert LandingPage.objects.count() == 0


def test_events_summary_and_leads(user, published):
    api = _api(user)
    summary = api.get(f"/api/v1/pages/{published.pk}/events/summary/").json()
    assert summary["views"] == 0
    assert summary["leads"] == 0
    assert api.get("/api/v1/leads/").json() == []
    export = api.get("/api/v1/leads/export/")
    assert export["Content-Type"].startswith("text/csv")


def test_webhook_secret_is_returned_once(user, settings):
    settings.SAFE_HTTP_ALLOW_LOOPBACK_FOR_TESTS = True
    api = _api(user)
    created = api.post("/api/v1/webhooks/", {"url": "http://127.0.0.1:9/h", "events": ["lead.created"]}, format="json")
    assert created.status_code == 201
    assert created.json()["secret"].startswith("whsec_")
    assert "secret" not in api.get("/api/v1/webhooks/").json()[0]
    refused = api.post("/api/v1/webhooks/", {"url": "http://127.0.0.1:9/h", "events": ["page.deleted"]}, format="json")
    assert refused.status_code == 400
