"""One error body everywhere, pages with bounds, and a schema that documents every answer."""

import pytest
from rest_framework.test import APIClient

from craftplatform.api_errors import ERROR_CODES

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(api_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}")
    return client


def test_pages_are_bounded_and_a_page_after_the_last_is_empty(client):
    for page in ("0", "-1", "x", "2147483648"):
        response = client.get("/api/v1/assets/", {"page": page})
        assert response.status_code == 400, page
        assert response.json()["code"] == "invalid"
        assert "page" in response.json()["errors"]
    empty = client.get("/api/v1/assets/", {"page": "2147483647"})
    assert empty.status_code == 200
    assert empty.json()["results"] == []


def test_every_refusal_has_detail_and_code(client):
    answers = {
        "unknown path": client.get("/api/v1/no-such-thing/"),
        "not an id": client.get("/api/v1/assets/not-a-uuid/"),
        "bad query": client.get("/api/v1/assets/", {"favorites": "yes"}),
        "wrong type": client.patch("/api/v1/me/", {"first_name": 7}, format="json"),
        "NUL": client.patch("/api/v1/me/", {"first_name": "a\x00b"}, format="json"),
        "not JSON": client.generic("POST", "/api/v1/collections/", "{", content_type="application/json"),
        "media type": client.generic("POST", "/api/v1/collections/", "name=x", content_type="text/plain"),
        "no key": APIClient().get("/api/v1/me/"),
    }
    expected = {
        "unknown path": (404, "not_found"),
        "not an id": (404, "not_found"),
        "bad query": (400, "invalid"),
        "wrong type": (400, "invalid"),
        "NUL": (400, "invalid"),
        "not JSON": (400, "parse_error"),
        "media type": (415, "unsupported_media_type"),
        "no key": (401, "not_authenticated"),
    }
    for name, response in answers.items():
        body = response.json()
        assert (response.status_code, body["code"]) == expected[name], (name, body)
        assert body["detail"], name
        assert body["code"] in ERROR_CODES, name


def test_the_schema_documents_every_answer(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    assert "code" in schema["components"]["schemas"]["Error"]["required"]
    post = schema["paths"]["/api/v1/generations/"]["post"]
    assert set(post["responses"]) == {"201", "202", "400", "401", "402", "403", "409", "413", "415", "429"}
    assert {p["name"] for p in post["parameters"]} == {"wait", "Idempotency-Key"}
    wait = next(p for p in post["parameters"] if p["name"] == "wait")["schema"]
    assert (wait["minimum"], wait["maximum"]) == (0, 30)
    assert set(post["responses"]["429"]["headers"]) >= {"Retry-After", "RateLimit-Remaining"}
    upload = schema["paths"]["/api/v1/images/"]["post"]
    assert upload["requestBody"]["content"]["multipart/form-data"]["encoding"]["file"]["contentType"] == (
        "image/png, image/jpeg, image/webp"
    )
    assert "10485760 bytes" in upload["description"]
    assert "40000000 pixels" in upload["description"]
    checkout = schema["paths"]["/api/v1/credits/packs/{package_id}/checkout/"]["post"]
    assert "billing_off" in checkout["responses"]["409"]["content"]["application/json"]["examples"]
    assert "API quick start" in schema["info"]["description"]
