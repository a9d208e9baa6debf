"""Campaigns as drafted in the wizard, their creatives, publish runs with one step per Meta object,
and the history of every change pushed to Meta."""

from django.conf import settings
from django.db import models

from campaigns.connections.models import MetaAdAccount, MetaPage
from craftplatform.jobs.models import Job, JobStatus
from craftplatform.models import MutableModel, TimestampedModel


class Objective(models.TextChoices):
    SALES = "OUTCOME_SALES", "Sales"
    LEADS = "OUTCOME_LEADS", "Leads"
    TRAFFIC = "OUTCOME_TRAFFIC", "Traffic"
    AWARENESS = "OUTCOME_AWARENESS", "Awareness"
    ENGAGEMENT = "OUTCOME_ENGAGEMENT", "Engagement"
    APP_PROMOTION = "OUTCOME_APP_PROMOTION", "App promotion"


class SpecialAdCategory(models.TextChoices):
    CREDIT = "CREDIT", "Credit"
    EMPLOYMENT = "EMPLOYMENT", "Employment"
    HOUSING = "HOUSING", "Housing"
    ISSUES = "ISSUES_ELECTIONS_POLITICS", "Social issues, elections or politics"


class BudgetType(models.TextChoices):
    DAILY = "daily", "Daily"
    LIFETIME = "lifetime", "Lifetime"


class BudgetLevel(models.TextChoices):
    CAMPAIGN = "campaign", "Campaign (Advantage+ campaign budget)"
    ADSET = "adset", "Ad set"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHING = "publishing", "Publishing"
    PARTIAL = "partial", "Partly published"
    PUBLISHED = "published", "Published"
    DELETED = "deleted", "Removed from Meta"


class DeliveryStatus(models.TextChoices):
    PAUSED = "PAUSED", "Paused"
    ACTIVE = "ACTIVE", "Active"
    ARCHIVED = "ARCHIVED", "Archived"


class Campaign(MutableModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=200)
    wizard_step = models.CharField(max_length=20, default="goal")
    # Goal
    objective = models.CharField(max_length=40, choices=Objective.choices, default=Objective.TRAFFIC)
    special_ad_categories = models.JSONField(default=list, blank=True)
    # Where it goes
    ad_account = models.ForeignKey(MetaAdAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    page = models.ForeignKey(MetaPage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Budget and schedule: minor units of `currency` (the ad account's)
    budget_type = models.CharField(max_length=10, choices=BudgetType.choices, default=BudgetType.DAILY)
    budget_level = models.CharField(max_length=10, choices=BudgetLevel.choices, default=BudgetLevel.CAMPAIGN)
    budget_amount = models.PositiveBigIntegerField(default=0)
    currency = models.CharField(max_length=3, blank=True)
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    # Audience: {"countries": [...], "regions": [...], "cities": [{"key", "name", "radius_km"}], "age_min",
    # "age_max", "genders": [1|2], "interests": [{"id", "name"}], "advantage_audience": bool}
    targeting = models.JSONField(default=dict, blank=True)
    estimated_audience = models.JSONField(default=dict, blank=True)
    # Placements
    placements_mode = models.CharField(max_length=10, default="automatic")  # automatic | manual
    placements = models.JSONField(default=list, blank=True)
    naming_pattern = models.CharField(max_length=200, default="{brand}_{goal}_{template}_{format}_{date}")
    # Publishing
    status = models.CharField(max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    start_paused = models.BooleanField(default=True)
    delivery_status = models.CharField(max_length=10, choices=DeliveryStatus.choices, blank=True)
    meta_campaign_id = models.CharField(max_length=64, blank=True)
    meta_adset_id = models.CharField(max_length=64, blank=True)
    spend = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    last_publish_result = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="campaigns_campaign_user")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        return bool(self.meta_campaign_id) and self.status in {CampaignStatus.PUBLISHED, CampaignStatus.PARTIAL}


class CampaignAsset(MutableModel):
    """One ad of the campaign: a generation (all its formats) and its words."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="assets")
    generation = models.ForeignKey("generations.Generation", on_delete=models.PROTECT, related_name="+")
    formats = models.JSONField(default=list, help_text="Format keys of the generation used in this ad.")
    position = models.PositiveSmallIntegerField(default=0)
    primary_text = models.TextField(blank=True)
    headline = models.CharField(max_length=255, blank=True)
    description = models.CharField(max_length=255, blank=True)
    call_to_action = models.CharField(max_length=40, default="LEARN_MORE")
    destination_url = models.URLField(max_length=1000, blank=True)
    utm = models.JSONField(default=dict, blank=True)
    ad_name = models.CharField(max_length=255, blank=True)
    meta_creative_id = models.CharField(max_length=64, blank=True)
    meta_ad_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["position", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "generation"], name="campaigns_asset_once"),
        ]

    def __str__(self) -> str:
        return self.ad_name or f"Ad {self.position + 1}"


class SavedAudience(MutableModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_audiences")
    name = models.CharField(max_length=120)
    targeting = models.JSONField(default=dict)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="campaigns_audience_name")]

    def __str__(self) -> str:
        return self.name


class RunState(models.TextChoices):
    """What the user reads; derived from the job's status (craftplatform.jobs) and the run's own fields."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting for Meta's rate limit"
    SUCCEEDED = "succeeded", "Published"
    FAILED = "failed", "Stopped (can resume)"
    NEEDS_REAUTH = "needs_reauth", "Waiting for you to reconnect Meta"
    DELETING = "deleting", "Deleting what was created"
    DELETED = "deleted", "Deleted from Meta"


class RunKind(models.TextChoices):
    PUBLISH = "publish", "Publish"
    DELETE = "delete", "Delete what was created"


NEEDS_REAUTH_CODE = "needs_reauth"


class PublishRun(Job):
    """A job on the shared runner (queue `sync`): claim by attempt, fenced lease, requeue by attempt,
    the shared sweep. A stopped run (failed) can be resumed or turned into a delete run."""

    job_task = "campaigns.tasks.run_publish_task"
    max_attempts_setting = "CAMPAIGN_PUBLISH_MAX_ATTEMPTS"
    lease_seconds_setting = "CAMPAIGN_PUBLISH_LEASE_SECONDS"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="publish_runs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=RunKind.choices, default=RunKind.PUBLISH)
    initial_status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PAUSED)
    # A rate-limited run is queued again for this time (at least what Meta asked); an early message waits.
    retry_at = models.DateTimeField(null=True, blank=True)
    error_step = models.CharField(max_length=255, blank=True)
    error_hint = models.CharField(max_length=500, blank=True)
    meta_error_code = models.IntegerField(null=True, blank=True)
    rate_limit_waits = models.PositiveSmallIntegerField(default=0)
    credits_quoted = models.PositiveIntegerField(default=0)
    hold = models.ForeignKey("credits.CreditHold", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "lease_expires_at"], name="campaigns_run_sweep")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.campaign} ({self.get_state_display()})"

    def job_hold_ids(self) -> list:
        return [self.hold_id] if self.hold_id else []

    def on_job_failed(self) -> list[str]:
        # A stopped run (any cause, the sweep's attempt cap included) leaves the campaign partly
        # published: its page offers Resume and "Delete what was created".
        Campaign.objects.filter(pk=self.campaign_id).update(
            status=CampaignStatus.PARTIAL,
            last_publish_result=f"Stopped{f' at {self.error_step}' if self.error_step else ''}: {self.error_message}"[
                :500
            ],
        )
        return []

    @property
    def state(self) -> str:
        if self.status == JobStatus.QUEUED:
            if self.kind == RunKind.DELETE:
                return RunState.DELETING
            return RunState.WAITING if self.retry_at else RunState.QUEUED
        if self.status == JobStatus.RUNNING:
            return RunState.DELETING if self.kind == RunKind.DELETE else RunState.RUNNING
        if self.status == JobStatus.COMPLETED:
            return RunState.DELETED if self.kind == RunKind.DELETE else RunState.SUCCEEDED
        return RunState.NEEDS_REAUTH if self.error_code == NEEDS_REAUTH_CODE else RunState.FAILED

    def get_state_display(self) -> str:
        return RunState(self.state).label

    @property
    def resumable(self) -> bool:
        return self.status in {JobStatus.FAILED, JobStatus.CANCELLED}


class StepKind(models.TextChoices):
    IMAGE = "image", "Image"
    CAMPAIGN = "campaign", "Campaign"
    ADSET = "adset", "Ad set"
    CREATIVE = "creative", "Ad creative"
    AD = "ad", "Ad"


class StepStatus(models.TextChoices):
    PENDING = "pending", "To do"
    DONE = "done", "Created"
    FAILED = "failed", "Failed"
    DELETED = "deleted", "Deleted"


class PublishStep(TimestampedModel):
    """One Meta object. `meta_id` is written the moment Meta returns it and never overwritten."""

    run = models.ForeignKey(PublishRun, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=10, choices=StepKind.choices)
    position = models.PositiveSmallIntegerField()
    # Unique per object, part of its name at Meta: a retry finds what an earlier attempt created.
    publish_key = models.CharField(max_length=40, unique=True)
    label = models.CharField(max_length=255)
    asset = models.ForeignKey(CampaignAsset, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    source_asset = models.ForeignKey(
        "generations.Asset", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    format_key = models.CharField(max_length=8, blank=True)
    status = models.CharField(max_length=10, choices=StepStatus.choices, default=StepStatus.PENDING)
    meta_id = models.CharField(max_length=64, blank=True)
    image_hash = models.CharField(max_length=64, blank=True)
    reused = models.BooleanField(default=False, help_text="Found at Meta already (uploaded or created before).")
    error_message = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["run", "position"], name="campaigns_step_position")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label}"


class CampaignChange(TimestampedModel):
    """Every change made to a campaign from CraftAds (who, when, before → after, pushed or not)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    field = models.CharField(max_length=40, blank=True)
    before = models.CharField(max_length=255, blank=True)
    after = models.CharField(max_length=255, blank=True)
    meta_object_id = models.CharField(max_length=64, blank=True)
    pushed = models.BooleanField(default=False)
    error_message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} {self.field}: {self.before} → {self.after}"
