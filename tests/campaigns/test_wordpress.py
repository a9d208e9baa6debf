"""Publishing to WordPress against a local fake WordPress REST server."""

import pytest
from django.db import connection

from campaigns.integrations import wordpress
from campaigns.integrations.models import SiteIntegration, SitePublication
from campaigns.pages import services
from tests.fakes.wordpress_server import FakeWordPress
from tests.generations.factories import AssetFactory


@pytest.fixture
def wp():
    with FakeWordPress() as fake:
        yield fake


def _connect(user, wp, password=None):
    return wordpress.connect_site(
        user=user, name="Blog", site_url=wp.base_url, username="editor", app_password=password or wp.app_password
    )


def test_connect_stores_the_password_encrypted(user, wp):
    site = _connect(user, wp)
    assert SiteIntegration.objects.get().app_password == wp.app_password
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT app_password FROM campaigns_siteintegration WHERE id = %s",
            [site.pk.hex if connection.vendor == "sqlite" else site.pk],
        )
        stored = cursor.fetchone()[0]
    assert wp.app_password not in stored


def test_wrong_password_is_a_clear_error_and_nothing_is_stored(user, wp):
    with pytest.raises(wordpress.WordPressError, match="refused the user name or application password"):
        _connect(user, wp, password="wrong")
    assert SiteIntegration.objects.count() == 0


def test_publish_then_republish_updates_the_same_wordpress_page(user, wp, page):
    asset = AssetFactory(user=user, size=(800, 600))
    hero = page.components.get(component_type="hero")
    services.update_component(component=hero, props={**hero.props, "image": str(asset.pk)})
    services.publish_page(page=page, by=user)
    page.refresh_from_db()
    site = _connect(user, wp)
    publication = wordpress.publish_to_wordpress(integration=site, page=page)
    assert list(wp.pages) == [int(publication.remote_id)]
    content = wp.pages[int(publication.remote_id)]["content"]
    assert "Get your free guide today" in content
    assert len(wp.media) == 1
    media = next(iter(wp.media.values()))
    assert media["mime_type"] == "image/webp"
    assert media["source_url"] in content

    hero.refresh_from_db()
    services.update_component(component=hero, props={**hero.props, "headline": "Second edition"})
    services.publish_page(page=page, by=user)
    page.refresh_from_db()
    again = wordpress.publish_to_wordpress(integration=site, page=page)
    assert again.remote_id == publication.remote_id
    assert len(wp.pages) == 1  # updated, not duplicated
    assert len(wp.media) == 1  # the image was not uploaded twice
    assert "Second edition" in wp.pages[int(again.remote_id)]["content"]
    assert SitePublication.objects.get().version_number == 2


def test_a_failed_publish_creates_nothing_and_says_why(user, wp, published):
    site = _connect(user, wp)
    wp.fail_next_page_write = 1
    with pytest.raises(wordpress.WordPressError, match="WordPress answered 500"):
        wordpress.publish_to_wordpress(integration=site, page=published)
    assert SitePublication.objects.count() == 0
    site.refresh_from_db()
    assert site.status == "error"
    wordpress.publish_to_wordpress(integration=site, page=published)
    assert len(wp.pages) == 1


def test_private_site_addresses_are_refused(user, settings):
    settings.SAFE_HTTP_ALLOW_LOOPBACK_FOR_TESTS = False
    for url in ("http://127.0.0.1:8080", "http://10.0.0.2", "http://169.254.169.254", "http://[::1]/"):
        with pytest.raises(wordpress.WordPressError):
            wordpress.connect_site(user=user, name="x", site_url=url, username="u", app_password="p")
    assert SiteIntegration.objects.count() == 0


def test_redirect_to_a_private_address_is_refused(user, wp):
    wp.redirect_to = "http://169.254.169.254/latest/meta-data/"
    with pytest.raises(wordpress.WordPressError, match="cannot be used"):
        _connect(user, wp)
