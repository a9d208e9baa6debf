from django.db.models import Count, QuerySet, Sum
from django.shortcuts import get_object_or_404

from campaigns.leads.models import Conversion, Lead


def leads_for_user(*, user, page_id=None) -> QuerySet[Lead]:
    rows = Lead.objects.filter(user=user).select_related("page", "conversion")
    if page_id:
        rows = rows.filter(page_id=page_id)
    return rows.order_by("-created_at")


def get_lead_for_user(*, user, lead_id) -> Lead:
    return get_object_or_404(Lead.objects.select_related("page", "conversion"), pk=lead_id, user=user)


def conversions_by_campaign(*, user, page_id=None) -> list[dict]:
    rows = Conversion.objects.filter(user=user)
    if page_id:
        rows = rows.filter(page_id=page_id)
    return list(
        rows.values("utm_campaign", "utm_source", "campaign_ref", "ad_ref", "creative_ref")
        .annotate(conversions=Count("pk"), value=Sum("value"))
        .order_by("-conversions")[:50]
    )
