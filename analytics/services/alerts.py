"""The daily AI cost alert: once per rule and day, staff are emailed and, if the rule says so, the
costliest provider of the day is switched off (and that is written to the audit trail)."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.urls import reverse

from accounts import tasks as account_tasks
from accounts.models import User
from accounts.services import record_audit_event
from analytics.models import CostAlert, CostAlertRule, ProviderCostDay
from generations.models import AIProvider

logger = logging.getLogger(__name__)


def check_cost_alerts(*, day: date) -> list[CostAlert]:
    """Fire every enabled rule whose threshold the day's AI cost passed, at most once per day."""
    costs = ProviderCostDay.objects.filter(day=day)
    total = costs.aggregate(total=Sum("cost"))["total"] or Decimal(0)
    fired = []
    for rule in CostAlertRule.objects.filter(enabled=True, daily_threshold__lt=total):
        alert = _fire(rule=rule, day=day, total=total, costs=costs)
        if alert is not None:
            fired.append(alert)
    return fired


def _fire(*, rule: CostAlertRule, day: date, total: Decimal, costs) -> CostAlert | None:
    try:
        with transaction.atomic():
            alert = CostAlert.objects.create(rule=rule, day=day, cost=total)
            if rule.switch_off_provider:
                costliest = costs.values("provider").annotate(c=Sum("cost")).order_by("-c").first()
                if costliest:
                    switched = AIProvider.objects.filter(key=costliest["provider"], enabled=True).update(enabled=False)
                    if switched:
                        alert.switched_off = costliest["provider"]
                        alert.save(update_fields=["switched_off"])
                        record_audit_event(
                            actor=None,
                            action="ai_provider.switched_off_by_cost_alert",
                            target=AIProvider.objects.get(key=costliest["provider"]),
                            details={
                                "day": day.isoformat(),
                                "cost": str(total),
                                "threshold": str(rule.daily_threshold),
                            },
                        )
            message = _message(alert=alert, rule=rule, costs=costs)
            if message["to"]:
                transaction.on_commit(lambda: account_tasks.send_email_task.delay(message), robust=True)
    except IntegrityError:
        return None  # this rule already fired today
    logger.warning("AI cost alert fired", extra={"day": day.isoformat(), "cost": str(total), "rule": str(rule.pk)})
    return alert


def _message(*, alert: CostAlert, rule: CostAlertRule, costs) -> dict:
    recipients = list(User.objects.filter(is_staff=True, is_active=True).values_list("email", flat=True))
    context = {
        "alert": alert,
        "rule": rule,
        "costs": costs.order_by("-cost"),
        "product_name": settings.PRODUCT_NAME,
        "report_url": f"{settings.SITE_URL}{reverse('analytics:staff_ai_cost')}",
    }
    return {
        "template": "analytics/email/cost_alert",
        "subject": f"{settings.PRODUCT_NAME}: AI cost on {alert.day} passed {rule.daily_threshold} {rule.currency}",
        "body": render_to_string("analytics/email/cost_alert.txt", context),
        "from_email": settings.DEFAULT_FROM_EMAIL,
        "to": recipients,
    }
