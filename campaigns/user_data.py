"""What landing pages keep about a user, for "download my data" and "delete my account": pages with
their drafts and versions, the library, leads and conversions, integrations and webhooks (secrets
left out), and every page image file so deleting the account removes them from storage."""

from campaigns.models import (
    Conversion,
    LandingPage,
    Lead,
    PageHandle,
    PageVersion,
    SavedComponent,
    SiteIntegration,
    WebhookDelivery,
    WebhookEndpoint,
)
from craftplatform import user_data


def _iso(value):
    return value.isoformat() if value else None


def export_landing_pages(user) -> dict:
    handle = PageHandle.objects.filter(user=user).values_list("handle", flat=True).first()
    pages = LandingPage.objects.filter(user=user).prefetch_related("components").order_by("created_at")
    versions = PageVersion.objects.filter(page__user=user).order_by("page_id", "number")
    return {
        "handle": handle,
        "pages": [
            {
                "id": str(p.pk),
                "name": p.name,
                "slug": p.slug,
                "title": p.title,
                "description": p.description,
                "status": p.status,
                "conversion_type": p.conversion_type,
                "conversion_value": str(p.conversion_value),
                "currency": p.currency,
                "lead_retention_days": p.lead_retention_days,
                "created_at": _iso(p.created_at),
                "components": [
                    {"id": str(c.pk), "type": c.component_type, "props": c.props} for c in p.components.all()
                ],
            }
            for p in pages
        ],
        "versions": [
            {"page": str(v.page_id), "number": v.number, "components": v.components, "created_at": _iso(v.created_at)}
            for v in versions
        ],
        "library": [
            {"name": s.name, "type": s.component_type, "props": s.props, "tags": s.tags, "shared": s.is_public}
            for s in SavedComponent.objects.filter(user=user).order_by("created_at")
        ],
        "leads": [
            {
                "id": str(lead.pk),
                "page": str(lead.page_id),
                "created_at": _iso(lead.created_at),
                "name": lead.name,
                "email": lead.email,
                "phone": lead.phone,
                "message": lead.message,
                "custom_fields": lead.custom_fields,
            }
            for lead in Lead.objects.filter(user=user).order_by("created_at")
        ],
        "conversions": [
            {
                "lead": str(c.lead_id) if c.lead_id else None,
                "page": str(c.page_id),
                "type": c.conversion_type,
                "value": str(c.value),
                "currency": c.currency,
                "utm_source": c.utm_source,
                "utm_medium": c.utm_medium,
                "utm_campaign": c.utm_campaign,
                "utm_content": c.utm_content,
                "utm_term": c.utm_term,
                "fbclid": c.fbclid,
                "created_at": _iso(c.created_at),
            }
            for c in Conversion.objects.filter(user=user).order_by("created_at")
        ],
        "wordpress_sites": [
            {"name": s.name, "site_url": s.site_url, "username": s.username, "status": s.status}
            for s in SiteIntegration.objects.filter(user=user)
        ],
        "webhooks": [
            {
                "url": e.url,
                "events": e.events,
                "active": e.is_active,
                "deliveries": WebhookDelivery.objects.filter(endpoint=e).count(),
            }
            for e in WebhookEndpoint.objects.filter(user=user)
        ],
    }


def page_files(user) -> list[str]:
    names = set()
    for images in PageVersion.objects.filter(page__user=user).values_list("images", flat=True):
        for image in (images or {}).values():
            names.update(size["name"] for size in image.get("sizes", []))
    return sorted(names)


user_data.register("landing_pages", export=export_landing_pages, files=page_files)
