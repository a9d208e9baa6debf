"""The user's landing pages: visits, visitors and conversions per page, campaign, ad and source,
from the landing-page rollups only and always for the requesting user."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from analytics.models import PageDay, PageSourceDay
from analytics.reports import DateRange, Table
from campaigns.models import Campaign, CampaignAsset, LandingPage

COLUMNS = ["Views", "Visitors", "Conversions", "Conversion rate %"]


def _rate(conversions: int, visitors: int):
    if not visitors:
        return "–"
    return (Decimal(conversions) * 100 / visitors).quantize(Decimal("0.1"))


def _cells(row: dict) -> list:
    return [row["views"], row["visitors"], row["conversions"], _rate(row["conversions"], row["visitors"])]


def _ids(values) -> set[uuid.UUID]:
    out = set()
    for value in values:
        try:
            out.add(uuid.UUID(value))
        except (TypeError, ValueError):
            continue
    return out


def _totals(rows) -> dict:
    total = rows.aggregate(views=Sum("views"), visitors=Sum("visitors"), conversions=Sum("conversions"))
    return {k: v or 0 for k, v in total.items()}


def landing_page_report(*, user, period: DateRange) -> dict:
    previous = period.previous()
    days = PageDay.objects.filter(user=user, day__gte=period.first, day__lte=period.last)
    current = _totals(days)
    before = _totals(PageDay.objects.filter(user=user, day__gte=previous.first, day__lte=previous.last))
    if not any(current.values()):
        return {
            "has_page_data": False,
            "has_pages": LandingPage.objects.filter(user=user).exists(),
            "page_tables": [],
        }
    per_day: dict[date, dict] = defaultdict(lambda: {"views": 0, "visitors": 0, "conversions": 0})
    for row in days.values("day").annotate(v=Sum("views"), u=Sum("visitors"), c=Sum("conversions")).order_by():
        per_day[row["day"]] = {"views": row["v"], "visitors": row["u"], "conversions": row["c"]}
    per_page = list(
        days.values("page_id")
        .annotate(views=Sum("views"), visitors=Sum("visitors"), conversions=Sum("conversions"))
        .order_by("-visitors")
    )
    names = dict(
        LandingPage.objects.filter(user=user, pk__in=[r["page_id"] for r in per_page]).values_list("pk", "name")
    )
    sources = PageSourceDay.objects.filter(user=user, day__gte=period.first, day__lte=period.last)
    sums = {"views": Sum("views"), "visitors": Sum("visitors"), "conversions": Sum("conversions")}
    per_source = list(sources.values("source").annotate(**sums).order_by("-visitors"))
    per_campaign = list(sources.exclude(campaign_ref="").values("campaign_ref").annotate(**sums).order_by("-visitors"))
    per_ad = list(sources.exclude(ad_ref="").values("ad_ref").annotate(**sums).order_by("-visitors"))
    campaign_names = {
        str(pk): name
        for pk, name in Campaign.objects.filter(
            user=user, pk__in=_ids(r["campaign_ref"] for r in per_campaign)
        ).values_list("pk", "name")
    }
    ad_names = {
        str(pk): ad_name or headline or "Ad"
        for pk, ad_name, headline in CampaignAsset.objects.filter(
            campaign__user=user, pk__in=_ids(r["ad_ref"] for r in per_ad)
        ).values_list("pk", "ad_name", "headline")
    }
    tables = [
        Table(
            key="pages-per-day",
            title="Landing-page visitors per day",
            columns=["Day", *COLUMNS],
            rows=[
                [d.isoformat(), *_cells(per_day.get(d, {"views": 0, "visitors": 0, "conversions": 0}))]
                for d in period.each_day()
            ],
            chart_column=2,
        ),
        Table(
            key="pages-per-page",
            title="By page",
            columns=["Page", *COLUMNS],
            rows=[[names.get(r["page_id"], "Deleted page"), *_cells(r)] for r in per_page],
        ),
        Table(
            key="pages-per-source",
            title="By source (utm_source)",
            columns=["Source", *COLUMNS],
            rows=[[r["source"] or "(direct or none)", *_cells(r)] for r in per_source],
        ),
        Table(
            key="pages-per-campaign",
            title="By campaign",
            columns=["Campaign", *COLUMNS],
            rows=[[campaign_names.get(r["campaign_ref"], "Unknown campaign"), *_cells(r)] for r in per_campaign],
            empty="No visit in this period came from a CraftAds campaign's link.",
        ),
        Table(
            key="pages-per-ad",
            title="By ad",
            columns=["Ad", *COLUMNS],
            rows=[[ad_names.get(r["ad_ref"], "Unknown ad"), *_cells(r)] for r in per_ad],
            empty="No visit in this period came from a CraftAds ad's link.",
        ),
    ]
    summary = []
    for key, label in (("views", "Views"), ("visitors", "Visitors"), ("conversions", "Conversions")):
        change = ""
        if before[key]:
            change = f"{(current[key] - before[key]) * 100 / before[key]:+.0f} %"
        summary.append({"label": label, "value": current[key], "previous": before[key], "change": change})
    summary.append(
        {
            "label": "Conversion rate %",
            "value": _rate(current["conversions"], current["visitors"]),
            "previous": _rate(before["conversions"], before["visitors"]),
            "change": "",
        }
    )
    return {"has_page_data": True, "page_summary": summary, "page_tables": tables}
