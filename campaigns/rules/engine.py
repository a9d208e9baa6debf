"""Evaluating rules on synced numbers: pure computation over per-object daily totals.

The live evaluation after a sync and the backtest run the same code on the same data, so the
backtest lists exactly the firings the live rule would have made. Numbers come from the placement
report (each ad's day once): one query per evaluation, grouped by object and day.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Q, Sum

from campaigns.sync.models import Breakdown, PerformanceRecord

OPERATORS = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
OPERATOR_LABELS = {"gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
METRICS = {
    "spend": "Spend",
    "impressions": "Impressions",
    "clicks": "Clicks",
    "conversions": "Conversions",
    "ctr": "CTR (%)",
    "cpc": "Cost per click",
    "cpm": "Cost per 1,000 impressions",
    "cpa": "Cost per conversion",
    "roas": "Return on ad spend",
    "ctr_vs_first_week": "CTR against its first week (%)",
}
FIRST_WEEK_DAYS = 7
MAX_WINDOW_DAYS = 90
SUM_FIELDS = (("s", "spend"), ("i", "impressions"), ("c", "clicks"), ("v", "conversions"), ("x", "conversion_value"))


@dataclass
class Totals:
    spend: Decimal = Decimal(0)
    impressions: int = 0
    clicks: int = 0
    conversions: int = 0
    value: Decimal = Decimal(0)

    def add(self, other: Totals) -> None:
        self.spend += other.spend
        self.impressions += other.impressions
        self.clicks += other.clicks
        self.conversions += other.conversions
        self.value += other.value


@dataclass
class Series:
    """One object's (campaign's or ad's) daily totals, and its first week's."""

    days: dict[date, Totals] = field(default_factory=dict)
    first_day: date | None = None
    first_week_days: dict[date, Totals] = field(default_factory=dict)

    def first_week(self, end: date) -> Totals | None:
        """The first week's totals as known on `end` (a backtest day inside the first week sees only
        the days up to it, as the live check on that day did)."""
        if self.first_day is None or self.first_day > end:
            return None
        total = Totals()
        for day, totals in self.first_week_days.items():
            if day <= end:
                total.add(totals)
        return total

    def window(self, end: date, days: int) -> Totals:
        total = Totals()
        for offset in range(days):
            found = self.days.get(end - timedelta(days=offset))
            if found is not None:
                total.add(found)
        return total


def _ratio(numerator, denominator, scale=1) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * scale / Decimal(denominator)).quantize(Decimal("0.0001"))


def metric(name: str, totals: Totals, series: Series | Windows, end: date) -> Decimal | None:
    if name in ("spend", "impressions", "clicks", "conversions"):
        return Decimal(getattr(totals, name))
    if name == "ctr":
        return _ratio(totals.clicks, totals.impressions, 100)
    if name == "cpc":
        return _ratio(totals.spend, totals.clicks)
    if name == "cpm":
        return _ratio(totals.spend, totals.impressions, 1000)
    if name == "cpa":
        return _ratio(totals.spend, totals.conversions)
    if name == "roas":
        return _ratio(totals.value, totals.spend)
    if name == "ctr_vs_first_week":
        first = series.first_week(end)
        now = _ratio(totals.clicks, totals.impressions, 100)
        then = _ratio(first.clicks, first.impressions, 100) if first else None
        return _ratio(now, then, 100) if now is not None and then else None
    raise ValueError(name)


def load(*, campaign_ids, level: str, end: date, window_days: int, first_week: bool = False) -> dict[object, Series]:
    """Daily totals per object over [end - window_days + 1, end]; with `first_week`, also each
    object's first seven days of numbers (read from its whole history, so only when a rule asks)."""
    key = "campaign_id" if level == "campaign" else "campaign_asset_id"
    rows = PerformanceRecord.objects.filter(
        campaign_id__in=campaign_ids, breakdown=Breakdown.PLACEMENT, date__lte=end
    ).exclude(**{f"{key}__isnull": True})
    if not first_week:
        rows = rows.filter(date__gt=end - timedelta(days=window_days))
    sums = {
        "s": Sum("spend"),
        "i": Sum("impressions"),
        "c": Sum("clicks"),
        "v": Sum("conversions"),
        "x": Sum("conversion_value"),
    }
    series: dict[object, Series] = defaultdict(Series)
    window_start = end - timedelta(days=window_days)
    for row in rows.values(key, "date").annotate(**sums).order_by(key, "date"):
        totals = Totals(row["s"] or 0, row["i"] or 0, row["c"] or 0, row["v"] or 0, row["x"] or 0)
        entry = series[row[key]]
        if row["date"] > window_start:
            entry.days[row["date"]] = totals
        if first_week:
            if entry.first_day is None:
                entry.first_day = row["date"]
            if row["date"] < entry.first_day + timedelta(days=FIRST_WEEK_DAYS):
                entry.first_week_days[row["date"]] = totals
    return series


@dataclass
class Windows:
    """One object's totals over each window ending on one day, summed by the database (live checks)."""

    end: date
    totals: dict[int, Totals] = field(default_factory=dict)
    first_week_totals: Totals | None = None

    def first_week(self, end: date) -> Totals | None:
        if end != self.end:
            raise ValueError("Live windows are summed for one day: load them again for another.")
        return self.first_week_totals

    def window(self, end: date, days: int) -> Totals:
        if end != self.end:
            raise ValueError("Live windows are summed for one day: load them again for another.")
        return self.totals.get(days, Totals())


def load_windows(*, campaign_ids, level: str, end: date, windows: set[int], first_week: bool) -> dict[object, Windows]:
    """Each object's totals over every window in `windows` ending on `end`: one grouped query with a
    conditional sum per window (the database adds; a few rows per object leave it), plus, when a rule
    asks, each object's first week."""
    key = "campaign_id" if level == "campaign" else "campaign_asset_id"
    rows = PerformanceRecord.objects.filter(
        campaign_id__in=campaign_ids, breakdown=Breakdown.PLACEMENT, date__lte=end
    ).exclude(**{f"{key}__isnull": True})
    aggregates = {}
    for days in windows:
        inside = Q(date__gt=end - timedelta(days=days))
        for short, name in SUM_FIELDS:
            aggregates[f"{short}{days}"] = Sum(name, filter=inside)
    found: dict[object, Windows] = defaultdict(lambda: Windows(end))
    recent = rows.filter(date__gt=end - timedelta(days=max(windows)))
    for row in recent.values(key).annotate(**aggregates).order_by():
        entry = found[row[key]]
        for days in windows:
            entry.totals[days] = Totals(*(row[f"{short}{days}"] or 0 for short, _ in SUM_FIELDS))
    if first_week:
        for object_id, totals in first_weeks(campaign_ids=campaign_ids, key=key, end=end).items():
            found[object_id].first_week_totals = totals
    return found


_WITHIN_FIRST_WEEK = {
    # The day falls in the object's first FIRST_WEEK_DAYS days (date arithmetic is the one dialect gap).
    "postgresql": 'p."date" < f.first_day + %s',
    "sqlite": 'julianday(p."date") < julianday(f.first_day) + %s',
}


def first_weeks(*, campaign_ids, key: str, end: date) -> dict[object, Totals]:
    """Each object's totals over its first seven days of numbers (up to `end`): one grouped query
    joining every row to its object's first day, whatever the number of objects."""
    if not campaign_ids:
        return {}
    meta = PerformanceRecord._meta
    table, column, field = meta.db_table, meta.get_field(key).column, meta.get_field(key)
    ids = [meta.get_field("campaign").get_db_prep_value(pk, connection) for pk in campaign_ids]
    marks = ", ".join(["%s"] * len(ids))
    # Names come from the model, values are bound.
    sql = f"""
        SELECT p.{column}, SUM(p.spend), SUM(p.impressions), SUM(p.clicks), SUM(p.conversions),
               SUM(p.conversion_value)
        FROM {table} p
        JOIN (
            SELECT {column} AS object_id, MIN("date") AS first_day FROM {table}
            WHERE campaign_id IN ({marks}) AND breakdown = %s AND "date" <= %s AND {column} IS NOT NULL
            GROUP BY {column}
        ) f ON p.{column} = f.object_id
        WHERE p.campaign_id IN ({marks}) AND p.breakdown = %s AND p."date" <= %s
          AND {_WITHIN_FIRST_WEEK[connection.vendor]}
        GROUP BY p.{column}
    """  # noqa: S608
    params = [*ids, Breakdown.PLACEMENT.value, end, *ids, Breakdown.PLACEMENT.value, end, FIRST_WEEK_DAYS]
    found = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for object_id, spend, impressions, clicks, conversions, value in cursor.fetchall():
            found[field.to_python(object_id)] = Totals(
                _money(spend), int(impressions or 0), int(clicks or 0), int(conversions or 0), _money(value)
            )
    return found


def _money(value) -> Decimal:
    """A sum of money as Decimal (SQLite answers a float)."""
    return value if isinstance(value, Decimal) else Decimal(str(value or 0)).quantize(Decimal("0.01"))


def condition_windows(rule) -> set[int]:
    return {window_days(rule), *(int(c.get("days", 1)) for c in rule.conditions)}


def window_days(rule) -> int:
    return min(MAX_WINDOW_DAYS, max([int(c.get("days", 1)) for c in rule.conditions] or [1]))


def needs_first_week(rule) -> bool:
    return any(c.get("metric") == "ctr_vs_first_week" for c in rule.conditions)


def check(rule, series: Series | Windows, end: date) -> dict | None:
    """The metric values that make the rule fire on `end`, or None when it does not."""
    widest = series.window(end, window_days(rule))
    if widest.spend < rule.min_spend or widest.impressions < rule.min_impressions:
        return None
    values = {}
    for condition in rule.conditions:
        totals = series.window(end, int(condition.get("days", 1)))
        value = metric(condition["metric"], totals, series, end)
        threshold = Decimal(str(condition["value"]))
        if value is None or not OPERATORS[condition["operator"]](value, threshold):
            return None
        values[f"{condition['metric']} over {condition.get('days', 1)} d"] = str(value)
    values["spend over window"] = str(widest.spend)
    values["impressions over window"] = widest.impressions
    return values


def describe(condition: dict) -> str:
    return (
        f"{METRICS.get(condition['metric'], condition['metric'])} {OPERATOR_LABELS.get(condition['operator'], '?')} "
        f"{condition['value']} over {condition.get('days', 1)} day{'s' if int(condition.get('days', 1)) != 1 else ''}"
    )
