"""Fixtures for API tests that go over real HTTP to a live server with an API key."""

import pytest
from rest_framework.throttling import UserRateThrottle

from accounts import services as account_services
from credits import services as credit_services
from credits.constants import TransactionType
from tests.factories import UserFactory
from tests.templates_app.factories import create_template, make_spec


@pytest.fixture
def generous_throttle(settings, monkeypatch):
    """Fuzzing sends thousands of requests in a minute: the API's hourly limit would answer 429 to most."""
    rates = {**settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}), "user": "1000000/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates, raising=False)


@pytest.fixture
def api_user(transactional_db):
    user = UserFactory(email="api-user@example.com")
    credit_services.get_or_open_account(user=user)
    credit_services.grant_credits(
        user=user, amount=500, type=TransactionType.ADMIN_ADJUSTMENT, idempotency_key=f"api-tests-{user.pk}"
    )
    return user


@pytest.fixture
def api_key(api_user):
    _, full_key = account_services.create_api_key(user=api_user, name="tests")
    return full_key


@pytest.fixture
def api_template(transactional_db):
    return create_template(name="Spring sale", slug="spring-sale", spec=make_spec(formats=("1:1", "9:16")))
