"""Performance synced from Meta: one row per ad, day and breakdown, and the sync runs that fetch them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from campaigns.connections.models import MetaAdAccount
from campaigns.publishing.models import Campaign, CampaignAsset
from craftplatform.jobs import ACTIVE_STATUSES, Job
from craftplatform.models import MutableModel

# Actions that count as conversions, and whose values are revenue (Meta's action types).
CONVERSION_ACTIONS = (
    "purchase",
    "offsite_conversion.fb_pixel_purchase",
    "onsite_web_purchase",
    "lead",
    "offsite_conversion.fb_pixel_lead",
    "onsite_conversion.lead_grouped",
    "complete_registration",
)
VALUE_ACTIONS = ("purchase", "offsite_conversion.fb_pixel_purchase", "onsite_web_purchase")


class SyncKind(models.TextChoices):
    DAILY = "daily", "Daily"
    MANUAL = "manual", "Sync now"


class SyncRun(Job):
    """One sync of one ad account: structure, then insights for a range of days (a job on the runner)."""

    job_task = "campaigns.tasks.run_sync_task"
    max_attempts_setting = "META_SYNC_MAX_ATTEMPTS"
    lease_seconds_setting = "META_SYNC_LEASE_SECONDS"

    ad_account = models.ForeignKey(MetaAdAccount, on_delete=models.CASCADE, related_name="sync_runs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=SyncKind.choices)
    # The day a daily sync is for: two beat ticks on one day make one sync (the constraint below).
    scheduled_for = models.DateField(null=True, blank=True)
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    # Windows of days already stored by this run ("placement:2026-11-01"): a resumed attempt skips them.
    progress = models.JSONField(default=list, blank=True)
    rows_fetched = models.PositiveIntegerField(default=0)
    rows_inserted = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rate_limit_waits = models.PositiveSmallIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["ad_account", "-created_at"], name="sync_run_account_idx")]
        constraints = [
            # At most one sync queued or running per ad account, whoever asks.
            models.UniqueConstraint(
                fields=["ad_account"], condition=Q(status__in=ACTIVE_STATUSES), name="sync_run_one_active_per_account"
            ),
            models.UniqueConstraint(
                fields=["ad_account", "scheduled_for"],
                condition=Q(kind="daily"),
                name="sync_run_one_daily_per_account_and_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} sync of {self.ad_account_id} ({self.get_status_display()})"

    @property
    def rows_written(self) -> int:
        return self.rows_inserted + self.rows_updated


class Breakdown(models.TextChoices):
    PLACEMENT = "placement", "Platform and placement"
    DEMOGRAPHIC = "demographic", "Age and gender"


_CONVERSIONS, _VALUES = frozenset(CONVERSION_ACTIONS), frozenset(VALUE_ACTIONS)
_FOUR_PLACES = Decimal("0.0001")


def _ratio(numerator, denominator, scale=1) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * scale / Decimal(denominator)).quantize(_FOUR_PLACES)


def _count(value) -> int:
    try:
        return int(value)  # a string of digits, as Graph sends counts
    except (TypeError, ValueError):
        return int(Decimal(str(value)))


class PerformanceRecord(MutableModel):
    """What one ad did on one day, for one breakdown value set, as Meta reports it (restated days
    are updated in place). It links back to the campaign creative, so every number can be traced to
    the image that earned it (asset → generation → template)."""

    ad_account = models.ForeignKey(MetaAdAccount, on_delete=models.CASCADE, related_name="performance")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="performance")
    campaign_asset = models.ForeignKey(
        CampaignAsset, null=True, blank=True, on_delete=models.SET_NULL, related_name="performance"
    )
    meta_campaign_id = models.CharField(max_length=64)
    meta_adset_id = models.CharField(max_length=64, blank=True)
    meta_ad_id = models.CharField(max_length=64)
    date = models.DateField()
    breakdown = models.CharField(max_length=12, choices=Breakdown.choices)
    publisher_platform = models.CharField(max_length=40, blank=True)
    platform_position = models.CharField(max_length=60, blank=True)
    age = models.CharField(max_length=12, blank=True)
    gender = models.CharField(max_length=12, blank=True)
    attribution_setting = models.CharField(max_length=60, blank=True)
    currency = models.CharField(max_length=3)

    impressions = models.PositiveBigIntegerField(default=0)
    reach = models.PositiveBigIntegerField(default=0)
    frequency = models.DecimalField(max_digits=10, decimal_places=4, default=0)
    clicks = models.PositiveBigIntegerField(default=0)
    inline_link_clicks = models.PositiveBigIntegerField(default=0)
    spend = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    actions = models.JSONField(default=dict, blank=True, help_text="Action type → count.")
    action_values = models.JSONField(default=dict, blank=True, help_text="Action type → value.")
    conversions = models.PositiveBigIntegerField(default=0)
    conversion_value = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    ctr = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    cpc = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    cpa = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    roas = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "ad_account",
                    "meta_ad_id",
                    "date",
                    "breakdown",
                    "publisher_platform",
                    "platform_position",
                    "age",
                    "gender",
                    "attribution_setting",
                ],
                name="performance_one_row_per_key",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "breakdown", "date"], name="perf_campaign_day_idx"),
            models.Index(fields=["ad_account", "breakdown", "date"], name="perf_account_day_idx"),
            models.Index(fields=["campaign_asset", "breakdown", "date"], name="perf_asset_day_idx"),
            # The daily ad rollups read one day of every account.
            models.Index(fields=["date", "breakdown"], name="perf_day_breakdown_idx"),
        ]

    def __str__(self) -> str:
        return f"Ad {self.meta_ad_id} on {self.date} ({self.breakdown})"

    def derive(self) -> None:
        """Conversions, their value and the ratios, from the stored counts (CTR in %, CPC, CPA, ROAS)."""
        (self.conversions, self.conversion_value, self.ctr, self.cpc, self.cpa, self.roas) = derive_metrics(
            actions=self.actions,
            action_values=self.action_values,
            clicks=self.clicks,
            impressions=self.impressions,
            spend=self.spend,
        )


def derive_metrics(
    *, actions: dict, action_values: dict, clicks: int, impressions: int, spend: Decimal
) -> tuple[int, Decimal, Decimal | None, Decimal | None, Decimal | None, Decimal | None]:
    """(conversions, conversion value, CTR in %, CPC, CPA, ROAS) from one row's counts: the one
    derivation both the model and the sync's bulk ingest use."""
    # Over the row's own (few) action types, looked up in the sets of those that count.
    conversions = sum(_count(v) for k, v in actions.items() if k in _CONVERSIONS)
    value = sum((Decimal(str(v)) for k, v in action_values.items() if k in _VALUES), Decimal(0))
    return (
        conversions,
        value,
        _ratio(clicks, impressions, 100),
        _ratio(spend, clicks),
        _ratio(spend, conversions),
        _ratio(value, spend),
    )
