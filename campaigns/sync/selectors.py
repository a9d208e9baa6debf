"""Reads of synced performance for pages and the API; every one filters by the requesting user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from campaigns.connections.models import MetaAdAccount
from campaigns.publishing.models import Campaign
from campaigns.sync.models import Breakdown, PerformanceRecord, SyncRun

PERIODS = (7, 14, 28, 90)
SUMS = ("impressions", "reach", "clicks", "inline_link_clicks", "spend", "conversions", "conversion_value")


@dataclass
class Totals:
    impressions: int = 0
    reach: int = 0
    clicks: int = 0
    inline_link_clicks: int = 0
    spend: Decimal = Decimal(0)
    conversions: int = 0
    conversion_value: Decimal = Decimal(0)

    @classmethod
    def of(cls, row: dict) -> Totals:
        return cls(**{name: row.get(name) or 0 for name in SUMS})

    @property
    def ctr(self) -> Decimal | None:
        return (Decimal(self.clicks) * 100 / self.impressions).quantize(Decimal("0.01")) if self.impressions else None

    @property
    def cpc(self) -> Decimal | None:
        return (Decimal(self.spend) / self.clicks).quantize(Decimal("0.01")) if self.clicks else None

    @property
    def cpm(self) -> Decimal | None:
        return (Decimal(self.spend) * 1000 / self.impressions).quantize(Decimal("0.01")) if self.impressions else None

    @property
    def cpa(self) -> Decimal | None:
        return (Decimal(self.spend) / self.conversions).quantize(Decimal("0.01")) if self.conversions else None

    @property
    def roas(self) -> Decimal | None:
        return (Decimal(self.conversion_value) / Decimal(self.spend)).quantize(Decimal("0.01")) if self.spend else None


def account_today(ad_account: MetaAdAccount | None) -> date:
    """Today in the ad account's time zone: the day Meta's numbers are counted in."""
    try:
        zone = ZoneInfo((ad_account.timezone_name if ad_account else "") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return timezone.now().astimezone(zone).date()


def ad_account_for_user(user, account_pk) -> MetaAdAccount:
    account = MetaAdAccount.objects.filter(pk=account_pk, connection__user=user).select_related("connection").first()
    if account is None:
        raise Http404("No such ad account.")
    return account


def records_for(user) -> QuerySet[PerformanceRecord]:
    return PerformanceRecord.objects.filter(ad_account__connection__user=user).select_related(
        "campaign_asset__generation__template"
    )


def sync_runs_for(user) -> QuerySet[SyncRun]:
    return SyncRun.objects.filter(user=user).select_related("ad_account").order_by("-created_at")


def ad_account_of_run(run_id) -> MetaAdAccount:
    return SyncRun.objects.select_related("ad_account__connection").get(pk=run_id).ad_account


def last_sync(ad_account: MetaAdAccount | None) -> SyncRun | None:
    if ad_account is None:
        return None
    return SyncRun.objects.filter(ad_account=ad_account).order_by("-created_at").first()


def _sum(queryset) -> dict:
    return queryset.aggregate(**{name: Sum(name) for name in SUMS})


def campaign_performance(*, campaign: Campaign, days: int, today: date) -> dict:
    """Totals against the previous period, per day, per ad, per placement and per age and gender."""
    first = today - timedelta(days=days - 1)
    rows = PerformanceRecord.objects.filter(campaign=campaign)
    placement = rows.filter(breakdown=Breakdown.PLACEMENT)
    current = placement.filter(date__gte=first, date__lte=today)
    previous = placement.filter(date__gte=first - timedelta(days=days), date__lt=first)
    per_day = {row["date"]: Totals.of(row) for row in current.values("date").annotate(**{n: Sum(n) for n in SUMS})}
    return {
        "first": first,
        "last": today,
        "totals": Totals.of(_sum(current)),
        "previous": Totals.of(_sum(previous)),
        "per_day": [(first + timedelta(days=n), per_day.get(first + timedelta(days=n), Totals())) for n in range(days)],
        "per_ad": [
            (row, Totals.of(row))
            for row in current.values(
                "meta_ad_id", "campaign_asset__ad_name", "campaign_asset__generation__template__name"
            )
            .annotate(**{n: Sum(n) for n in SUMS})
            .order_by("-spend")
        ],
        "per_placement": [
            (row, Totals.of(row))
            for row in current.values("publisher_platform", "platform_position")
            .annotate(**{n: Sum(n) for n in SUMS})
            .order_by("-impressions")
        ],
        "per_audience": [
            (row, Totals.of(row))
            for row in rows.filter(breakdown=Breakdown.DEMOGRAPHIC, date__gte=first, date__lte=today)
            .values("age", "gender")
            .annotate(**{n: Sum(n) for n in SUMS})
            .order_by("age", "gender")
        ],
    }
