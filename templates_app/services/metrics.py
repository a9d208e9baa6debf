"""Template performance from real data: the staff CSV import (campaign syncs will add theirs later)."""

import csv
import io
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import F, FloatField, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from accounts import services as account_services
from craftplatform.errors import DomainError
from templates_app.models import AdMetric, AdTemplate, MetricSource

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_ERRORS_SHOWN = 50
TEMPLATE_COLUMNS = ("template", "template_slug", "slug", "template_id")
REQUIRED_COLUMNS = ("date", "impressions", "ctr")
RATE_COLUMNS = ("conversion_rate", "engagement_rate")
COUNT_COLUMNS = ("clicks", "conversions", "reach")
MONEY_COLUMNS = ("spend",)
KNOWN_COLUMNS = set(TEMPLATE_COLUMNS + REQUIRED_COLUMNS + RATE_COLUMNS + COUNT_COLUMNS + MONEY_COLUMNS)
# Rounded rates in exports (2.5 % for 2.46 %) still agree with their clicks within this.
CTR_TOLERANCE = 0.005

CSV_HELP = (
    "One row per template and day. Columns: template (its slug or id), date (YYYY-MM-DD), impressions, "
    "ctr (0.025 or 2.5%); optional: clicks, conversions, reach, spend, conversion_rate, engagement_rate."
)


class MetricsImportError(DomainError):
    """The file was refused as a whole; `errors` lists (row number, message), row 1 being the header."""

    default_message = "The metrics file was not imported."

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        super().__init__(f"The file was not imported: {len(errors)} problem{'s' if len(errors) != 1 else ''} found.")


@dataclass(frozen=True)
class MetricsImportReport:
    rows: int
    created: int
    updated: int
    templates: int


@dataclass(frozen=True)
class _Row:
    line: int
    template_id: uuid.UUID
    recorded_at: datetime
    impressions: int
    ctr: float
    conversion_rate: float | None
    engagement_rate: float | None
    performance_data: dict


class _RowError(ValueError):
    pass


def _parse_int(value: str, column: str) -> int:
    cleaned = value.replace("_", "").replace(" ", "")
    if not cleaned.isdigit():
        raise _RowError(f"{column} must be a whole number of 0 or more, like 12000 (got “{value}”).")
    return int(cleaned)


def _parse_rate(value: str, column: str) -> float:
    text = value.strip()
    percent = text.endswith("%")
    try:
        number = Decimal(text.rstrip("%").strip())
    except InvalidOperation as exc:
        raise _RowError(f"{column} must be a fraction like 0.025 or a percentage like 2.5% (got “{value}”).") from exc
    if not number.is_finite():
        raise _RowError(f"{column} must be a number (got “{value}”).")
    if percent:
        number /= 100
    if number < 0 or number > 1:
        hint = "" if percent else f": write it as a fraction ({number / 100}) or a percentage ({number}%)"
        raise _RowError(f"{column} {value} is outside 0–100 %{hint}.")
    return float(number)


def _parse_date(value: str) -> date:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError as exc:
        raise _RowError(f"date must look like 2026-03-31 (got “{value}”).") from exc
    if day > timezone.localdate():
        raise _RowError(f"date {day} is in the future.")
    return day


def _read_text(file) -> str:
    size = getattr(file, "size", None)
    if size is not None and size > MAX_BYTES:
        raise MetricsImportError([(0, f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")])
    raw = file.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise MetricsImportError([(0, f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")])
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MetricsImportError(
            [(0, "The file is not UTF-8 text; export it from your spreadsheet as CSV UTF-8.")]
        ) from exc


def _resolve_templates(values: set[str]) -> dict[str, uuid.UUID]:
    ids = set()
    for value in values:
        try:
            ids.add(uuid.UUID(value))
        except ValueError:
            continue
    found: dict[str, uuid.UUID] = {}
    for pk, slug in AdTemplate.objects.filter(Q(slug__in=values) | Q(pk__in=ids)).values_list("pk", "slug"):
        found[slug] = pk
        found[str(pk)] = pk
    return found


def parse_metrics_csv(file) -> list[_Row]:
    """Read and check every row; raise MetricsImportError listing every problem by row number."""
    text = _read_text(file)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise MetricsImportError([(1, "The file is empty. " + CSV_HELP)])
    header = [(name or "").strip().lower() for name in reader.fieldnames]
    reader.fieldnames = header
    errors: list[tuple[int, str]] = []
    unknown = [name for name in header if name not in KNOWN_COLUMNS]
    if unknown:
        errors.append((1, f"Unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. {CSV_HELP}"))
    template_columns = [name for name in header if name in TEMPLATE_COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if not template_columns:
        missing.insert(0, "template")
    if missing:
        errors.append((1, f"Missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}. {CSV_HELP}"))
    if len(template_columns) > 1:
        errors.append((1, f"Name the template in one column, not {', '.join(template_columns)}."))
    if errors:
        raise MetricsImportError(errors)
    template_column = template_columns[0]

    raw_rows = []
    for record in reader:
        if reader.line_num - 1 > MAX_ROWS:
            raise MetricsImportError([(reader.line_num, f"The file has more than {MAX_ROWS} rows; split it.")])
        if None in record:
            errors.append((reader.line_num, "The row has more values than the header has columns."))
            continue
        values = {key: (value or "").strip() for key, value in record.items()}
        if not any(values.values()):
            continue  # a blank line
        raw_rows.append((reader.line_num, values))
    if not raw_rows and not errors:
        raise MetricsImportError([(1, "The file has a header but no rows.")])

    templates = _resolve_templates({values[template_column] for _, values in raw_rows if values[template_column]})
    rows: list[_Row] = []
    seen: dict[tuple, int] = {}
    for line, values in raw_rows:
        try:
            rows.append(_parse_row(line, values, template_column, templates, seen))
        except _RowError as exc:
            errors.append((line, str(exc)))
    if errors:
        raise MetricsImportError(errors)
    return rows


def _parse_row(line: int, values: dict, template_column: str, templates: dict, seen: dict) -> _Row:
    reference = values[template_column]
    if not reference:
        raise _RowError("template is empty: give the template's slug or id.")
    if reference not in templates:
        raise _RowError(f"There is no template “{reference}”.")
    for column in REQUIRED_COLUMNS:
        if not values[column]:
            raise _RowError(f"{column} is empty.")
    day = _parse_date(values["date"])
    template_id = templates[reference]
    key = (template_id, day)
    if key in seen:
        raise _RowError(f"Row {seen[key]} has the same template and date already.")
    seen[key] = line
    impressions = _parse_int(values["impressions"], "impressions")
    ctr = _parse_rate(values["ctr"], "ctr")
    rates = {column: _parse_rate(values[column], column) if values.get(column) else None for column in RATE_COLUMNS}
    extra: dict = {}
    for column in COUNT_COLUMNS:
        if values.get(column):
            extra[column] = _parse_int(values[column], column)
    for column in MONEY_COLUMNS:
        if values.get(column):
            try:
                amount = Decimal(values[column])
            except InvalidOperation as exc:
                raise _RowError(f"{column} must be an amount like 12.50 (got “{values[column]}”).") from exc
            if not amount.is_finite() or amount < 0:
                raise _RowError(f"{column} must be an amount of 0 or more (got “{values[column]}”).")
            extra[column] = str(amount)
    if impressions == 0 and ctr > 0:
        raise _RowError("ctr is above 0 with no impressions.")
    clicks = extra.get("clicks")
    if clicks is not None:
        if clicks > impressions:
            raise _RowError(f"clicks ({clicks}) are more than impressions ({impressions}).")
        if impressions and abs(clicks / impressions - ctr) > CTR_TOLERANCE:
            raise _RowError(
                f"ctr {ctr:.2%} does not match {clicks} clicks of {impressions} impressions ({clicks / impressions:.2%})."
            )
    return _Row(
        line=line,
        template_id=template_id,
        recorded_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC),
        impressions=impressions,
        ctr=ctr,
        conversion_rate=rates["conversion_rate"],
        engagement_rate=rates["engagement_rate"],
        performance_data=extra,
    )


def ctr_lower_bound(clicks: int, impressions: int, *, z: float = 1.96) -> float | None:
    """The lower end of the 95 % Wilson score interval of clicks / impressions."""
    if impressions <= 0:
        return None
    rate = clicks / impressions
    z2 = z * z
    centre = rate + z2 / (2 * impressions)
    margin = z * math.sqrt(rate * (1 - rate) / impressions + z2 / (4 * impressions * impressions))
    return max(0.0, (centre - margin) / (1 + z2 / impressions))


def refresh_metric_summaries(*, template_ids) -> None:
    """Recompute each template's impressions-weighted CTR, impressions, clicks and the CTR's lower
    confidence bound (only past TEMPLATE_METRICS_MIN_IMPRESSIONS) from its metrics."""
    template_ids = list(template_ids)
    totals = {
        row["template_id"]: row
        for row in AdMetric.objects.filter(template_id__in=template_ids)
        .values("template_id")
        .annotate(
            total_impressions=Sum("impressions"),
            weighted=Sum(F("ctr") * Cast("impressions", FloatField()), output_field=FloatField()),
        )
    }
    templates = list(
        AdTemplate.objects.filter(pk__in=template_ids).only(
            "pk", "best_ctr", "metric_impressions", "metric_clicks", "ctr_lower_bound"
        )
    )
    for template in templates:
        row = totals.get(template.pk)
        impressions = int(row["total_impressions"] or 0) if row else 0
        clicks = round(row["weighted"] or 0) if row else 0
        template.metric_impressions = impressions
        template.metric_clicks = clicks
        template.best_ctr = (row["weighted"] / impressions) if impressions else None
        enough = impressions >= settings.TEMPLATE_METRICS_MIN_IMPRESSIONS
        template.ctr_lower_bound = ctr_lower_bound(clicks, impressions) if enough else None
    AdTemplate.objects.bulk_update(templates, ["best_ctr", "metric_impressions", "metric_clicks", "ctr_lower_bound"])


@dataclass(frozen=True)
class SyncedDay:
    """One template's synced ad numbers for one day (ads made from it, every placement added)."""

    template_id: uuid.UUID
    day: date
    impressions: int
    clicks: int
    conversions: int
    spend: Decimal


@transaction.atomic
def store_synced_metrics(*, days: list[SyncedDay]) -> int:
    """Upsert the campaign-sync metrics of templates (source "campaign sync") and refresh their
    summaries. Only real synced numbers come here; re-running with the same numbers changes nothing."""
    rows = [
        AdMetric(
            template_id=d.template_id,
            recorded_at=datetime.combine(d.day, datetime.min.time(), tzinfo=UTC),
            source=MetricSource.CAMPAIGN_SYNC,
            impressions=d.impressions,
            ctr=min(1.0, d.clicks / d.impressions) if d.impressions else 0.0,
            conversion_rate=min(1.0, d.conversions / d.clicks) if d.clicks else None,
            performance_data={"clicks": d.clicks, "conversions": d.conversions, "spend": str(d.spend)},
        )
        for d in days
    ]
    AdMetric.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["template", "recorded_at", "source"],
        update_fields=["impressions", "ctr", "conversion_rate", "performance_data", "updated_at"],
        batch_size=1000,
    )
    refresh_metric_summaries(template_ids={d.template_id for d in days})
    return len(rows)


def import_metrics_csv(*, file, actor, request=None) -> MetricsImportReport:
    """Import template metrics from a CSV file: every row is checked first, then all are saved or none.

    A row for a template and day imported before replaces it, so importing a file twice changes nothing.
    """
    rows = parse_metrics_csv(file)
    with transaction.atomic():
        keys = {(row.template_id, row.recorded_at) for row in rows}
        existing = set(
            AdMetric.objects.filter(
                source=MetricSource.CSV_IMPORT,
                template_id__in={row.template_id for row in rows},
                recorded_at__in={row.recorded_at for row in rows},
            ).values_list("template_id", "recorded_at")
        )
        AdMetric.objects.bulk_create(
            [
                AdMetric(
                    template_id=row.template_id,
                    recorded_at=row.recorded_at,
                    source=MetricSource.CSV_IMPORT,
                    impressions=row.impressions,
                    ctr=row.ctr,
                    conversion_rate=row.conversion_rate,
                    engagement_rate=row.engagement_rate,
                    performance_data=row.performance_data,
                )
                for row in rows
            ],
            update_conflicts=True,
            unique_fields=["template", "recorded_at", "source"],
            update_fields=[
                "impressions",
                "ctr",
                "conversion_rate",
                "engagement_rate",
                "performance_data",
                "updated_at",
            ],
        )
        template_ids = {row.template_id for row in rows}
        refresh_metric_summaries(template_ids=template_ids)
        updated = len(keys & existing)
        report = MetricsImportReport(
            rows=len(rows), created=len(rows) - updated, updated=updated, templates=len(template_ids)
        )
        account_services.record_audit_event(
            actor=actor,
            action="templates.metrics_imported",
            details={
                "file_name": getattr(file, "name", "")[:200],
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "templates": report.templates,
            },
            request=request,
        )
    return report
