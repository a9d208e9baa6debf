import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts import services
from accounts.models import BrandProfile
from tests.conftest import make_image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_needs_authentication():
    response = APIClient().get("/api/v1/me/")
    assert response.status_code in (401, 403)


def test_me_reads_and_updates_the_profile(api, user):
    assert api.get("/api/v1/me/").json()["email"] == user.email
    response = api.patch("/api/v1/me/", {"first_name": "Grace"}, format="json")
    assert response.status_code == 200
    assert response.json()["first_name"] == "Grace"
    user.refresh_from_db()
    assert user.first_name == "Grace"


def test_brand_kit_patch_validates_and_changes_nothing_on_error(api, user):
    before = BrandProfile.objects.get(user=user).color_palette
    response = api.patch("/api/v1/me/brand-kit/", {"name": "X", "palette": {"primary": "blue"}}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"] == {"palette.primary": ["Not in the expected form."]}
    brand = BrandProfile.objects.get(user=user)
    assert brand.color_palette == before
    assert brand.name == ""

    response = api.patch(
        "/api/v1/me/brand-kit/",
        {"name": "Nova", "palette": {"primary": "#112233"}, "typography": {"heading_font": "Oswald"}},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Nova"
    assert body["palette"]["primary"] == "#112233"
    assert body["typography"]["heading_font"] == "Oswald"


def test_logo_upload_through_the_api(api, user):
    response = api.put(
        "/api/v1/me/brand-kit/logo/", {"logo": SimpleUploadedFile("x.png", make_image_bytes())}, format="multipart"
    )
    assert response.status_code == 200
    assert response.json()["logo_url"].startswith("/media/brand-logos/")
    bad = api.put("/api/v1/me/brand-kit/logo/", {"logo": SimpleUploadedFile("x.png", b"nope")}, format="multipart")
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_image"
    assert "not a PNG" in bad.json()["errors"]["logo"][0]
    assert api.delete("/api/v1/me/brand-kit/logo/").json()["logo_url"] is None


def test_preferences_and_business_profile(api, user):
    response = api.patch("/api/v1/me/preferences/", {"timezone": "Europe/Paris"}, format="json")
    assert response.status_code == 200
    assert response.json()["timezone"] == "Europe/Paris"
    assert api.patch("/api/v1/me/preferences/", {"timezone": "Mars/Base"}, format="json").status_code == 400

    response = api.patch("/api/v1/me/business-profile/", {"industry": "fitness"}, format="json")
    assert response.status_code == 200
    assert response.json()["industry"] == "fitness"
    assert api.patch("/api/v1/me/business-profile/", {"industry": "piracy"}, format="json").status_code == 400


def test_export_through_the_api(api, user):
    response = api.post("/api/v1/me/export/")
    assert response.status_code == 200
    assert response.json()["sections"]["account"]["profile"]["email"] == user.email


def test_api_key_authenticates_and_stops_working_once_revoked(user):
    key, raw = services.create_api_key(user=user, name="script")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me/").json()["email"] == user.email
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert raw not in str(key.key_hash)

    services.revoke_api_key(key=key, actor=user)
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_wrong_api_key_is_refused(user):
    _, raw = services.create_api_key(user=user, name="script")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw[:-2]}xx")
    assert client.get("/api/v1/me/").status_code == 401


def test_openapi_schema_is_served(api):
    response = api.get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/me/brand-kit/" in response.content
