"""The customise page, its live preview and price, the progress panel and the JSON status."""

import pytest
from django.urls import reverse

from credits import services as credit_services
from credits.models import CreditAccount
from generations.models import Generation, GenerationStatus
from generations.services import generation as generation_services
from tests.factories import PASSWORD, UserFactory
from tests.templates_app.factories import create_template, make_spec


@pytest.fixture
def template(db):
    return create_template(spec=make_spec(formats=("1:1", "9:16")))


@pytest.fixture
def user(db):
    user = UserFactory()
    credit_services.get_or_open_account(user=user)
    return user


@pytest.fixture
def signed_in(client, user):
    client.login(email=user.email, password=PASSWORD)
    return client


def form_data(**changes):
    data = {
        "formats": ["1:1", "9:16"],
        "count": "1",
        "output_format": "png",
        "quality": "90",
        "text_headline": "Autumn sale",
        "text_body": "Everything 30% off",
        "text_cta": "Shop now",
        "color_accent": "#FF5A5F",
        "request_key": "form-key-1",
        "preview_format": "1:1",
    }
    data.update(changes)
    return data


def test_the_page_shows_the_slots_with_their_limits_and_the_price(signed_in, template):
    response = signed_in.get(reverse("generations:customise", args=[template.slug]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="text_headline"' in page
    assert 'data-char-limit="40"' in page
    assert "maxlength" not in page  # the browser must not cut pasted text silently
    assert 'name="image_logo"' in page
    assert 'type="color"' in page
    # Four formats by default at one credit each, shown before confirming.
    assert 'data-testid="price-total">4 credits' in page
    assert "AI copy is not available on this site yet." in page  # said to users in their words
    assert "OPENAI" not in page  # operator instructions are for staff


def test_generating_redirects_to_the_generation_page_and_charges_the_price(
    signed_in, user, template, django_capture_on_commit_callbacks
):
    before = CreditAccount.objects.get(user=user).balance
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(reverse("generations:customise", args=[template.slug]), form_data())
    generation = Generation.objects.get(user=user)
    assert response.status_code == 302
    assert response["Location"] == reverse("generations:detail", args=[generation.pk])
    generation.refresh_from_db()
    assert generation.status == GenerationStatus.COMPLETED
    assert CreditAccount.objects.get(user=user).balance == before - 2


def test_a_text_over_its_limit_is_shown_beside_the_field_and_nothing_is_created(signed_in, user, template):
    response = signed_in.post(reverse("generations:customise", args=[template.slug]), form_data(text_headline="x" * 41))
    assert response.status_code == 400
    assert "at most 40 characters" in response.content.decode()
    assert not Generation.objects.exists()


def test_not_enough_credits_says_so_with_a_link_to_buy(signed_in, user, template):
    account = CreditAccount.objects.get(user=user)
    credit_services.spend_credits(user=user, amount=account.balance - 1, reference_type="test", reference_id="x")
    response = signed_in.post(reverse("generations:customise", args=[template.slug]), form_data())
    assert response.status_code == 402
    page = response.content.decode()
    assert "This needs 2 credits and you have 1 available." in page
    assert reverse("credits:packs") in page
    assert not Generation.objects.exists()


def test_the_live_preview_renders_the_chosen_format_and_refreshes_the_price(signed_in, template):
    response = signed_in.post(
        reverse("generations:preview", args=[template.slug]),
        form_data(preview_format="9:16", formats=["1:1"]),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'src="data:image/webp;base64,' in page
    assert 'hx-swap-oob="true"' in page
    assert 'data-testid="price-total">1 credit<' in page
    assert not Generation.objects.exists()


def test_the_status_endpoint_and_progress_panel_follow_the_job(
    signed_in, user, template, django_capture_on_commit_callbacks
):
    signed_in.post(reverse("generations:customise", args=[template.slug]), form_data())
    generation = Generation.objects.get(user=user)  # on-commit not run: still queued
    status = signed_in.get(reverse("generations:status", args=[generation.pk])).json()
    assert status["status"] == "queued"
    assert status["queue_position"] == 1
    assert status["progress"] == {"1:1": "queued", "9:16": "queued"}
    panel = signed_in.get(reverse("generations:progress", args=[generation.pk]), HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in panel.content.decode()

    generation_services.run_generation(generation_id=generation.pk)
    status = signed_in.get(reverse("generations:status", args=[generation.pk])).json()
    assert status["status"] == "completed"
    assert status["formats_done"] == 2
    assert status["credits_used"] == 2
    assert sorted(asset["format"] for asset in status["assets"]) == ["1:1", "9:16"]
    panel = signed_in.get(reverse("generations:progress", args=[generation.pk]), HTTP_HX_REQUEST="true")
    assert panel["HX-Refresh"] == "true"
    assert "every 1s" not in panel.content.decode()


def test_another_users_generation_answers_404(client, user, template):
    [generation] = generation_services.request_generation(
        user=user,
        request=generation_services.GenerationRequest(template_id=template.pk, formats=["1:1"]),
    )
    other = UserFactory()
    client.login(email=other.email, password=PASSWORD)
    for name in ("status", "progress"):
        assert client.get(reverse(f"generations:{name}", args=[generation.pk])).status_code == 404
    assert client.post(reverse("generations:variation", args=[generation.pk]), {"kind": "palette"}).status_code == 404


def test_the_api_prices_requests_and_follows_a_generation(
    signed_in, user, template, django_capture_on_commit_callbacks
):
    price = signed_in.post(
        "/api/v1/generations/price/", {"formats": ["1:1", "9:16"], "count": 2}, content_type="application/json"
    ).json()
    assert price["total"] == 4
    assert price["allowed"] is True
    assert [line["operation"] for line in price["lines"]] == ["generate_format", "variation"]

    body = {"template": template.slug, "formats": ["1:1"], "texts": {"headline": "API sale"}, "request_key": "api-1"}
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post("/api/v1/generations/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    [created] = response.json()
    again = signed_in.post("/api/v1/generations/", body, content_type="application/json")
    assert [row["id"] for row in again.json()] == [created["id"]]
    status = signed_in.get(f"/api/v1/generations/{created['id']}/status/").json()
    assert status["status"] == "completed"
    assert status["credits_used"] == 1

    variation = signed_in.post(
        f"/api/v1/generations/{created['id']}/variations/", {"kind": "palette"}, content_type="application/json"
    )
    assert variation.status_code == 201


def test_the_api_refuses_bad_requests_and_missing_credits_and_creates_nothing(signed_in, user, template):
    bad = signed_in.post(
        "/api/v1/generations/",
        {"template": template.slug, "formats": ["1:1"], "texts": {"headline": "x" * 41}},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "text_headline" in bad.json()["errors"]
    unknown = signed_in.post(
        "/api/v1/generations/", {"template": "no-such-template", "formats": ["1:1"]}, content_type="application/json"
    )
    assert unknown.status_code == 400
    account = CreditAccount.objects.get(user=user)
    credit_services.spend_credits(user=user, amount=account.balance, reference_type="test", reference_id="x")
    broke = signed_in.post(
        "/api/v1/generations/", {"template": template.slug, "formats": ["1:1"]}, content_type="application/json"
    )
    assert broke.status_code == 402
    assert "credits" in broke.json()["detail"]
    assert not Generation.objects.exists()


def test_another_users_generation_status_answers_404_in_the_api(client, user, template):
    [generation] = generation_services.request_generation(
        user=user,
        request=generation_services.GenerationRequest(template_id=template.pk, formats=["1:1"]),
    )
    other = UserFactory()
    client.login(email=other.email, password=PASSWORD)
    assert client.get(f"/api/v1/generations/{generation.pk}/status/").status_code == 404
    assert (
        client.post(
            f"/api/v1/generations/{generation.pk}/variations/", {"kind": "palette"}, content_type="application/json"
        ).status_code
        == 404
    )


def test_the_generation_page_lists_the_texts_in_reading_order(
    signed_in, user, template, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(reverse("generations:customise", args=[template.slug]), form_data())
    generation = Generation.objects.get(user=user)
    page = signed_in.get(reverse("generations:detail", args=[generation.pk])).content.decode()
    # headline (top), body, then the button: as the form shows them, whatever order jsonb keeps.
    assert page.index("Autumn sale") < page.index("Everything 30% off") < page.index("Shop now")
