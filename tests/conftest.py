"""Shared fixtures. The suite runs on whatever DATABASE_URL and REDIS_URL point at (see README)."""

import importlib
import io

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from PIL import Image

from tests.factories import PASSWORD, UserFactory
from tests.services import services_required


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    cache_backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    database = f"{db['ENGINE'].rsplit('.', 1)[-1]} ({db.get('HOST') or db.get('NAME')})"
    broker = settings.CELERY_BROKER_URL.split("://")[0]
    return [f"craftads: database={database}, cache={cache_backend}, broker={broker}"]


def pytest_collection_modifyitems(config, items):
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    # --- test runs (issue 10): a run that must have the services never skips the PostgreSQL tests ---
    if services_required() and not on_postgres and any("postgres" in item.keywords for item in items):
        raise pytest.UsageError("CRAFTADS_REQUIRE_SERVICES=1 but DATABASE_URL is not PostgreSQL")
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (the README's test command does)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# Rows the migrations seed. A test with real commits (transactional_db, live_server) ends with a
# flush that empties every table, these too; they are put back so later tests and the next
# --reuse-db run find the database as `migrate` left it.
SEEDING_MIGRATIONS = [
    ("accounts.migrations.0002_site_name", "name_site"),
    ("credits.migrations.0002_ledger_append_only_and_default_prices", "add_prices"),
    ("credits.migrations.0004_default_plans_and_packs", "seed"),
    ("generations.migrations.0002_seed_ai_providers", "seed_providers"),
    # Campaigns: the campaign_publish price.
    ("credits.migrations.0007_campaign_publish_price", "seed"),
]


def seed_database() -> None:
    for module, function in SEEDING_MIGRATIONS:
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture(autouse=True)
def _reseed_after_flush(request, django_db_blocker):
    # Autouse, so set up before (and torn down after) transactional_db and its flush.
    committing = "transactional_db" in request.fixturenames
    if committing:
        with django_db_blocker.unblock():
            seed_database()  # a run interrupted before its reseed may have left them out
    yield
    if committing:
        with django_db_blocker.unblock():
            seed_database()


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate limits and sessions live in the cache: no test inherits another's counters.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def auth_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client_(client, staff_user):
    client.force_login(staff_user)
    return client


def make_image_bytes(fmt: str = "PNG", size=(64, 48), colour=(46, 91, 255), mode="RGB", **save_kwargs) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour if mode != "1" else 1).save(buffer, format=fmt, **save_kwargs)
    return buffer.getvalue()


@pytest.fixture
def image_bytes():
    return make_image_bytes


@pytest.fixture
def database_vendor():
    return connection.vendor
