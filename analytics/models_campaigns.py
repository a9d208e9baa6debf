"""Rollups of ad performance (synced from Meta) and of landing-page visits, per day and user.

Ad days are the ad account's days: Meta counts each account's numbers in the account's time zone
and reports whole days, so they cannot be moved into another zone. Landing-page days are days of
the page owner's time zone (their preference), like their credits. Money stays in the ad account's
currency: amounts of different currencies are never added together.

Every row is recomputed from the raw rows by `analytics.services.campaign_rollups`.
"""

from django.conf import settings
from django.db import models

from campaigns.models import Campaign, CampaignAsset, LandingPage, MetaAdAccount
from craftplatform.models import TimestampedModel


class AdMetrics(models.Model):
    """The additive numbers of an insight row; ratios (CTR, CPC, CPM, CPA, ROAS) are derived from sums."""

    impressions = models.PositiveBigIntegerField(default=0)
    # Meta's reach per row; summed over rows it counts a person once per ad, day and breakdown value.
    reach = models.PositiveBigIntegerField(default=0)
    clicks = models.PositiveBigIntegerField(default=0)
    inline_link_clicks = models.PositiveBigIntegerField(default=0)
    spend = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    conversions = models.PositiveBigIntegerField(default=0)
    conversion_value = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        abstract = True


class AdDay(TimestampedModel, AdMetrics):
    """One ad's totals on one day of its ad account (the placement breakdown, which covers every
    impression once): the source of the per-day, per-campaign, per-ad and per-creative figures."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    # No database constraint: a rollup row must never block deleting what it summarises.
    ad_account = models.ForeignKey(MetaAdAccount, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    currency = models.CharField(max_length=3)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    campaign_asset = models.ForeignKey(
        CampaignAsset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    meta_campaign_id = models.CharField(max_length=64)
    meta_ad_id = models.CharField(max_length=64)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["day", "ad_account", "meta_ad_id"], name="analytics_ad_day_unique"),
        ]
        indexes = [models.Index(fields=["user", "day"], name="analytics_adday_user_day")]

    def __str__(self) -> str:
        return f"Ad {self.meta_ad_id} on {self.day}"


class AdBreakdownDay(TimestampedModel, AdMetrics):
    """All of one ad account's ads on one day, per platform and placement or per age and gender."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    ad_account = models.ForeignKey(MetaAdAccount, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    currency = models.CharField(max_length=3)
    breakdown = models.CharField(max_length=12)  # campaigns.sync.models.Breakdown values
    # Platform and placement, or age and gender.
    first = models.CharField(max_length=60, blank=True)
    second = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "ad_account", "breakdown", "first", "second"], name="analytics_ad_breakdown_day_unique"
            ),
        ]
        indexes = [models.Index(fields=["user", "day"], name="analytics_adbreakdown_user_day")]

    def __str__(self) -> str:
        return f"{self.breakdown} {self.first} {self.second} on {self.day}"


class PageDay(TimestampedModel):
    """One landing page on one day of its owner's time zone: views, unique visitors, clicks, form
    submits and conversions (leads and other conversions recorded for the page)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    page = models.ForeignKey(LandingPage, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)  # distinct visitors who viewed the page that day
    clicks = models.PositiveIntegerField(default=0)
    submits = models.PositiveIntegerField(default=0)
    conversions = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["day", "page"], name="analytics_page_day_unique")]
        indexes = [models.Index(fields=["user", "day"], name="analytics_pageday_user_day")]

    def __str__(self) -> str:
        return f"Page {self.page_id} on {self.day}"


class PageSourceDay(TimestampedModel):
    """One landing page on one day, per source (utm_source) and the CraftAds campaign and ad its
    address named (`ca-campaign-<id>`, `ca-ad-<id>`, as published ads write them)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    page = models.ForeignKey(LandingPage, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    day = models.DateField()
    source = models.CharField(max_length=200, blank=True)
    campaign_ref = models.CharField(max_length=64, blank=True)
    ad_ref = models.CharField(max_length=64, blank=True)
    views = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)
    conversions = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "page", "source", "campaign_ref", "ad_ref"], name="analytics_page_source_day_unique"
            ),
        ]
        indexes = [models.Index(fields=["user", "day"], name="analytics_pagesource_user_day")]

    def __str__(self) -> str:
        return f"Page {self.page_id} from {self.source or 'direct'} on {self.day}"
