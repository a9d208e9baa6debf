import pytest
from django.urls import reverse

from accounts import services
from accounts.models import ApiKey

pytestmark = pytest.mark.django_db

SIGNED_IN_PAGES = [
    "accounts:dashboard",
    "accounts:profile",
    "accounts:preferences",
    "accounts:brand",
    "accounts:business",
    "accounts:api_keys",
    "accounts:data",
    "accounts:delete_account",
    "templates_app:index",
    "generations:index",
    "credits:index",
    "campaigns:index",
    "analytics:index",
    "account_email",
    "account_change_password",
]


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_signed_in_pages_send_visitors_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_signed_in_pages_render_with_a_title(auth_client, name):
    response = auth_client.get(reverse(name))
    assert response.status_code == 200
    assert b"<title>" in response.content
    assert b'<main id="main"' in response.content


def test_dashboard_runs_a_constant_number_of_queries(auth_client, django_assert_max_num_queries):
    auth_client.get(reverse("accounts:dashboard"))
    with django_assert_max_num_queries(8):
        auth_client.get(reverse("accounts:dashboard"))


def test_revoking_another_users_key_answers_404_and_changes_nothing(auth_client, other_user):
    key, _ = services.create_api_key(user=other_user, name="theirs")
    response = auth_client.post(reverse("accounts:revoke_api_key", args=[key.pk]))
    assert response.status_code == 404
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None


def test_api_keys_page_lists_only_my_keys(auth_client, user, other_user):
    services.create_api_key(user=user, name="mine-key")
    services.create_api_key(user=other_user, name="their-key")
    body = auth_client.get(reverse("accounts:api_keys")).content.decode()
    assert "mine-key" in body
    assert "their-key" not in body


def test_creating_a_key_shows_it_once(auth_client, user):
    response = auth_client.post(reverse("accounts:api_keys"), {"name": "Reporting"})
    key = ApiKey.objects.get(user=user)
    body = response.content.decode()
    assert f"ca_{key.prefix}_" in body
    assert "not shown again" in body
    again = auth_client.get(reverse("accounts:api_keys")).content.decode()
    assert "not shown again" not in again


def test_non_staff_cannot_open_the_admin(auth_client):
    response = auth_client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_landing_page_is_public_and_says_what_the_product_does(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert b"finished ads" in response.content
    assert b"Create a free account" in response.content
