"""First-party template performance: synced rows of ads made from each template, rolled up per day.

Only real synced rows count (the placement report: every ad's day once). The rollup recomputes the
last TEMPLATE_METRICS_ROLLUP_DAYS days each night, so Meta's restatements reach the gallery too."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from campaigns.sync.models import Breakdown, PerformanceRecord
from templates_app.services import metrics as template_metrics


def rollup_template_metrics(*, today: date | None = None) -> int:
    today = today or timezone.now().date()
    first = today - timedelta(days=settings.TEMPLATE_METRICS_ROLLUP_DAYS)
    rows = (
        PerformanceRecord.objects.filter(
            breakdown=Breakdown.PLACEMENT,
            date__gte=first,
            date__lte=today,
            campaign_asset__generation__template__isnull=False,
        )
        .values("campaign_asset__generation__template_id", "date")
        .annotate(
            impressions=Sum("impressions"), clicks=Sum("clicks"), conversions=Sum("conversions"), spend=Sum("spend")
        )
    )
    days = [
        template_metrics.SyncedDay(
            template_id=row["campaign_asset__generation__template_id"],
            day=row["date"],
            impressions=row["impressions"] or 0,
            clicks=row["clicks"] or 0,
            conversions=row["conversions"] or 0,
            spend=row["spend"] or 0,
        )
        for row in rows
        if row["impressions"]
    ]
    return template_metrics.store_synced_metrics(days=days) if days else 0
