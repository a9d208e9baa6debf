"""Recompute the ad-performance and landing-page rollups of one day from the raw rows, idempotently.

Ad performance: `PerformanceRecord` rows of one day of their ad account (Meta's day), per ad from
the placement breakdown (every impression once) and per breakdown value over all of an account's
ads. Meta restates the last 28 days, so the hourly task recomputes that whole window for them
(`ANALYTICS_PERFORMANCE_RECOMPUTE_DAYS`).

Landing pages: page events and conversions on one day of the page owner's time zone, per page and
per source (utm_source) with the CraftAds campaign and ad the visit's address named. Visitors are
distinct visitor hashes among a day's views (the hash is per site and day, so a visitor is counted
once a day; a range shows the sum of daily visitors).
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q, Sum

from accounts.models import UserPreference
from analytics.models import AdBreakdownDay, AdDay, PageDay, PageEvent, PageEventType, PageSourceDay
from analytics.services import rollups_sql
from analytics.services.days import Bounds, local_bounds, zone_for
from campaigns.leads import attribution
from campaigns.models import Breakdown, Conversion, PerformanceRecord

AD_SUMS = ("impressions", "reach", "clicks", "inline_link_clicks", "spend", "conversions", "conversion_value")
BATCH = 5000


def recompute_performance_day(day: date) -> dict[str, int]:
    """Replace the ad rollups of `day` (callers hold the transaction)."""
    # One day of every account, through the (date, breakdown) index.
    records = PerformanceRecord.objects.filter(breakdown__in=[Breakdown.PLACEMENT, Breakdown.DEMOGRAPHIC], date=day)
    if rollups_sql.in_database():
        return {"ad_days": rollups_sql.ad_days(day=day), "ad_breakdowns": rollups_sql.ad_breakdown_days(day=day)}
    return {
        "ad_days": _ad_days(day, records.filter(breakdown=Breakdown.PLACEMENT)),
        "ad_breakdowns": _ad_breakdown_days(day, records),
    }


def _ad_breakdown_days(day: date, records) -> int:
    """Per ad account and breakdown value (the path for databases other than PostgreSQL)."""
    sums = {name: Sum(name) for name in AD_SUMS}
    breakdowns = (
        records.values(
            "ad_account_id",
            "ad_account__connection__user_id",
            "currency",
            "breakdown",
            "publisher_platform",
            "platform_position",
            "age",
            "gender",
        )
        .annotate(**sums)
        .order_by()
    )
    merged: dict[tuple, AdBreakdownDay] = {}
    for row in breakdowns:
        placement = row["breakdown"] == Breakdown.PLACEMENT
        first, second = (
            (row["publisher_platform"], row["platform_position"]) if placement else (row["age"], row["gender"])
        )
        key = (row["ad_account_id"], row["breakdown"], first, second)
        if key in merged:
            for name in AD_SUMS:
                setattr(merged[key], name, getattr(merged[key], name) + row[name])
            continue
        merged[key] = AdBreakdownDay(
            day=day,
            user_id=row["ad_account__connection__user_id"],
            ad_account_id=row["ad_account_id"],
            currency=row["currency"].upper(),
            breakdown=row["breakdown"],
            first=first,
            second=second,
            **{name: row[name] for name in AD_SUMS},
        )
    AdBreakdownDay.objects.filter(day=day).delete()
    AdBreakdownDay.objects.bulk_create(merged.values(), batch_size=BATCH)
    return len(merged)


def _ad_days(day: date, placements) -> int:
    """One row per ad and day from the placement rows (the path for databases other than PostgreSQL)."""
    sums = {name: Sum(name) for name in AD_SUMS}
    per_ad: dict[tuple, dict] = {}
    for row in (
        placements.values(
            "ad_account_id",
            "ad_account__connection__user_id",
            "currency",
            "meta_ad_id",
            "meta_campaign_id",
            "campaign_id",
            "campaign_asset_id",
        )
        .annotate(**sums)
        .order_by()
    ):
        key = (row["ad_account_id"], row["meta_ad_id"])
        entry = per_ad.get(key)
        if entry is None:
            per_ad[key] = row
            continue
        # Rows of one ad stored before and after its campaign was linked: one ad, one row.
        for name in AD_SUMS:
            entry[name] += row[name]
        for name in ("campaign_id", "campaign_asset_id", "meta_campaign_id"):
            entry[name] = entry[name] or row[name]
    AdDay.objects.filter(day=day).delete()
    AdDay.objects.bulk_create(
        (
            AdDay(
                day=day,
                user_id=row["ad_account__connection__user_id"],
                ad_account_id=row["ad_account_id"],
                currency=row["currency"].upper(),
                meta_ad_id=row["meta_ad_id"],
                meta_campaign_id=row["meta_campaign_id"],
                campaign_id=row["campaign_id"],
                campaign_asset_id=row["campaign_asset_id"],
                **{name: row[name] for name in AD_SUMS},
            )
            for row in per_ad.values()
        ),
        batch_size=BATCH,
    )
    return len(per_ad)


def _owner_zones() -> list[tuple[object, Q, Q]]:
    """(zone, who for events, who for conversions): one pass per time zone in use, never a list of ids."""
    names = set(UserPreference.objects.values_list("timezone", flat=True).distinct())
    zones = [
        (zone_for(name), Q(page__user__preferences__timezone=name), Q(user__preferences__timezone=name))
        for name in names
    ]
    zones.append(
        (zone_for("UTC"), Q(page__user__preferences__isnull=True), Q(user__preferences__isnull=True)),
    )
    return zones


def _refs(row: dict) -> tuple[str, str]:
    found = attribution.from_params(row)
    return found["campaign_ref"], found["ad_ref"]


def recompute_pages_day(day: date) -> dict[str, int]:
    """Replace the landing-page rollups of `day` of each owner's time zone (callers hold the transaction)."""
    pages: dict[object, PageDay] = {}
    sources: dict[tuple, dict] = {}
    for zone, events_of, conversions_of in _owner_zones():
        bounds: Bounds = local_bounds(day, zone)
        events = PageEvent.objects.filter(events_of, occurred_at__gte=bounds.start, occurred_at__lt=bounds.end)
        views = Q(event_type=PageEventType.VIEW)
        for row in (
            events.values("page_id", "page__user_id")
            .annotate(
                views=Count("id", filter=views),
                visitors=Count("visitor_hash", filter=views, distinct=True),
                clicks=Count("id", filter=Q(event_type=PageEventType.CLICK)),
                submits=Count("id", filter=Q(event_type=PageEventType.SUBMIT)),
            )
            .order_by()
        ):
            pages[row["page_id"]] = PageDay(
                day=day,
                page_id=row["page_id"],
                user_id=row["page__user_id"],
                views=row["views"],
                visitors=row["visitors"],
                clicks=row["clicks"],
                submits=row["submits"],
            )
        # Views per visitor and address: the CraftAds ids are parsed from the UTM values here, the
        # same way leads are attributed, and visitors are counted once per source, campaign and ad.
        for row in (
            events.filter(views)
            .values("page_id", "page__user_id", "utm_source", "utm_campaign", "utm_content", "utm_term", "visitor_hash")
            .annotate(n=Count("id"))
            .order_by()
        ):
            key = (row["page_id"], row["utm_source"], *_refs(row))
            entry = sources.setdefault(
                key, {"user_id": row["page__user_id"], "views": 0, "visitors": set(), "conversions": 0}
            )
            entry["views"] += row["n"]
            entry["visitors"].add(row["visitor_hash"])
        conversions = Conversion.objects.filter(conversions_of, created_at__gte=bounds.start, created_at__lt=bounds.end)
        for row in (
            conversions.values("page_id", "user_id", "utm_source", "campaign_ref", "ad_ref")
            .annotate(n=Count("id"))
            .order_by()
        ):
            page = pages.get(row["page_id"])
            if page is None:
                page = pages[row["page_id"]] = PageDay(day=day, page_id=row["page_id"], user_id=row["user_id"])
            page.conversions += row["n"]
            key = (row["page_id"], row["utm_source"], row["campaign_ref"], row["ad_ref"])
            entry = sources.setdefault(
                key, {"user_id": row["user_id"], "views": 0, "visitors": set(), "conversions": 0}
            )
            entry["conversions"] += row["n"]
    PageDay.objects.filter(day=day).delete()
    PageDay.objects.bulk_create(pages.values(), batch_size=BATCH)
    PageSourceDay.objects.filter(day=day).delete()
    PageSourceDay.objects.bulk_create(
        (
            PageSourceDay(
                day=day,
                page_id=page_id,
                user_id=entry["user_id"],
                source=source,
                campaign_ref=campaign_ref,
                ad_ref=ad_ref,
                views=entry["views"],
                visitors=len(entry["visitors"]),
                conversions=entry["conversions"],
            )
            for (page_id, source, campaign_ref, ad_ref), entry in sources.items()
        ),
        batch_size=BATCH,
    )
    return {"page_days": len(pages), "page_sources": len(sources)}
