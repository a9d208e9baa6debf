"""Reads of rules and their logs; every one filters by the requesting user (404 otherwise)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from campaigns.rules.models import LogStatus, OptimizationLog, OptimizationRule


def rules_for(user) -> QuerySet[OptimizationRule]:
    return OptimizationRule.objects.filter(user=user).select_related("campaign")


def get_rule_for_user(user, rule_id) -> OptimizationRule:
    rule = OptimizationRule.objects.filter(pk=rule_id, user=user).select_related("campaign__ad_account").first()
    if rule is None:
        raise Http404("No such rule.")
    return rule


def logs_for(user) -> QuerySet[OptimizationLog]:
    return OptimizationLog.objects.filter(user=user).select_related("campaign", "asset", "approved_by")


def pending_for(user) -> QuerySet[OptimizationLog]:
    return logs_for(user).filter(status=LogStatus.SUGGESTED)


def get_log_for_user(user, log_id) -> OptimizationLog:
    log = logs_for(user).filter(pk=log_id).first()
    if log is None:
        raise Http404("No such rule log.")
    return log
