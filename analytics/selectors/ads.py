"""The user's ad performance, read from the ad rollups only and always for the requesting user.

Figures are grouped by currency: an ad account's numbers stay in its currency and two currencies are
never added together. Days are the ad accounts' days, as Meta counts them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.urls import reverse

from analytics.models import AdBreakdownDay, AdDay
from analytics.reports import DateRange, Table
from campaigns.models import Breakdown, Campaign, CampaignAsset, MetaConnection
from campaigns.sync.selectors import Totals
from generations.models import Asset, AssetKind

SUMS = ("impressions", "reach", "clicks", "inline_link_clicks", "spend", "conversions", "conversion_value")
METRIC_COLUMNS = ["Spend", "Impressions", "Reach", "Clicks", "CTR %", "CPC", "CPM", "Conversions", "CPA", "ROAS"]
# Below this many impressions a creative's rates say little; the ranking marks them.
SMALL_SAMPLE = 1000
HEADLINE = (
    ("spend", "Spend"),
    ("impressions", "Impressions"),
    ("reach", "Reach"),
    ("clicks", "Clicks"),
    ("ctr", "CTR %"),
    ("cpc", "CPC"),
    ("cpm", "CPM"),
    ("conversions", "Conversions"),
    ("cpa", "CPA"),
    ("roas", "ROAS"),
)
# For these a fall is good news; a change of spend is neither good nor bad in itself.
LOWER_IS_BETTER = {"cpc", "cpm", "cpa"}
NEUTRAL = {"spend"}


def _cell(value) -> object:
    return "–" if value is None else value


def metric_cells(totals: Totals) -> list:
    return [
        totals.spend,
        totals.impressions,
        totals.reach,
        totals.clicks,
        _cell(totals.ctr),
        _cell(totals.cpc),
        _cell(totals.cpm),
        totals.conversions,
        _cell(totals.cpa),
        _cell(totals.roas),
    ]


def _change(current, previous) -> str:
    if current is None or previous in (None, 0):
        return ""
    percent = (Decimal(current) - Decimal(previous)) / Decimal(previous) * 100
    return f"{percent:+.0f} %"


@dataclass
class Headline:
    key: str
    label: str
    value: object
    previous: object
    change: str
    better: bool | None


@dataclass
class Creative:
    asset_id: str
    name: str
    template: str
    formats: str
    thumbnail_url: str | None
    totals: Totals
    small_sample: bool


@dataclass
class CurrencyReport:
    currency: str
    headline: list[Headline]
    tables: list[Table] = field(default_factory=list)
    creatives: list[Creative] = field(default_factory=list)


def _sums():
    return {name: Sum(name) for name in SUMS}


def _headline(current: Totals, previous: Totals) -> list[Headline]:
    out = []
    for key, label in HEADLINE:
        now, before = getattr(current, key), getattr(previous, key)
        change = _change(now, before)
        better = None
        if change and now != before and key not in NEUTRAL:
            better = (now < before) if key in LOWER_IS_BETTER else (now > before)
        out.append(Headline(key, label, _cell(now), _cell(before), change, better))
    return out


def ad_performance_report(*, user, period: DateRange) -> dict:
    previous = period.previous()
    rows = AdDay.objects.filter(user=user, day__gte=period.first, day__lte=period.last)
    per_day: dict[str, dict[date, Totals]] = {}
    for row in rows.values("currency", "day").annotate(**_sums()).order_by():
        per_day.setdefault(row["currency"], {})[row["day"]] = Totals.of(row)
    before = {
        row["currency"]: Totals.of(row)
        for row in AdDay.objects.filter(user=user, day__gte=previous.first, day__lte=previous.last)
        .values("currency")
        .annotate(**_sums())
        .order_by()
    }
    if not per_day:
        return _empty(user=user)

    campaigns = list(rows.values("currency", "campaign_id", "meta_campaign_id").annotate(**_sums()).order_by("-spend"))
    ads = list(
        rows.values("currency", "meta_ad_id", "campaign_asset_id", "campaign_id").annotate(**_sums()).order_by("-spend")
    )
    breakdowns = list(
        AdBreakdownDay.objects.filter(user=user, day__gte=period.first, day__lte=period.last)
        .values("currency", "breakdown", "first", "second")
        .annotate(**_sums())
        .order_by("breakdown", "first", "second")
    )
    campaign_names = dict(
        Campaign.objects.filter(
            user=user, pk__in={r["campaign_id"] for r in campaigns if r["campaign_id"]}
        ).values_list("pk", "name")
    )
    asset_ids = {r["campaign_asset_id"] for r in ads if r["campaign_asset_id"]}
    assets = {
        a.pk: a
        for a in CampaignAsset.objects.filter(campaign__user=user, pk__in=asset_ids).select_related(
            "generation__template"
        )
    }
    thumbnails: dict[object, object] = {}
    for generation_id, asset_pk in (
        Asset.objects.filter(generation_id__in={a.generation_id for a in assets.values()}, kind=AssetKind.RESULT)
        .order_by("generation_id", "format_key")
        .values_list("generation_id", "pk")
    ):
        thumbnails.setdefault(generation_id, asset_pk)

    reports = []
    for currency in sorted(per_day):
        days = per_day[currency]
        current = _total(days.values())
        report = CurrencyReport(currency=currency, headline=_headline(current, before.get(currency, Totals())))
        suffix = currency.lower()
        report.tables.append(
            Table(
                key=f"ads-per-day-{suffix}",
                title=f"Ad performance per day ({currency})",
                columns=["Day", *METRIC_COLUMNS],
                rows=[[d.isoformat(), *metric_cells(days.get(d, Totals()))] for d in period.each_day()],
                chart_column=1,
            )
        )
        report.tables.append(
            Table(
                key=f"ads-per-campaign-{suffix}",
                title=f"By campaign ({currency})",
                columns=["Campaign", *METRIC_COLUMNS],
                rows=[
                    [
                        campaign_names.get(r["campaign_id"]) or f"Meta campaign {r['meta_campaign_id']}",
                        *metric_cells(Totals.of(r)),
                    ]
                    for r in campaigns
                    if r["currency"] == currency
                ],
            )
        )
        report.tables.append(
            Table(
                key=f"ads-per-ad-{suffix}",
                title=f"By ad ({currency})",
                columns=["Ad", "Campaign", *METRIC_COLUMNS],
                rows=[
                    [
                        _ad_name(assets.get(r["campaign_asset_id"]), r["meta_ad_id"]),
                        campaign_names.get(r["campaign_id"], ""),
                        *metric_cells(Totals.of(r)),
                    ]
                    for r in ads
                    if r["currency"] == currency
                ],
            )
        )
        for breakdown, key, title, columns in (
            (Breakdown.PLACEMENT, "placement", "By platform and placement", ["Platform", "Placement"]),
            (Breakdown.DEMOGRAPHIC, "audience", "By age and gender", ["Age", "Gender"]),
        ):
            report.tables.append(
                Table(
                    key=f"ads-per-{key}-{suffix}",
                    title=f"{title} ({currency})",
                    columns=[*columns, *METRIC_COLUMNS],
                    rows=[
                        [r["first"] or "unknown", r["second"] or "unknown", *metric_cells(Totals.of(r))]
                        for r in breakdowns
                        if r["currency"] == currency and r["breakdown"] == breakdown
                    ],
                    empty="Meta reported no breakdown for this period.",
                )
            )
        report.creatives = _creatives(
            [r for r in ads if r["currency"] == currency and r["campaign_asset_id"] in assets], assets, thumbnails
        )
        report.tables.append(
            Table(
                key=f"creatives-ranked-{suffix}",
                title=f"Creatives ranked by CTR ({currency})",
                columns=[
                    "Creative",
                    "Template",
                    "Formats",
                    "Sample (impressions)",
                    "Clicks",
                    "CTR %",
                    "CPC",
                    "Conversions",
                    "CPA",
                    "ROAS",
                    "Spend",
                ],
                rows=[
                    [
                        c.name,
                        c.template,
                        c.formats,
                        c.totals.impressions,
                        c.totals.clicks,
                        _cell(c.totals.ctr),
                        _cell(c.totals.cpc),
                        c.totals.conversions,
                        _cell(c.totals.cpa),
                        _cell(c.totals.roas),
                        c.totals.spend,
                    ]
                    for c in report.creatives
                ],
                empty="None of this period's ads is linked to a CraftAds creative.",
            )
        )
        reports.append(report)
    return {"has_ads": True, "currencies": reports, "ad_tables": [t for r in reports for t in r.tables]}


def _total(values) -> Totals:
    total = Totals()
    for value in values:
        for name in SUMS:
            setattr(total, name, getattr(total, name) + getattr(value, name))
    return total


def _ad_name(asset, meta_ad_id: str) -> str:
    if asset is None:
        return f"Meta ad {meta_ad_id}"
    return asset.ad_name or asset.headline or f"Meta ad {meta_ad_id}"


def _creatives(rows: list[dict], assets: dict, thumbnails: dict) -> list[Creative]:
    per_asset: dict[object, Totals] = {}
    for row in rows:
        totals = per_asset.setdefault(row["campaign_asset_id"], Totals())
        for name in SUMS:
            setattr(totals, name, getattr(totals, name) + (row[name] or 0))
    creatives = []
    for asset_id, totals in per_asset.items():
        asset = assets[asset_id]
        thumb = thumbnails.get(asset.generation_id)
        creatives.append(
            Creative(
                asset_id=str(asset_id),
                name=_ad_name(asset, asset.meta_ad_id),
                template=asset.generation.template.name if asset.generation.template_id else "",
                formats=", ".join(asset.formats or []),
                thumbnail_url=(reverse("generations:asset_file", args=[thumb]) + "?thumb=1") if thumb else None,
                totals=totals,
                small_sample=totals.impressions < SMALL_SAMPLE,
            )
        )
    # Enough evidence first, then the best click-through rate, then the most seen.
    creatives.sort(key=lambda c: (c.small_sample, -(c.totals.ctr or 0), -c.totals.impressions))
    return creatives


def _empty(*, user) -> dict:
    return {
        "has_ads": False,
        # Synced before (nothing in this period) or never: the page says which, and what to do.
        "ads_synced_ever": AdDay.objects.filter(user=user).exists(),
        "ads_connected": MetaConnection.objects.filter(user=user).exists(),
        "currencies": [],
        "ad_tables": [],
    }
