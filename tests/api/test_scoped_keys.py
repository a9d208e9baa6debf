"""Scoped API keys: read-only keys, keys limited to operation groups; refused with 403 and a code."""

import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiKey, ApiKeyAccess, ApiKeyGroup
from generations.models import Collection

pytestmark = pytest.mark.django_db


def keyed(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def make_key(user, **scope) -> str:
    _, full = services.create_api_key(user=user, name="scoped", **scope)
    return full


def test_a_read_only_key_reads_and_is_refused_writes(api_user):
    client = keyed(make_key(api_user, access=ApiKeyAccess.READ_ONLY))
    assert client.get("/api/v1/collections/").status_code == 200
    assert client.post("/api/v1/generations/price/", {"formats": ["1:1"]}, format="json").status_code == 200
    refused = client.post("/api/v1/collections/", {"name": "Nope"}, format="json")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "This API key is read-only.", "code": "key_read_only"}
    assert not Collection.objects.exists()


def test_a_key_limited_to_groups_reaches_only_those(api_user):
    client = keyed(make_key(api_user, groups=[ApiKeyGroup.LIBRARY]))
    assert client.get("/api/v1/assets/").status_code == 200
    assert client.post("/api/v1/collections/", {"name": "Mine"}, format="json").status_code == 201
    for method, path in (("get", "/api/v1/credits/"), ("post", "/api/v1/generations/price/"), ("get", "/api/v1/me/")):
        refused = getattr(client, method)(path, {"formats": ["1:1"]} if method == "post" else None, format="json")
        assert refused.status_code == 403, path
        assert refused.json() == {"detail": "This API key may only be used for: library.", "code": "key_scope"}


def test_the_schema_is_readable_with_any_key(api_user):
    client = keyed(make_key(api_user, access=ApiKeyAccess.READ_ONLY, groups=[ApiKeyGroup.BILLING]))
    assert client.get("/api/v1/schema/").status_code == 200


def test_unknown_groups_are_refused_when_creating_a_key(api_user):
    with pytest.raises(services.AccountError):
        services.create_api_key(user=api_user, name="x", groups=["everything"])
    assert not ApiKey.objects.filter(name="x").exists()


def test_the_keys_page_creates_a_scoped_key_and_shows_its_scope(client, api_user):
    client.force_login(api_user)
    response = client.post(
        "/settings/api-keys/", {"name": "Reporting", "access": "read_only", "groups": ["billing", "library"]}
    )
    assert response.status_code == 200
    key = ApiKey.objects.get(name="Reporting")
    assert key.access == ApiKeyAccess.READ_ONLY
    assert key.groups == ["library", "billing"]
    page = response.content.decode()
    assert "Read only: library, billing" in page
