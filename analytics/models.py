"""Analytics' tables: page events bulk-loaded from the landing pages' beacon, and rollup tables:
what the dashboards read. Nothing here is the truth; every row is recomputed from
the raw rows (ledger, payments, subscriptions, generations, image operations, provider calls) by
`analytics.services.rollups`, idempotently, for any day.

Days are UTC calendar days for platform-wide figures; a user's own figures are kept per day in the
user's time zone (their preference), so "today" on their page is their today.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from campaigns.models import LandingPage
from craftplatform.models import TimestampedModel


class PlatformDay(TimestampedModel):
    """Platform-wide counts for one UTC day."""

    day = models.DateField(unique=True)
    signups = models.PositiveIntegerField(default=0)
    active_users = models.PositiveIntegerField(default=0)
    # Distinct active users of the 7 and 30 days ending this day (counted when this day is recomputed).
    weekly_active_users = models.PositiveIntegerField(default=0)
    monthly_active_users = models.PositiveIntegerField(default=0)
    generations = models.PositiveIntegerField(default=0)
    generations_failed = models.PositiveIntegerField(default=0)
    operations = models.PositiveIntegerField(default=0)
    operations_failed = models.PositiveIntegerField(default=0)
    # Credits, from the ledger: sold (packs and plans), granted free (welcome, daily, promotions,
    # staff), spent (usage net of usage refunds), expired, taken back (refunds and disputes).
    credits_sold = models.IntegerField(default=0)
    credits_free = models.IntegerField(default=0)
    credits_spent = models.IntegerField(default=0)
    credits_expired = models.IntegerField(default=0)
    credits_reversed = models.IntegerField(default=0)
    # The sum of every ledger amount of the day: the running total of these is what users hold.
    ledger_net = models.IntegerField(default=0)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"Platform {self.day}"


class RevenueDay(TimestampedModel):
    """Money received on one UTC day, per currency and kind (packs or plans)."""

    day = models.DateField()
    currency = models.CharField(max_length=3)
    kind = models.CharField(max_length=16)  # credits.constants.PaymentKind values
    payments = models.PositiveIntegerField(default=0)
    gross = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    refunded = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        ordering = ["-day", "currency", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["day", "currency", "kind"], name="analytics_revenue_day_unique"),
        ]

    def __str__(self) -> str:
        return f"Revenue {self.day} {self.kind} {self.currency}"

    @property
    def net(self):
        return self.gross - self.refunded


class SubscriptionDay(TimestampedModel):
    """Subscriptions at the end of one UTC day, per currency: active count, MRR and the day's moves."""

    day = models.DateField()
    currency = models.CharField(max_length=3)
    active = models.PositiveIntegerField(default=0)
    mrr = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    new = models.PositiveIntegerField(default=0)
    churned = models.PositiveIntegerField(default=0)
    reactivated = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "currency"]
        constraints = [models.UniqueConstraint(fields=["day", "currency"], name="analytics_subscription_day_unique")]

    def __str__(self) -> str:
        return f"Subscriptions {self.day} {self.currency}"


class ProviderCostDay(TimestampedModel):
    """AI provider calls of one UTC day per provider and model: what they cost us, what they earned."""

    day = models.DateField()
    provider = models.CharField(max_length=50)
    model = models.CharField(max_length=100, blank=True)
    calls = models.PositiveIntegerField(default=0)
    failed_calls = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    credits_charged = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "provider", "model"]
        constraints = [
            models.UniqueConstraint(fields=["day", "provider", "model"], name="analytics_provider_cost_day_unique"),
        ]

    def __str__(self) -> str:
        return f"AI cost {self.day} {self.provider} {self.model}"


class JobDay(TimestampedModel):
    """Background jobs that ended on one UTC day, per kind: how many, how many failed, how long."""

    day = models.DateField()
    kind = models.CharField(max_length=40)  # "generation" or an image operation type
    finished = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    p50_seconds = models.FloatField(null=True, blank=True)
    p95_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "kind"]
        constraints = [models.UniqueConstraint(fields=["day", "kind"], name="analytics_job_day_unique")]

    def __str__(self) -> str:
        return f"Jobs {self.day} {self.kind}"


class UserDay(TimestampedModel):
    """One user's activity on one UTC day: the source of active users and of the heavy-users list."""

    day = models.DateField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    generations = models.PositiveIntegerField(default=0)
    operations = models.PositiveIntegerField(default=0)
    credits_spent = models.IntegerField(default=0)
    ai_cost = models.DecimalField(max_digits=14, decimal_places=4, default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["day", "user"], name="analytics_user_day_unique")]
        indexes = [models.Index(fields=["user", "day"], name="analytics_userday_user")]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.day}"


class HeavyUser(TimestampedModel):
    """The top users of the last 7, 14, 28 and 90 UTC days up to `as_of`, by credits spent and by AI
    cost, precomputed by the hourly rollup: ranking 100,000 users over 90 days of `UserDay` takes
    seconds, reading this takes milliseconds. Custom ranges are still ranked from `UserDay`."""

    as_of = models.DateField()
    window_days = models.PositiveSmallIntegerField()
    ranking = models.CharField(max_length=8)  # "credits" or "cost"
    position = models.PositiveSmallIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    spent = models.IntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    generations = models.PositiveIntegerField(default=0)
    operations = models.PositiveIntegerField(default=0)
    days = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["as_of", "window_days", "ranking", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["as_of", "window_days", "ranking", "position"], name="analytics_heavy_user_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.position} by {self.ranking} over {self.window_days} days to {self.as_of}"


class UserCreditDay(TimestampedModel):
    """Credits one user spent on one day of their own time zone, per operation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    operation = models.CharField(max_length=32, blank=True)
    spent = models.IntegerField(default=0)
    uses = models.PositiveIntegerField(default=0)
    granted = models.IntegerField(default=0)

    class Meta:
        ordering = ["-day", "operation"]
        constraints = [
            models.UniqueConstraint(fields=["user", "day", "operation"], name="analytics_user_credit_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day} {self.operation or 'grants'}"


class UserMilestone(TimestampedModel):
    """When a user signed up, first generated and first paid: the funnel by week of sign-up."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    signed_up_at = models.DateTimeField()
    first_generation_at = models.DateTimeField(null=True, blank=True)
    first_payment_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["signed_up_at"], name="analytics_milestone_signup")]

    def __str__(self) -> str:
        return f"Milestones of {self.user_id}"


class CostAlertRule(TimestampedModel):
    """Staff's daily AI cost threshold. Past it, staff are emailed once that day and, if chosen, the
    provider that cost the most is switched off."""

    daily_threshold = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    switch_off_provider = models.BooleanField(
        default=False, help_text="Also switch off the costliest provider of the day when the threshold is passed."
    )
    enabled = models.BooleanField(default=True)

    class Meta:
        verbose_name = "AI cost alert"
        constraints = [models.CheckConstraint(condition=Q(daily_threshold__gt=0), name="analytics_cost_alert_positive")]

    def __str__(self) -> str:
        return f"Alert past {self.daily_threshold} {self.currency} a day"


class CostAlert(TimestampedModel):
    """An alert that fired: at most one per rule and day (the unique constraint makes it fire once)."""

    rule = models.ForeignKey(CostAlertRule, on_delete=models.CASCADE, related_name="alerts")
    day = models.DateField()
    cost = models.DecimalField(max_digits=14, decimal_places=4)
    switched_off = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["rule", "day"], name="analytics_cost_alert_once_a_day")]

    def __str__(self) -> str:
        return f"{self.day}: {self.cost}"


# -- Page events (landing pages, issue 15) ------------------------------------------------------
class PageEventType(models.TextChoices):
    VIEW = "view", "Page view"
    CLICK = "click", "CTA click"
    SUBMIT = "submit", "Form submit"
    SCROLL = "scroll", "Scrolled past the fold"


class PageEvent(TimestampedModel):
    """One accepted beacon event. `ingest_id` (the stream entry id, or a random id when written
    directly) is unique, so a batch loaded twice after a crash is stored once."""

    ingest_id = models.CharField(max_length=64, unique=True)
    page = models.ForeignKey(LandingPage, on_delete=models.CASCADE, related_name="events", db_constraint=False)
    version_number = models.PositiveIntegerField(default=0)
    event_type = models.CharField(max_length=10, choices=PageEventType.choices)
    component_id = models.CharField(max_length=36, blank=True)
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    fbclid = models.CharField(max_length=500, blank=True)
    referrer = models.CharField(max_length=500, blank=True)
    visitor_hash = models.CharField(max_length=64)
    country = models.CharField(max_length=2, blank=True)
    occurred_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["page", "occurred_at"], name="analytics_event_page_time")]

    def __str__(self) -> str:
        return f"{self.event_type} on {self.page_id}"


# The ad-performance and landing-page rollups live in their own module (one concern per file).
from analytics.models_campaigns import AdBreakdownDay, AdDay, PageDay, PageSourceDay  # noqa: E402, F401
