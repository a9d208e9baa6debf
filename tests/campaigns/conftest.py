import pytest

from campaigns.pages import services


@pytest.fixture
def page(user):
    return services.create_page(user=user, name="Spring offer", slug="spring", starting_point="lead_capture")


@pytest.fixture
def published(page, user):
    services.publish_page(page=page, by=user)
    page.refresh_from_db()
    return page
