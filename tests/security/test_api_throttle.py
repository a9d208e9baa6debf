"""Finding 7 (issue 11): the API throttle counts atomically and says where the client stands."""

import threading

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory


@pytest.fixture
def limit(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "30/hour"}}
    return 30


@pytest.mark.django_db
def test_every_api_answer_carries_ratelimit_headers_and_429_says_when_to_retry(limit):
    client = APIClient()
    client.force_authenticate(UserFactory())
    first = client.get("/api/v1/me/")
    assert first.status_code == 200
    assert first["RateLimit-Limit"] == "30"
    assert first["RateLimit-Remaining"] == "29"
    assert 1 <= int(first["RateLimit-Reset"]) <= 3600
    for _ in range(29):
        client.get("/api/v1/me/")
    refused = client.get("/api/v1/me/")
    assert refused.status_code == 429
    assert refused["RateLimit-Remaining"] == "0"
    assert 1 <= int(refused["Retry-After"]) <= 3600
    other = APIClient()
    other.force_authenticate(UserFactory())
    assert other.get("/api/v1/me/").status_code == 200  # counted per user


@pytest.mark.django_db(transaction=True)
def test_parallel_clients_get_exactly_the_limit(limit):
    user = UserFactory()
    statuses = []
    lock = threading.Lock()

    def worker():
        client = APIClient()
        client.force_authenticate(user)
        for _ in range(10):
            code = client.get("/api/v1/me/").status_code
            with lock:
                statuses.append(code)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == 80
    assert statuses.count(200) == limit
    assert statuses.count(429) == 80 - limit
