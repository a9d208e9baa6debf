"""Publishing a landing page to a WordPress site through its REST API (application passwords).

The site's address is checked like every user-given URL (craftplatform.safe_http: no private or
loopback addresses, no redirects to them). Publishing uploads the page's images to the media
library (once each: their ids are remembered), then creates a WordPress page, or updates the one
created before, with the page's HTML rendered from the same published version the CraftAds
address serves (WordPress applies its own theme and filters around it). The remote page id is
stored as soon as WordPress answers, so a failure later never creates a second page.
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from campaigns.integrations.models import IntegrationStatus, SiteIntegration, SitePublication
from campaigns.pages import rendering
from campaigns.pages.models import LandingPage
from craftplatform import safe_http
from craftplatform.errors import DomainError

logger = logging.getLogger(__name__)


class WordPressError(DomainError):
    default_message = "WordPress did not accept the request."


def _api(site_url: str, path: str) -> str:
    return urljoin(site_url.rstrip("/") + "/", "wp-json/wp/v2/" + path.lstrip("/"))


def _call(integration: SiteIntegration, method: str, path: str, **kwargs) -> dict:
    try:
        response = safe_http.request(
            method, _api(integration.site_url, path), auth=(integration.username, integration.app_password), **kwargs
        )
    except (safe_http.UnsafeURL, safe_http.FetchError) as exc:
        raise WordPressError(exc.message) from None
    if response.status_code in (401, 403):
        raise WordPressError("WordPress refused the user name or application password.")
    if response.status_code >= 400:
        try:
            message = response.json().get("message", "")
        except ValueError:
            message = ""
        raise WordPressError(f"WordPress answered {response.status_code}{': ' + message[:200] if message else ''}.")
    try:
        return response.json()
    except ValueError:
        raise WordPressError("WordPress's answer could not be read (is this a WordPress site?).") from None


def connect_site(*, user, name: str, site_url: str, username: str, app_password: str) -> SiteIntegration:
    name = " ".join((name or "").split())[:120] or site_url
    site_url = (site_url or "").strip()
    if not username or not app_password:
        raise WordPressError("Enter the WordPress user name and an application password.")
    try:
        safe_http.check_url(site_url)
    except safe_http.UnsafeURL as exc:
        raise WordPressError(exc.message) from None
    probe = SiteIntegration(
        user=user, name=name, site_url=site_url, username=username.strip(), app_password=app_password.strip()
    )
    me = _call(probe, "GET", "users/me?context=edit")
    if not isinstance(me, dict) or "id" not in me:
        raise WordPressError("The site did not answer like WordPress.")
    probe.last_synced_at = timezone.now()
    probe.save()
    return probe


def _upload_media(integration: SiteIntegration, name: str) -> dict:
    with default_storage.open(name, "rb") as handle:
        data = handle.read()
    filename = name.rsplit("/", 1)[-1]
    media = _call(
        integration,
        "POST",
        "media",
        content=data,
        headers={"Content-Type": "image/webp", "Content-Disposition": f'attachment; filename="{filename}"'},
    )
    return {"id": media.get("id"), "url": media.get("source_url", "")}


def publish_to_wordpress(*, integration: SiteIntegration, page: LandingPage) -> SitePublication:
    version = page.published_version
    if version is None or page.status != "published":
        raise WordPressError("Publish the page on CraftAds first: WordPress gets the published version.")
    publication = SitePublication.objects.filter(integration=integration, page=page).first()
    media = dict(publication.media) if publication else {}
    try:
        remote_images = {}
        for key, image in version.images.items():
            sizes = image.get("sizes") or []
            if not sizes:
                continue
            largest = sizes[-1]["name"]
            if largest not in media:
                media[largest] = _upload_media(integration, largest)
            remote_images[key] = {
                "sizes": [{"w": sizes[-1]["w"], "h": sizes[-1]["h"], "url": media[largest]["url"]}],
                "width": image["width"],
                "height": image["height"],
            }
        components = rendering.build_components(
            version.components,
            {},
            draft_urls={
                key: {"src": value["sizes"][0]["url"], "srcset": "", "width": value["width"], "height": value["height"]}
                for key, value in remote_images.items()
            },
        )
        content = render_to_string(
            "campaigns/integrations/wordpress_page.html",
            {
                "components": components,
                "page": page,
                "version": version,
                "public_url": rendering_public_url(page),
            },
        )
        body = {"title": version.title or page.name, "content": content, "status": "publish", "slug": page.slug}
        if publication:
            answer = _call(integration, "POST", f"pages/{publication.remote_id}", json=body)
        else:
            answer = _call(integration, "POST", "pages", json=body)
    except WordPressError as exc:
        SiteIntegration.objects.filter(pk=integration.pk).update(
            status=IntegrationStatus.ERROR, last_error=exc.message[:500]
        )
        if publication and media != publication.media:
            SitePublication.objects.filter(pk=publication.pk).update(media=media)
        raise
    with transaction.atomic():
        publication, _ = SitePublication.objects.update_or_create(
            integration=integration,
            page=page,
            defaults={
                "remote_id": str(answer["id"]),
                "remote_url": answer.get("link", "")[:1000],
                "version_number": version.number,
                "media": media,
            },
        )
        SiteIntegration.objects.filter(pk=integration.pk).update(
            status=IntegrationStatus.CONNECTED, last_error="", last_synced_at=timezone.now()
        )
    return publication


def rendering_public_url(page: LandingPage) -> str:
    handle = getattr(getattr(page.user, "page_handle", None), "handle", "")
    return f"{settings.SITE_URL}/p/{handle}/{page.slug}/"
