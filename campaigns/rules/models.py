"""Optimisation rules that act on synced numbers, and the log of every time one fired."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from campaigns.publishing.models import Campaign, CampaignAsset
from craftplatform.models import MutableModel


class RuleLevel(models.TextChoices):
    CAMPAIGN = "campaign", "The campaign"
    AD = "ad", "Each ad of the campaign"


class RuleAction(models.TextChoices):
    PAUSE = "pause", "Pause"
    ACTIVATE = "activate", "Activate"
    RAISE_BUDGET = "raise_budget", "Raise the budget"
    LOWER_BUDGET = "lower_budget", "Lower the budget"
    NOTIFY = "notify", "Only tell me"


class RuleMode(models.TextChoices):
    SUGGEST = "suggest", "Suggest: I approve each change"
    AUTOMATIC = "automatic", "Automatic: apply at once"


class OptimizationRule(MutableModel):
    """When every condition holds for the object over its window (and the minimum spend or
    impressions are reached), the action is suggested or applied, at most once per cooldown."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="optimization_rules")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="optimization_rules")
    name = models.CharField(max_length=120)
    level = models.CharField(max_length=10, choices=RuleLevel.choices, default=RuleLevel.CAMPAIGN)
    # [{"metric": "cpa", "operator": "gt", "value": "25", "days": 7}, ...], all must hold.
    conditions = models.JSONField(default=list)
    min_spend = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    min_impressions = models.PositiveIntegerField(default=0)
    action = models.CharField(max_length=14, choices=RuleAction.choices)
    change_percent = models.PositiveSmallIntegerField(default=0, help_text="Budget change per firing, in %.")
    budget_floor = models.PositiveBigIntegerField(null=True, blank=True, help_text="Minor units.")
    budget_ceiling = models.PositiveBigIntegerField(null=True, blank=True, help_text="Minor units.")
    daily_change_cap_percent = models.PositiveSmallIntegerField(
        default=30, help_text="The campaign's budget moves at most this much in a day, all rules together."
    )
    cooldown_hours = models.PositiveSmallIntegerField(default=24)
    mode = models.CharField(max_length=10, choices=RuleMode.choices, default=RuleMode.SUGGEST)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["campaign", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(change_percent__lte=500), name="rule_change_percent_bounded"),
            models.CheckConstraint(
                condition=Q(budget_floor__isnull=True)
                | Q(budget_ceiling__isnull=True)
                | Q(budget_floor__lte=models.F("budget_ceiling")),
                name="rule_floor_below_ceiling",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LogStatus(models.TextChoices):
    SUGGESTED = "suggested", "Waiting for your approval"
    APPLIED = "applied", "Applied"
    NOTIFIED = "notified", "Told you"
    REJECTED = "rejected", "Rejected"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Meta refused"
    UNDONE = "undone", "Undone"


class OptimizationLog(MutableModel):
    """One firing: the numbers that made the rule fire, the change, before → after, Meta's answer,
    and who approved or undid it."""

    rule = models.ForeignKey(OptimizationRule, null=True, on_delete=models.SET_NULL, related_name="logs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="optimization_logs")
    asset = models.ForeignKey(CampaignAsset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule_name = models.CharField(max_length=120)
    day = models.DateField(help_text="The last day of the numbers it fired on.")
    metrics = models.JSONField(default=dict)
    action = models.CharField(max_length=14, choices=RuleAction.choices)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=LogStatus.choices)
    meta_response = models.TextField(blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    # Written by the AI chat provider from the numbers, when one is configured and the user asked.
    explanation = models.TextField(blank=True)
    explanation_by = models.CharField(max_length=150, blank=True, help_text="The provider and model that wrote it.")
    explained_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["campaign", "-created_at"], name="optlog_campaign_idx")]

    def __str__(self) -> str:
        return f"{self.rule_name}: {self.get_action_display()} ({self.get_status_display()})"
