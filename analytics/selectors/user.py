"""The user's own analytics, read from rollups only and always for the requesting user."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Sum
from django.utils import timezone

from accounts.models import UserPreference
from analytics.models import UserCreditDay
from analytics.reports import DateRange, Table
from analytics.services.days import zone_for
from credits.constants import Operation
from credits.selectors import plan_summary_for


def user_today(*, user) -> date:
    name = UserPreference.objects.filter(user=user).values_list("timezone", flat=True).first()
    return timezone.now().astimezone(zone_for(name)).date()


def credits_report(*, user, period: DateRange) -> dict:
    rows = UserCreditDay.objects.filter(user=user, day__gte=period.first, day__lte=period.last)
    per_day: dict[date, dict[str, int]] = defaultdict(lambda: {"spent": 0, "granted": 0})
    per_operation: dict[str, dict[str, int]] = defaultdict(lambda: {"spent": 0, "uses": 0})
    for row in rows.values("day", "operation", "spent", "uses", "granted"):
        per_day[row["day"]]["spent"] += row["spent"]
        per_day[row["day"]]["granted"] += row["granted"]
        if row["operation"]:
            per_operation[row["operation"]]["spent"] += row["spent"]
            per_operation[row["operation"]]["uses"] += row["uses"]
    previous = period.previous()
    previous_spent = (
        UserCreditDay.objects.filter(user=user, day__gte=previous.first, day__lte=previous.last).aggregate(
            total=Sum("spent")
        )["total"]
        or 0
    )
    labels = dict(Operation.choices)
    daily = Table(
        key="credits-per-day",
        title="Credits per day",
        columns=["Day", "Spent", "Received"],
        rows=[[day.isoformat(), per_day[day]["spent"], per_day[day]["granted"]] for day in period.each_day()],
        chart_column=1,
    )
    by_operation = Table(
        key="credits-per-operation",
        title="Credits per operation",
        columns=["Operation", "Times", "Credits spent"],
        rows=sorted(
            ([labels.get(op, op), v["uses"], v["spent"]] for op, v in per_operation.items()),
            key=lambda row: -row[2],
        ),
        empty="You spent no credits in this period.",
    )
    summary = plan_summary_for(user=user)
    subscription = summary["subscription"]
    renewal = None
    if subscription is not None and not subscription.cancel_at_period_end and subscription.current_period_end:
        renewal = {"date": subscription.current_period_end, "credits": summary["plan"].credits_per_period}
    spent = sum(v["spent"] for v in per_day.values())
    return {
        "tables": [daily, by_operation],
        "spent": spent,
        "previous_spent": previous_spent,
        "change": _change(spent, previous_spent),
        "available": summary["available"],
        "plan": summary["plan"],
        "renewal": renewal,
    }


def _change(current: float, previous: float) -> str:
    if not previous:
        return "" if not current else "none in the previous period"
    percent = (current - previous) / previous * 100
    return f"{percent:+.0f} % against the previous period ({previous})"
