"""Idempotency-Key on API POSTs that create or cost something."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.idempotency import purge_old_records
from accounts.models import IdempotencyRecord
from credits.models import CreditAccount
from generations.models import Collection, Generation

URL = "/api/v1/generations/"


def keyed(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.mark.django_db
def test_the_same_key_and_body_replays_the_first_answer(api_user, api_key, api_template):
    client = keyed(api_key)
    body = {"template": api_template.slug, "formats": ["1:1"]}
    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="order-42")
    balance = CreditAccount.objects.get(user=api_user).balance
    again = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="order-42")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Generation.objects.count() == 1
    assert CreditAccount.objects.get(user=api_user).balance == balance


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_a_conflict(api_user, api_key, api_template):
    client = keyed(api_key)
    client.post(URL, {"template": api_template.slug, "formats": ["1:1"]}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    other = client.post(
        URL, {"template": api_template.slug, "formats": ["9:16"]}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert other.status_code == 409
    assert other.json() == {
        "detail": "This Idempotency-Key was already used with a different request.",
        "code": "idempotency_key_reused",
    }
    assert Generation.objects.count() == 1


@pytest.mark.django_db
def test_a_refused_request_does_not_keep_its_key(api_key, api_template):
    client = keyed(api_key)
    refused = client.post(
        URL, {"template": "no-such-template", "formats": ["1:1"]}, format="json", HTTP_IDEMPOTENCY_KEY="k2"
    )
    assert refused.status_code == 400
    assert not IdempotencyRecord.objects.exists()
    fixed = client.post(
        URL, {"template": api_template.slug, "formats": ["1:1"]}, format="json", HTTP_IDEMPOTENCY_KEY="k2"
    )
    assert fixed.status_code == 201


@pytest.mark.django_db
def test_keys_belong_to_their_user(api_key, api_template, other_user):
    _, theirs = services.create_api_key(user=other_user, name="theirs")
    body = {"name": "Launch"}
    assert (
        keyed(api_key).post("/api/v1/collections/", body, format="json", HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    )
    assert (
        keyed(theirs).post("/api/v1/collections/", body, format="json", HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    )
    assert Collection.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["", " ", "x" * 256])
def test_a_bad_key_is_refused(api_key, header):
    response = keyed(api_key).post("/api/v1/collections/", {"name": "A"}, format="json", HTTP_IDEMPOTENCY_KEY=header)
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"
    assert not Collection.objects.exists()


@pytest.mark.postgres
def test_concurrent_requests_with_one_key_make_one_generation(api_user, api_key, api_template):
    body = {"template": api_template.slug, "formats": ["1:1", "9:16"]}
    barrier = threading.Barrier(6)
    answers = []

    def post():
        try:
            barrier.wait()
            response = keyed(api_key).post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="burst")
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Generation.objects.count() == 1
    assert len(answers) == 6
    statuses = sorted(status for status, _ in answers)
    # One made it; the others waited for it and replayed its answer.
    assert statuses == [201] * 6, answers
    assert len({json.dumps(body, sort_keys=True) for _, body in answers}) == 1
    assert IdempotencyRecord.objects.get().status_code == 201


@pytest.mark.django_db
def test_records_older_than_a_day_are_purged(api_user):
    old = IdempotencyRecord.objects.create(user=api_user, key="old", fingerprint="f", method="POST", path="/x/")
    fresh = IdempotencyRecord.objects.create(user=api_user, key="new", fingerprint="f", method="POST", path="/x/")
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_old_records() == 1
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [fresh.pk]
