"""Optimisation rules: saving them, evaluating them after each sync, applying, approving, undoing,
and the backtest. Every change reaches Meta through the campaign controls, which record it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from campaigns.connections.models import MetaAdAccount
from campaigns.publishing import controls
from campaigns.publishing.models import Campaign, CampaignAsset, CampaignStatus
from campaigns.publishing.services import CampaignError
from campaigns.rules import engine
from campaigns.rules.models import LogStatus, OptimizationLog, OptimizationRule, RuleAction, RuleLevel, RuleMode
from campaigns.sync import selectors as sync_selectors
from craftplatform.errors import DomainError

logger = logging.getLogger(__name__)

BUDGET_ACTIONS = (RuleAction.RAISE_BUDGET, RuleAction.LOWER_BUDGET)
LIVE_LOG_STATUSES = (LogStatus.SUGGESTED, LogStatus.APPLIED, LogStatus.NOTIFIED, LogStatus.SKIPPED)
INVERSE = {RuleAction.PAUSE: "activate", RuleAction.ACTIVATE: "pause"}

# Ready-made rules users start from (the form fills in these values).
RULE_TEMPLATES = {
    "pause-expensive-ads": {
        "name": "Pause ads whose cost per conversion is too high",
        "level": RuleLevel.AD,
        "conditions": [{"metric": "cpa", "operator": "gt", "value": "25", "days": 7}],
        "min_spend": "50",
        "action": RuleAction.PAUSE,
    },
    "scale-winners": {
        "name": "Raise the budget 20 % while ROAS stays at 4 or more for 3 days",
        "level": RuleLevel.CAMPAIGN,
        "conditions": [{"metric": "roas", "operator": "gte", "value": "4", "days": 3}],
        "min_spend": "30",
        "action": RuleAction.RAISE_BUDGET,
        "change_percent": 20,
    },
    "fatigued-ads": {
        "name": "Pause ads whose CTR fell by half against their first week",
        "level": RuleLevel.AD,
        "conditions": [{"metric": "ctr_vs_first_week", "operator": "lte", "value": "50", "days": 3}],
        "min_impressions": 2000,
        "action": RuleAction.PAUSE,
    },
}


class RuleError(DomainError):
    def __init__(self, message: str, errors: dict | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


def validate(*, campaign: Campaign, data: dict) -> dict[str, str]:
    """Field → message for everything wrong with a rule (empty when it can be saved)."""
    errors: dict[str, str] = {}
    conditions = data.get("conditions") or []
    if not conditions:
        errors["conditions"] = "Add at least one condition."
    for number, condition in enumerate(conditions, start=1):
        if condition.get("metric") not in engine.METRICS:
            errors["conditions"] = f"Condition {number}: choose a metric."
        elif condition.get("operator") not in engine.OPERATORS:
            errors["conditions"] = f"Condition {number}: choose a comparison."
        else:
            try:
                Decimal(str(condition.get("value")))
                days = int(condition.get("days", 0))
            except (ArithmeticError, ValueError, TypeError):
                errors["conditions"] = f"Condition {number}: the threshold and days are numbers."
                continue
            if not 1 <= days <= engine.MAX_WINDOW_DAYS:
                errors["conditions"] = f"Condition {number}: look back 1 to {engine.MAX_WINDOW_DAYS} days."
    action = data.get("action")
    if action in BUDGET_ACTIONS:
        if data.get("level") != RuleLevel.CAMPAIGN:
            errors["action"] = (
                "Budgets are changed for the whole campaign: choose the campaign as what the rule watches."
            )
        if not 1 <= int(data.get("change_percent") or 0) <= 500:
            errors["change_percent"] = "Change the budget by 1 to 500 %."
    floor, ceiling = data.get("budget_floor"), data.get("budget_ceiling")
    if floor is not None and ceiling is not None and floor > ceiling:
        errors["budget_floor"] = "The floor is above the ceiling."
    if campaign.status != CampaignStatus.PUBLISHED:
        errors["campaign"] = "Rules act on published campaigns: publish this one first."
    return errors


def save_rule(*, user, campaign: Campaign, data: dict, rule: OptimizationRule | None = None) -> OptimizationRule:
    errors = validate(campaign=campaign, data=data)
    if errors:
        raise RuleError("The rule was not saved.", errors)
    rule = rule or OptimizationRule(user=user, campaign=campaign)
    for name, value in data.items():
        setattr(rule, name, value)
    rule.save()
    return rule


# -- evaluation ------------------------------------------------------------------------------


@dataclass
class Firing:
    rule: OptimizationRule
    object_id: object  # campaign or campaign asset id
    day: date
    metrics: dict


def _objects(rule: OptimizationRule) -> dict[object, str]:
    if rule.level == RuleLevel.CAMPAIGN:
        return {rule.campaign_id: rule.campaign.name}
    assets = rule.campaign.assets.exclude(meta_ad_id="").values_list("pk", "ad_name", "meta_ad_id")
    return {pk: name or ad_id for pk, name, ad_id in assets}


def evaluate_rule(rule: OptimizationRule, *, day: date, series=None) -> list[Firing]:
    """Which objects the rule fires on for numbers up to `day` (cooldown not applied)."""
    if series is None:  # live: the database sums each window
        series = engine.load_windows(
            campaign_ids=[rule.campaign_id],
            level=rule.level,
            end=day,
            windows=engine.condition_windows(rule),
            first_week=engine.needs_first_week(rule),
        )
    firings = []
    for object_id in _objects(rule):
        found = series.get(object_id)
        values = engine.check(rule, found, day) if found is not None else None
        if values is not None:
            firings.append(Firing(rule, object_id, day, values))
    return firings


def _cooling(rule: OptimizationRule, object_id, now: datetime) -> bool:
    since = now - timedelta(hours=rule.cooldown_hours)
    logs = OptimizationLog.objects.filter(rule=rule, created_at__gt=since, status__in=LIVE_LOG_STATUSES)
    if rule.level == RuleLevel.AD:
        logs = logs.filter(asset_id=object_id)
    return logs.exists()


def evaluate_account(*, ad_account: MetaAdAccount, day: date | None = None) -> list[OptimizationLog]:
    """After a sync: every enabled rule of the account's published campaigns, once per cooldown."""
    day = day or sync_selectors.account_today(ad_account)
    now = timezone.now()
    logs = []
    rules = OptimizationRule.objects.filter(
        enabled=True, campaign__ad_account=ad_account, campaign__status=CampaignStatus.PUBLISHED
    ).select_related("campaign", "user")
    for rule in rules:
        for firing in evaluate_rule(rule, day=day):
            if _cooling(rule, firing.object_id, now):
                continue
            logs.append(_fire(firing))
    return logs


def _budget_change(rule: OptimizationRule, campaign: Campaign) -> tuple[int, int, str]:
    """(before, after, why) for a budget action, within floor, ceiling and the daily cap."""
    before = int(campaign.budget_amount)
    factor = Decimal(100 + rule.change_percent if rule.action == RuleAction.RAISE_BUDGET else 100 - rule.change_percent)
    after = int((Decimal(before) * factor / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    why = ""
    if rule.budget_ceiling is not None and after > rule.budget_ceiling:
        after, why = max(before, int(rule.budget_ceiling)), "held at the ceiling"
    if rule.budget_floor is not None and after < rule.budget_floor:
        after, why = min(before, int(rule.budget_floor)), "held at the floor"
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    first_today = (
        OptimizationLog.objects.filter(
            campaign=campaign, action__in=BUDGET_ACTIONS, status=LogStatus.APPLIED, applied_at__gte=today
        )
        .order_by("applied_at")
        .first()
    )
    start = int(first_today.before.get("budget", before)) if first_today else before
    cap = Decimal(rule.daily_change_cap_percent) / 100
    low, high = int(start * (1 - cap)), int(start * (1 + cap))
    if after > high or after < low:
        after, why = min(max(after, low), high), f"held to {rule.daily_change_cap_percent} % of today's starting budget"
    return before, after, why


def _fire(firing: Firing) -> OptimizationLog:
    rule = firing.rule
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=rule.campaign_id)
        asset = CampaignAsset.objects.get(pk=firing.object_id) if rule.level == RuleLevel.AD else None
        before: dict = {"status": campaign.delivery_status}
        after: dict = {}
        status = LogStatus.SUGGESTED if rule.mode == RuleMode.SUGGEST else LogStatus.APPLIED
        note = ""
        if rule.action in BUDGET_ACTIONS:
            budget_before, budget_after, note = _budget_change(rule, campaign)
            before, after = {"budget": budget_before}, {"budget": budget_after}
            if budget_after == budget_before:
                status = LogStatus.SKIPPED
        elif rule.action == RuleAction.NOTIFY:
            status = LogStatus.NOTIFIED
        else:
            after = {"status": "PAUSED" if rule.action == RuleAction.PAUSE else "ACTIVE"}
        log = OptimizationLog.objects.create(
            rule=rule,
            user=rule.user,
            campaign=campaign,
            asset=asset,
            rule_name=rule.name,
            day=firing.day,
            metrics=firing.metrics,
            action=rule.action,
            before=before,
            after=after,
            status=LogStatus.SUGGESTED if status == LogStatus.APPLIED else status,
            meta_response=note,
        )
    if status == LogStatus.APPLIED:
        _apply(log, actor=rule.user)
    return log


def _apply(log: OptimizationLog, *, actor, inverse: bool = False) -> None:
    """Push the log's change (or its inverse) to Meta through the controls, which record it."""
    target = log.before if inverse else log.after
    try:
        if log.action in BUDGET_ACTIONS:
            controls.change_budget(campaign=log.campaign, actor=actor, amount=int(target["budget"]))
        elif log.asset_id:
            action = INVERSE[log.action] if inverse else log.action
            controls.change_ad_status(asset=log.asset, actor=actor, action=action)
        else:
            action = INVERSE[log.action] if inverse else log.action
            controls.change_status(campaign=log.campaign, actor=actor, action=action)
    except CampaignError as exc:
        OptimizationLog.objects.filter(pk=log.pk).update(
            status=LogStatus.FAILED if not inverse else log.status,
            meta_response=exc.message,
            updated_at=timezone.now(),
        )
        log.refresh_from_db()
        if inverse:
            raise RuleError(exc.message) from exc
        return
    now = timezone.now()
    if inverse:
        OptimizationLog.objects.filter(pk=log.pk).update(status=LogStatus.UNDONE, undone_at=now, updated_at=now)
    else:
        OptimizationLog.objects.filter(pk=log.pk).update(
            status=LogStatus.APPLIED, applied_at=now, meta_response="Meta accepted the change.", updated_at=now
        )
    log.refresh_from_db()


def approve(*, log: OptimizationLog, user) -> OptimizationLog:
    if log.status != LogStatus.SUGGESTED:
        raise RuleError("Only a suggestion waiting for approval can be approved.")
    OptimizationLog.objects.filter(pk=log.pk).update(approved_by=user)
    log.approved_by = user
    _apply(log, actor=user)
    return log


def reject(*, log: OptimizationLog, user) -> OptimizationLog:
    if log.status != LogStatus.SUGGESTED:
        raise RuleError("Only a suggestion waiting for approval can be rejected.")
    OptimizationLog.objects.filter(pk=log.pk).update(
        status=LogStatus.REJECTED, approved_by=user, updated_at=timezone.now()
    )
    log.refresh_from_db()
    return log


def undo(*, log: OptimizationLog, user) -> OptimizationLog:
    if log.status != LogStatus.APPLIED or log.action == RuleAction.NOTIFY:
        raise RuleError("Only an applied change can be undone.")
    _apply(log, actor=user, inverse=True)
    return log


# -- backtest --------------------------------------------------------------------------------


@dataclass
class BacktestFiring:
    day: date
    object_label: str
    metrics: dict
    change: str


def backtest(*, rule: OptimizationRule, days: int, today: date | None = None) -> list[BacktestFiring]:
    """What the rule would have done over the last `days` days of synced numbers, day by day, with
    its cooldown: the same check the live evaluation runs after each sync."""
    today = today or sync_selectors.account_today(rule.campaign.ad_account)
    first = today - timedelta(days=days - 1)
    series = engine.load(
        campaign_ids=[rule.campaign_id],
        level=rule.level,
        end=today,
        window_days=days + engine.window_days(rule),
        first_week=engine.needs_first_week(rule),
    )
    labels = _objects(rule)
    last_fired: dict[object, date] = {}
    cooldown_days = max(1, -(-rule.cooldown_hours // 24))
    budget = int(rule.campaign.budget_amount)
    firings = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        for firing in evaluate_rule(rule, day=day, series=series):
            previous = last_fired.get(firing.object_id)
            if previous is not None and (day - previous).days < cooldown_days:
                continue
            last_fired[firing.object_id] = day
            if rule.action in BUDGET_ACTIONS:
                sign = 1 if rule.action == RuleAction.RAISE_BUDGET else -1
                new = int(budget * (100 + sign * rule.change_percent) / 100)
                if rule.budget_ceiling is not None:
                    new = min(new, int(rule.budget_ceiling))
                if rule.budget_floor is not None:
                    new = max(new, int(rule.budget_floor))
                change = f"budget {budget / 100:.2f} → {new / 100:.2f}"
                budget = new
            else:
                change = RuleAction(rule.action).label
            firings.append(BacktestFiring(day, labels.get(firing.object_id, "?"), firing.metrics, change))
    return firings
