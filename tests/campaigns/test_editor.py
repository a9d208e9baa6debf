"""The editor pages: create from a starting point, edit with htmx, reorder, undo, preview, publish."""

import pytest

from campaigns.models import LandingPage, PageComponent
from campaigns.pages import public_cache, services


def test_pages_list_and_new_page_from_starting_point(auth_client, user):
    assert auth_client.get("/campaigns/pages/").status_code == 200
    response = auth_client.post("/campaigns/pages/new/", {"name": "Summer", "slug": "", "starting_point": "offer"})
    page = LandingPage.objects.get(user=user)
    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/pages/{page.pk}/edit/"
    assert page.slug == "summer"
    assert page.components.count() == 6
    editor = auth_client.get(response["Location"])
    assert editor.status_code == 200
    assert b'id="preview-frame"' in editor.content
    assert b'data-device="phone"' in editor.content


def test_reserved_slug_is_a_clear_error(auth_client, user):
    response = auth_client.post("/campaigns/pages/new/", {"name": "Admin", "slug": "admin", "starting_point": ""})
    assert response.status_code == 400
    assert "is reserved" in response.content.decode()
    assert LandingPage.objects.count() == 0


def test_htmx_update_returns_the_panel_and_refreshes_the_preview(auth_client, page):
    hero = page.components.get(component_type="hero")
    response = auth_client.post(
        f"/campaigns/components/{hero.pk}/update/",
        {
            "headline": "Fresh bread daily",
            "subheadline": "",
            "cta_label": "Order",
            "cta_url": "#form",
            "align": "center",
            "image": "",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "preview-refresh"
    assert b"<html" not in response.content  # the panel only
    hero.refresh_from_db()
    assert hero.props["headline"] == "Fresh bread daily"
    preview = auth_client.get(f"/campaigns/pages/{page.pk}/preview/")
    assert b"Fresh bread daily" in preview.content
    assert preview["X-Frame-Options"] == "SAMEORIGIN"


def test_script_in_a_field_is_refused_beside_the_field(auth_client, page):
    hero = page.components.get(component_type="hero")
    before = dict(hero.props)
    response = auth_client.post(
        f"/campaigns/components/{hero.pk}/update/",
        {"headline": "<script>alert(1)</script>", "cta_url": "#form", "align": "left"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert "HTML and scripts are not allowed" in response.content.decode()
    assert "&lt;script&gt;" in response.content.decode()  # what was typed, escaped
    hero.refresh_from_db()
    assert hero.props == before


def test_list_items_are_edited_one_per_line(auth_client, page):
    features = page.components.get(component_type="features")
    auth_client.post(
        f"/campaigns/components/{features.pk}/update/",
        {"heading": "Why us", "items": "Fast | Same-day delivery\nLocal\n"},
    )
    features.refresh_from_db()
    assert features.props["items"] == [{"title": "Fast", "text": "Same-day delivery"}, {"title": "Local", "text": ""}]


def test_add_reorder_remove_undo(auth_client, page):
    auth_client.post(f"/campaigns/pages/{page.pk}/add/", {"component_type": "testimonials"})
    types = lambda: list(page.components.values_list("component_type", flat=True))  # noqa: E731
    assert types()[-1] == "testimonials"
    added = page.components.get(component_type="testimonials")
    auth_client.post(f"/campaigns/components/{added.pk}/move/up/")
    assert types()[-2:] == ["testimonials", "footer"]
    auth_client.post(f"/campaigns/components/{added.pk}/remove/")
    assert "testimonials" not in types()
    auth_client.post(f"/campaigns/pages/{page.pk}/undo/")
    assert types()[-2:] == ["testimonials", "footer"]
    response = auth_client.post(f"/campaigns/pages/{page.pk}/add/", {"component_type": "marquee"})
    assert response.status_code == 302
    assert "marquee" not in types()


def test_publish_and_unpublish_from_the_editor(auth_client, page, client):
    auth_client.post(f"/campaigns/pages/{page.pk}/publish/")
    page.refresh_from_db()
    assert page.status == "published"
    url = f"/p/{page.user.page_handle.handle}/{page.slug}/"
    assert client.get(url).status_code == 200
    auth_client.post(f"/campaigns/pages/{page.pk}/unpublish/")
    assert client.get(url).status_code == 410


def test_settings_validate_and_change_nothing_on_error(auth_client, page):
    response = auth_client.post(
        f"/campaigns/pages/{page.pk}/settings/",
        {
            "name": "Spring",
            "slug": "spring",
            "currency": "euro",
            "conversion_value": "5",
            "conversion_type": "lead",
            "lead_retention_days": "30",
        },
    )
    assert response.status_code == 400
    assert "three-letter currency" in response.content.decode()
    page.refresh_from_db()
    assert (page.currency, page.lead_retention_days) == ("USD", 365)


@pytest.mark.parametrize("start", ["lead_capture", "offer", "event_signup", "app_download", "local_business"])
def test_every_starting_point_publishes(user, start, client):
    page = services.create_page(user=user, name=start, starting_point=start)
    services.publish_page(page=page)
    public_cache.forget(user.page_handle.handle, page.slug)
    response = client.get(f"/p/{user.page_handle.handle}/{page.slug}/")
    assert response.status_code == 200
    assert len(response.content) < 50_000
    assert PageComponent.objects.filter(page=page).count() >= 5
