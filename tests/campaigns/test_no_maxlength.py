"""Text fields of the pages forms carry no maxlength: a browser would cut pasted text silently
(issue 12, item 10). The limit travels as data-char-limit (the counter in static/js/app.js) and the
server refuses an overlong value with a message, keeping what was typed."""

from campaigns.leads import services as lead_services
from campaigns.models import LandingPage, Lead


def _no_maxlength(response):
    assert response.status_code in (200, 400)
    assert "maxlength" not in response.content.decode().lower()


def test_page_forms_carry_no_maxlength_but_a_counter(auth_client, page):
    hero = page.components.get(component_type="hero")
    for url in (
        "/campaigns/pages/new/",
        "/campaigns/pages/handle/",
        f"/campaigns/pages/{page.pk}/settings/",
        f"/campaigns/pages/{page.pk}/edit/",
        f"/campaigns/components/{hero.pk}/save/",
    ):
        response = auth_client.get(url)
        _no_maxlength(response)
        assert "data-char-limit=" in response.content.decode(), url


def test_an_overlong_page_name_is_refused_with_a_message_and_kept_whole(auth_client, page):
    name = "Spring " * 30  # 210 characters, over the 120 allowed
    response = auth_client.post(
        f"/campaigns/pages/{page.pk}/settings/",
        {
            "name": name,
            "slug": "spring",
            "currency": "USD",
            "conversion_value": "5",
            "conversion_type": "lead",
            "lead_retention_days": "30",
        },
    )
    assert response.status_code == 400
    assert "at most 120 characters" in response.content.decode()
    page.refresh_from_db()
    assert page.name == "Spring offer"
    assert LandingPage.objects.count() == 1


def test_public_lead_form_carries_no_maxlength_and_keeps_an_overlong_value(client, published):
    url = f"/p/{published.user.page_handle.handle}/{published.slug}/"
    _no_maxlength(client.get(url))
    form = next(c for c in published.published_version.components if c["type"] == "lead_form")
    name = "Ada " * 60  # 240 characters, over the 200 allowed
    response = client.post(
        f"{url}submit/",
        {
            "component": form["id"],
            "ts": lead_services.form_token(),
            "website": "",
            "name": name,
            "email": "ada@example.com",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "maxlength" not in body.lower()
    assert Lead.objects.count() == 0
    assert "At most 200 characters." in body
    assert f'value="{name}"' in body  # shown back whole, to be shortened
