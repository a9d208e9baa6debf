"""Store insight rows: insert new keys, update rows whose numbers Meta restated, leave the rest.

Rows are matched on the record's unique key (ad account, ad, day, breakdown values, attribution);
a re-sync of unchanged numbers writes nothing. Each call is one transaction's worth of work, run by
the sync inside its fenced transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from campaigns.connections.models import MetaAdAccount
from campaigns.publishing.models import Campaign, CampaignAsset
from campaigns.sync.models import PerformanceRecord

METRICS = (
    "impressions",
    "reach",
    "frequency",
    "clicks",
    "inline_link_clicks",
    "spend",
    "actions",
    "action_values",
    "meta_campaign_id",
    "meta_adset_id",
    "currency",
    "campaign_id",
    "campaign_asset_id",
)
DERIVED = ("conversions", "conversion_value", "ctr", "cpc", "cpa", "roas")
KEY_FIELDS = ("meta_ad_id", "date", "publisher_platform", "platform_position", "age", "gender", "attribution_setting")


@dataclass
class Counts:
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: Counts) -> None:
        self.fetched += other.fetched
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged


@dataclass(frozen=True)
class Links:
    """Our campaigns and creatives by their Meta ids, for one ad account."""

    campaigns: dict[str, object]
    assets: dict[str, tuple[object, object]]  # meta ad id -> (asset id, campaign id)

    @classmethod
    def for_account(cls, ad_account: MetaAdAccount) -> Links:
        campaigns = dict(
            Campaign.objects.filter(ad_account=ad_account)
            .exclude(meta_campaign_id="")
            .values_list("meta_campaign_id", "pk")
        )
        assets = {
            ad_id: (asset_id, campaign_id)
            for ad_id, asset_id, campaign_id in CampaignAsset.objects.filter(campaign__ad_account=ad_account)
            .exclude(meta_ad_id="")
            .values_list("meta_ad_id", "pk", "campaign_id")
        }
        return cls(campaigns=campaigns, assets=assets)


def _int(value) -> int:
    try:
        return int(Decimal(str(value or 0)))
    except InvalidOperation:
        return 0


def _decimal(value, places: str) -> Decimal:
    try:
        return Decimal(str(value or 0)).quantize(Decimal(places))
    except InvalidOperation:
        return Decimal(0).quantize(Decimal(places))


def _by_type(entries) -> dict:
    if not isinstance(entries, list):
        return {}
    return {
        str(e.get("action_type")): str(e.get("value")) for e in entries if isinstance(e, dict) and e.get("action_type")
    }


def record_from_row(row: dict, *, ad_account: MetaAdAccount, breakdown: str, links: Links) -> PerformanceRecord:
    ad_id = str(row.get("ad_id") or "")
    asset_id, asset_campaign = links.assets.get(ad_id, (None, None))
    meta_campaign_id = str(row.get("campaign_id") or "")
    record = PerformanceRecord(
        ad_account=ad_account,
        campaign_id=asset_campaign or links.campaigns.get(meta_campaign_id),
        campaign_asset_id=asset_id,
        meta_campaign_id=meta_campaign_id,
        meta_adset_id=str(row.get("adset_id") or ""),
        meta_ad_id=ad_id,
        date=date.fromisoformat(str(row["date_start"])),
        breakdown=breakdown,
        publisher_platform=str(row.get("publisher_platform") or ""),
        platform_position=str(row.get("platform_position") or ""),
        age=str(row.get("age") or ""),
        gender=str(row.get("gender") or ""),
        attribution_setting=str(row.get("attribution_setting") or ""),
        currency=str(row.get("account_currency") or ad_account.currency)[:3],
        impressions=_int(row.get("impressions")),
        reach=_int(row.get("reach")),
        frequency=_decimal(row.get("frequency"), "0.0001"),
        clicks=_int(row.get("clicks")),
        inline_link_clicks=_int(row.get("inline_link_clicks")),
        spend=_decimal(row.get("spend"), "0.01"),
        actions=_by_type(row.get("actions")),
        action_values=_by_type(row.get("action_values")),
    )
    record.derive()
    return record


def _key(record: PerformanceRecord) -> tuple:
    return tuple(getattr(record, name) for name in KEY_FIELDS)


def _values(record: PerformanceRecord) -> tuple:
    return tuple(getattr(record, name) for name in METRICS)


def store_rows(*, ad_account: MetaAdAccount, breakdown: str, rows: list[dict], links: Links) -> Counts:
    """Upsert one page of rows; the caller holds the transaction."""
    counts = Counts(fetched=len(rows))
    incoming: dict[tuple, PerformanceRecord] = {}
    for row in rows:
        if not row.get("ad_id") or not row.get("date_start"):
            continue
        record = record_from_row(row, ad_account=ad_account, breakdown=breakdown, links=links)
        incoming[_key(record)] = record  # a repeated key within a page: the last one stands
    if not incoming:
        return counts
    days = [key[1] for key in incoming]
    existing = {
        _key(record): record
        for record in PerformanceRecord.objects.filter(
            ad_account=ad_account,
            breakdown=breakdown,
            date__gte=min(days),
            date__lte=max(days),
            meta_ad_id__in={key[0] for key in incoming},
        )
    }
    new, changed = [], []
    for key, record in incoming.items():
        current = existing.get(key)
        if current is None:
            new.append(record)
        elif _values(current) != _values(record):
            for name in (*METRICS, *DERIVED):
                setattr(current, name, getattr(record, name))
            current.updated_at = timezone.now()  # bulk_update does not apply auto_now
            changed.append(current)
        else:
            counts.unchanged += 1
    PerformanceRecord.objects.bulk_create(new, batch_size=2000)
    if changed:
        PerformanceRecord.objects.bulk_update(changed, [*METRICS, *DERIVED, "updated_at"], batch_size=2000)
    counts.inserted, counts.updated = len(new), len(changed)
    return counts
