"""Store insight rows: insert new keys, update rows whose numbers Meta restated, leave the rest.

Rows are matched on the record's unique key (ad account, ad, day, breakdown values, attribution);
a re-sync of unchanged numbers writes nothing. Each call is one transaction's worth of work, run by
the sync inside its fenced transaction.

On PostgreSQL a page is staged with COPY into a temporary table, then written by one
INSERT … ON CONFLICT DO UPDATE … WHERE the numbers differ: new keys are inserted, restated rows
updated, unchanged rows not touched (no new row version, no WAL). Elsewhere (SQLite, the embedded
default) the ORM path reads the page's existing rows, compares them in Python and bulk-writes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.utils import timezone

from campaigns.connections.models import MetaAdAccount
from campaigns.publishing.models import Campaign, CampaignAsset
from campaigns.sync.models import PerformanceRecord, derive_metrics

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


# Every stored column but the key, the timestamps and the id, in the order `parse_row` returns them.
COLUMNS = (
    "ad_account_id",
    "campaign_id",
    "campaign_asset_id",
    "meta_campaign_id",
    "meta_adset_id",
    "meta_ad_id",
    "date",
    "breakdown",
    "publisher_platform",
    "platform_position",
    "age",
    "gender",
    "attribution_setting",
    "currency",
    "impressions",
    "reach",
    "frequency",
    "clicks",
    "inline_link_clicks",
    "spend",
    "actions",
    "action_values",
    *DERIVED,
)
_KEY_INDEXES = tuple(COLUMNS.index(name) for name in KEY_FIELDS)
_ACTIONS, _ACTION_VALUES, _DERIVED = COLUMNS.index("actions"), COLUMNS.index("action_values"), COLUMNS.index(DERIVED[0])
_JSON = json.JSONEncoder(separators=(",", ":")).encode  # one encoder, not one per value as json.dumps(..., separators)


def _int(value) -> int:
    if isinstance(value, int):
        return value
    try:
        return int(value or 0)  # Graph sends counts as strings of digits
    except (TypeError, ValueError):
        pass
    try:
        return int(Decimal(str(value or 0)))
    except InvalidOperation:
        return 0


def _decimal(value, places: Decimal) -> Decimal:
    try:
        return Decimal(str(value or 0)).quantize(places)
    except InvalidOperation:
        return Decimal(0).quantize(places)


_CENTS, _TEN_THOUSANDTHS = Decimal("0.01"), Decimal("0.0001")


def _by_type(entries) -> dict:
    if not isinstance(entries, list):
        return {}
    return {
        str(e.get("action_type")): str(e.get("value")) for e in entries if isinstance(e, dict) and e.get("action_type")
    }


def parse_row(row: dict, *, ad_account: MetaAdAccount, breakdown: str, links: Links) -> tuple | None:
    """One Graph insight row as the values of `COLUMNS` (None for a row without ad or day)."""
    ad_id = str(row.get("ad_id") or "")
    if not ad_id or not row.get("date_start"):
        return None
    asset_id, asset_campaign = links.assets.get(ad_id, (None, None))
    meta_campaign_id = str(row.get("campaign_id") or "")
    impressions, clicks = _int(row.get("impressions")), _int(row.get("clicks"))
    spend = _decimal(row.get("spend"), _CENTS)
    actions, action_values = _by_type(row.get("actions")), _by_type(row.get("action_values"))
    derived = derive_metrics(
        actions=actions, action_values=action_values, clicks=clicks, impressions=impressions, spend=spend
    )
    return (
        ad_account.pk,
        asset_campaign or links.campaigns.get(meta_campaign_id),
        asset_id,
        meta_campaign_id,
        str(row.get("adset_id") or ""),
        ad_id,
        date.fromisoformat(str(row["date_start"])),
        breakdown,
        str(row.get("publisher_platform") or ""),
        str(row.get("platform_position") or ""),
        str(row.get("age") or ""),
        str(row.get("gender") or ""),
        str(row.get("attribution_setting") or ""),
        str(row.get("account_currency") or ad_account.currency)[:3],
        impressions,
        _int(row.get("reach")),
        _decimal(row.get("frequency"), _TEN_THOUSANDTHS),
        clicks,
        _int(row.get("inline_link_clicks")),
        spend,
        actions,
        action_values,
        *derived,
    )


def record_from_row(row: dict, *, ad_account: MetaAdAccount, breakdown: str, links: Links) -> PerformanceRecord:
    values = parse_row(row, ad_account=ad_account, breakdown=breakdown, links=links)
    if values is None:
        raise ValueError("An insight row needs an ad and a day.")
    return PerformanceRecord(**dict(zip(COLUMNS, values, strict=True)))


def _key(record: PerformanceRecord) -> tuple:
    return tuple(getattr(record, name) for name in KEY_FIELDS)


def _values(record: PerformanceRecord) -> tuple:
    return tuple(getattr(record, name) for name in METRICS)


@dataclass
class ParsedPage:
    """One page (or several) of Graph rows as column values by key (a repeated key: the last one
    stands); `fetched` counts every row Graph sent, the unusable ones too."""

    breakdown: str
    fetched: int
    rows: dict[tuple, tuple]

    def extend(self, other: ParsedPage) -> None:
        """Take in a later page of the same report (its rows stand over this one's)."""
        self.fetched += other.fetched
        self.rows.update(other.rows)


def parse_page(rows: list[dict], *, ad_account: MetaAdAccount, breakdown: str, links: Links) -> ParsedPage:
    """Pure: no database (the sync parses the next page while the database stores this one)."""
    incoming: dict[tuple, tuple] = {}
    for row in rows:
        values = parse_row(row, ad_account=ad_account, breakdown=breakdown, links=links)
        if values is not None:
            incoming[tuple(values[i] for i in _KEY_INDEXES)] = values
    return ParsedPage(breakdown, len(rows), incoming)


def store_page(*, ad_account: MetaAdAccount, page: ParsedPage, staged: bool | None = None) -> Counts:
    """Upsert one parsed page; the caller holds the transaction. `staged` (default: on PostgreSQL)
    chooses COPY and one upsert over the ORM path."""
    if staged is None:
        staged = connection.vendor == "postgresql"
    if staged:
        return _store_staged(page)
    return _store_orm(ad_account, page)


def store_rows(*, ad_account: MetaAdAccount, breakdown: str, rows: list[dict], links: Links) -> Counts:
    """Parse and upsert one page of Graph rows; the caller holds the transaction."""
    page = parse_page(rows, ad_account=ad_account, breakdown=breakdown, links=links)
    return store_page(ad_account=ad_account, page=page)


def _store_orm(ad_account: MetaAdAccount, page: ParsedPage) -> Counts:
    """Any database: read the page's stored rows, compare in Python, bulk insert and bulk update."""
    counts = Counts(fetched=page.fetched)
    breakdown = page.breakdown
    incoming = {key: PerformanceRecord(**dict(zip(COLUMNS, values, strict=True))) for key, values in page.rows.items()}
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


# -- PostgreSQL: COPY into a staging table, then one upsert that skips unchanged rows -----------

_TABLE = PerformanceRecord._meta.db_table
# The staging table's name carries the column list, so a connection that outlived a deploy which
# changed the columns makes a new one instead of reusing the old shape.
_STAGE = "perf_stage_" + hashlib.sha256(",".join(COLUMNS).encode()).hexdigest()[:10]


def _columns(names) -> list[str]:
    return [f'"{PerformanceRecord._meta.get_field(name).column}"' for name in names]


_COLUMN_LIST = ", ".join(_columns(COLUMNS))
_UNIQUE_KEY = next(c for c in PerformanceRecord._meta.constraints if c.name == "performance_one_row_per_key")
_KEY_LIST = ", ".join(_columns(_UNIQUE_KEY.fields))  # type: ignore[attr-defined]
_COMPARED = _columns(METRICS)
_WRITTEN = _columns((*METRICS, *DERIVED))
_CREATE_STAGE = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} ON COMMIT DELETE ROWS AS "  # noqa: S608 (model names)
    f"SELECT {_COLUMN_LIST} FROM {_TABLE} WITH NO DATA"
)
_COPY_STAGE = f"COPY {_STAGE} ({_COLUMN_LIST}) FROM STDIN"
# Names from the model; no value is formatted in. The staged page is taken out of the staging table
# by the same statement (DELETE ... RETURNING), so a second page in one transaction starts empty.
_UPSERT = f"""
WITH staged AS (
    DELETE FROM {_STAGE} RETURNING {_COLUMN_LIST}
), written AS (
    INSERT INTO {_TABLE} AS stored (id, created_at, updated_at, {_COLUMN_LIST})
    SELECT gen_random_uuid(), statement_timestamp(), statement_timestamp(), {_COLUMN_LIST} FROM staged
    ON CONFLICT ({_KEY_LIST}) DO UPDATE SET
        {", ".join(f"{c} = EXCLUDED.{c}" for c in _WRITTEN)}, updated_at = EXCLUDED.updated_at
    WHERE ({", ".join(f"stored.{c}" for c in _COMPARED)})
        IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in _COMPARED)})
    RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
"""  # noqa: S608


def _store_staged(page: ParsedPage) -> Counts:
    """PostgreSQL: the page is copied into a temporary table (emptied at commit), then one
    statement inserts new keys and updates rows whose numbers changed; unchanged rows are not
    written at all. `xmax = 0` tells an inserted row from an updated one."""
    counts = Counts(fetched=page.fetched)
    incoming = page.rows
    if not incoming:
        return counts
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(_CREATE_STAGE)
        with cursor.cursor.copy(_COPY_STAGE) as copy:
            # Tuples of plain values: the ids are text already (`Links`), the JSON columns are
            # encoded by one prepared encoder, the rest go through psycopg's C dumpers.
            for values in incoming.values():
                copy.write_row(
                    (*values[:_ACTIONS], _JSON(values[_ACTIONS]), _JSON(values[_ACTION_VALUES]), *values[_DERIVED:])
                )
        cursor.execute(_UPSERT)
        inserted, updated = cursor.fetchone()
    counts.inserted, counts.updated = inserted, updated
    counts.unchanged = len(incoming) - inserted - updated
    return counts
