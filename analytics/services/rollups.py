"""Recompute the rollup tables for a day from the raw rows, idempotently.

`recompute_day(day)` replaces every rollup row of that UTC day (and of that local day for users'
own credit figures) in one transaction: running it twice changes nothing, and late rows (a payment
webhook that arrived a day late, a job that ended after midnight) are picked up by recomputing a
window of recent days, which the beat task does every hour. Any past day can be recomputed with
`manage.py recompute_rollups`.

Definitions (the dashboards say the same in words):
- active user: made a generation or an image operation, or spent credits, that day;
- credits sold: pack and plan grants; free: welcome, daily, bonus, promotion, referral and positive
  staff adjustments; spent: usage net of usage refunds; reversed: taken back for refunds/disputes;
- revenue: payments by the day they were paid, refunds counted against the payment they refund;
- MRR: live plans (active or payment overdue) at the end of the day, yearly prices divided by 12.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Min, Q, Sum

from accounts.models import User, UserPreference
from analytics.models import (
    JobDay,
    PlatformDay,
    ProviderCostDay,
    RevenueDay,
    SubscriptionDay,
    UserCreditDay,
    UserDay,
    UserMilestone,
)
from analytics.services import campaign_rollups, heavy_users, rollups_sql
from analytics.services.days import Bounds, local_bounds, utc_bounds, zone_for
from credits.constants import (
    BillingInterval,
    Operation,
    PaymentStatus,
    SubscriptionStatus,
    TransactionType,
)
from credits.models import CreditTransaction, Payment, SubscriptionChange, UserSubscription
from generations.models import Generation, GenerationStatus, ImageOperation, OperationStatus, ProviderCall

SOLD = {TransactionType.PURCHASE, TransactionType.SUBSCRIPTION}
FREE = {
    TransactionType.BONUS,
    TransactionType.SIGNUP_BONUS,
    TransactionType.PROMOTION,
    TransactionType.REFERRAL,
    TransactionType.DAILY_ALLOWANCE,
    TransactionType.ADMIN_ADJUSTMENT,
}
SPENT = {TransactionType.USAGE, TransactionType.REFUND}
PAID_STATUSES = {PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
MRR_STATUSES = {SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE}
ENDED_STATUSES = {SubscriptionStatus.CANCELED, SubscriptionStatus.UNPAID, SubscriptionStatus.INCOMPLETE_EXPIRED}
# Which ledger operation pays for which kind of provider call.
CALL_OPERATION_CREDITS = {
    "image": Operation.AI_IMAGE,
    "copy": Operation.AI_COPY,
    "upscale": Operation.UPSCALE,
    "remove_background": Operation.REMOVE_BACKGROUND,
    "vectorize": Operation.VECTORIZE,
}
GENERATION_REFERENCE = "generation"
OPERATION_REFERENCE = "image_operation"


@transaction.atomic
def recompute_day(day: date) -> dict[str, int]:
    """Replace every rollup of `day`; returns the number of rows written per table."""
    bounds = utc_bounds(day)
    written = {
        "user_days": _user_days(day, bounds),
        "platform": _platform_day(day, bounds),
        "revenue": _revenue(day, bounds),
        "subscriptions": _subscriptions(day, bounds),
        "provider_costs": _provider_costs(day, bounds),
        "jobs": _jobs(day, bounds),
        "user_credits": _user_credit_days(day),
        "milestones": _milestones(bounds),
        **campaign_rollups.recompute_performance_day(day),
        **campaign_rollups.recompute_pages_day(day),
    }
    return written


@transaction.atomic
def recompute_performance_day(day: date) -> dict[str, int]:
    return campaign_rollups.recompute_performance_day(day)


def recompute_recent(*, today: date, days: int, performance_days: int) -> int:
    """Recompute every rollup of the last `days` days up to today, and the ad rollups of the last
    `performance_days` (Meta restates up to 28 days back) and of tomorrow (an ad account east of
    UTC is a day ahead). Returns the number of days recomputed."""
    first = today - timedelta(days=days)
    count = recompute_range(first, today)
    performance = [today + timedelta(days=1)]
    performance += [today - timedelta(days=n) for n in range(days + 1, performance_days + 1)]
    for day in performance:
        recompute_performance_day(day)
    heavy_users.rank_heavy_users(today=today)
    return count + len(performance)


def recompute_range(first: date, last: date) -> int:
    days = 0
    current = first
    while current <= last:
        recompute_day(current)
        current += timedelta(days=1)
        days += 1
    return days


def _ledger(bounds: Bounds):
    return CreditTransaction.objects.filter(created_at__gte=bounds.start, created_at__lt=bounds.end)


def _user_days(day: date, bounds: Bounds) -> int:
    if rollups_sql.in_database():
        return rollups_sql.user_days(day=day, bounds=bounds, spent_types=SPENT)
    rows: dict[object, dict] = defaultdict(
        lambda: {"generations": 0, "operations": 0, "credits_spent": 0, "ai_cost": Decimal(0)}
    )
    window = {"created_at__gte": bounds.start, "created_at__lt": bounds.end}
    for row in Generation.objects.filter(**window).values("user_id").annotate(n=Count("id")):
        rows[row["user_id"]]["generations"] = row["n"]
    for row in ImageOperation.objects.filter(**window).values("user_id").annotate(n=Count("id")):
        rows[row["user_id"]]["operations"] = row["n"]
    spent = (
        _ledger(bounds)
        .filter(type__in=SPENT, account__user__isnull=False)  # a deleted user's history stays anonymous
        .values("account__user_id")
        .annotate(total=Sum("amount"))
        .filter(total__lt=0)
    )
    for row in spent:
        rows[row["account__user_id"]]["credits_spent"] = -row["total"]
    for row in ProviderCall.objects.filter(user__isnull=False, **window).values("user_id").annotate(c=Sum("cost")):
        if row["c"]:
            rows[row["user_id"]]["ai_cost"] = row["c"]
    UserDay.objects.filter(day=day).delete()
    UserDay.objects.bulk_create([UserDay(day=day, user_id=user_id, **values) for user_id, values in rows.items()])
    return len(rows)


def _distinct_active(day: date, days: int) -> int:
    return UserDay.objects.filter(day__gt=day - timedelta(days=days), day__lte=day).values("user_id").distinct().count()


def _platform_day(day: date, bounds: Bounds) -> int:
    totals = {row["type"]: row for row in _ledger(bounds).values("type").annotate(total=Sum("amount"))}
    positive = {
        row["type"]: row["total"]
        for row in _ledger(bounds).filter(amount__gt=0).values("type").annotate(total=Sum("amount"))
    }

    def total(types) -> int:
        return sum(totals[t]["total"] for t in types if t in totals)

    window = {"created_at__gte": bounds.start, "created_at__lt": bounds.end}
    ended = {"completed_at__gte": bounds.start, "completed_at__lt": bounds.end}
    values = {
        "signups": User.objects.filter(created_at__gte=bounds.start, created_at__lt=bounds.end).count(),
        "active_users": UserDay.objects.filter(day=day).count(),
        "weekly_active_users": _distinct_active(day, 7),
        "monthly_active_users": _distinct_active(day, 30),
        "generations": Generation.objects.filter(**window).count(),
        "generations_failed": Generation.objects.filter(status=GenerationStatus.FAILED, **ended).count(),
        "operations": ImageOperation.objects.filter(**window).count(),
        "operations_failed": ImageOperation.objects.filter(status=OperationStatus.FAILED, **ended).count(),
        "credits_sold": total(SOLD),
        "credits_free": sum(positive.get(t, 0) for t in FREE),
        "credits_spent": -total(SPENT),
        "credits_expired": -total({TransactionType.EXPIRY}),
        "credits_reversed": -total({TransactionType.PAYMENT_REVERSAL}),
        "ledger_net": sum(row["total"] for row in totals.values()),
    }
    PlatformDay.objects.update_or_create(day=day, defaults=values)
    return 1


def _revenue(day: date, bounds: Bounds) -> int:
    rows = (
        Payment.objects.filter(status__in=PAID_STATUSES, paid_at__gte=bounds.start, paid_at__lt=bounds.end)
        .values("currency", "kind")
        .annotate(n=Count("id"), gross=Sum("amount"), refunded=Sum("amount_refunded"))
    )
    merged: dict[tuple[str, str], dict] = {}
    for row in rows:
        key = (row["currency"].upper(), row["kind"])
        entry = merged.setdefault(key, {"payments": 0, "gross": Decimal(0), "refunded": Decimal(0)})
        entry["payments"] += row["n"]
        entry["gross"] += row["gross"] or 0
        entry["refunded"] += row["refunded"] or 0
    RevenueDay.objects.filter(day=day).delete()
    RevenueDay.objects.bulk_create(
        [RevenueDay(day=day, currency=currency, kind=kind, **values) for (currency, kind), values in merged.items()]
    )
    return len(merged)


def monthly_amount(price: Decimal, interval: str) -> Decimal:
    return (price / 12).quantize(Decimal("0.01")) if interval == BillingInterval.YEAR else price


def _subscriptions(day: date, bounds: Bounds) -> int:
    """Each subscription's state at the end of the day, from its history of changes."""
    subscriptions = UserSubscription.objects.filter(created_at__lt=bounds.end).select_related("plan")
    latest: dict[object, SubscriptionChange] = {}
    for change in (
        SubscriptionChange.objects.filter(created_at__lt=bounds.end).select_related("to_plan").order_by("created_at")
    ):
        latest[change.subscription_id] = change
    figures: dict[str, dict] = defaultdict(
        lambda: {"active": 0, "mrr": Decimal(0), "new": 0, "churned": 0, "reactivated": 0}
    )
    for subscription in subscriptions:
        change = latest.get(subscription.pk)
        status = change.to_status if change else subscription.status
        plan = change.to_plan if change else subscription.plan
        if status in MRR_STATUSES:
            entry = figures[plan.currency.upper()]
            entry["active"] += 1
            entry["mrr"] += monthly_amount(plan.price, plan.interval)
    for change in SubscriptionChange.objects.filter(
        created_at__gte=bounds.start, created_at__lt=bounds.end
    ).select_related("to_plan"):
        entry = figures[change.to_plan.currency.upper()]
        if change.to_status in MRR_STATUSES and change.from_status in ENDED_STATUSES:
            entry["reactivated"] += 1
        elif change.to_status in MRR_STATUSES and change.from_status not in MRR_STATUSES:
            entry["new"] += 1
        elif change.to_status in ENDED_STATUSES and change.from_status not in ENDED_STATUSES:
            entry["churned"] += 1
    SubscriptionDay.objects.filter(day=day).delete()
    SubscriptionDay.objects.bulk_create(
        [SubscriptionDay(day=day, currency=currency, **values) for currency, values in figures.items()]
    )
    return len(figures)


def _provider_costs(day: date, bounds: Bounds) -> int:
    calls = ProviderCall.objects.filter(created_at__gte=bounds.start, created_at__lt=bounds.end).values(
        "provider", "model", "operation", "status", "cost", "generation_id", "image_operation_id"
    )
    figures: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"calls": 0, "failed_calls": 0, "cost": Decimal(0), "credits_charged": 0}
    )
    # Credits are charged per job and kind of work, not per call: a retried call earns nothing more.
    earners: dict[tuple[str, str, str], tuple[str, str]] = {}
    for call in calls:
        key = (call["provider"], call["model"] or "")
        entry = figures[key]
        entry["calls"] += 1
        entry["failed_calls"] += call["status"] != "success"
        entry["cost"] += call["cost"] or 0
        operation = CALL_OPERATION_CREDITS.get(call["operation"])
        if call["status"] == "success" and operation:
            if call["generation_id"]:
                earners.setdefault((GENERATION_REFERENCE, str(call["generation_id"]), operation), key)
            elif call["image_operation_id"]:
                earners.setdefault((OPERATION_REFERENCE, str(call["image_operation_id"]), operation), key)
    if earners:
        references = {(kind, ref) for kind, ref, _ in earners}
        usage = (
            CreditTransaction.objects.filter(
                type__in=SPENT,
                reference_type__in={kind for kind, _ in references},
                reference_id__in={ref for _, ref in references},
            )
            .values("reference_type", "reference_id", "operation")
            .annotate(total=Sum("amount"))
        )
        for row in usage:
            key = earners.get((row["reference_type"], row["reference_id"], row["operation"]))
            if key is not None and row["total"] < 0:
                figures[key]["credits_charged"] += -row["total"]
    ProviderCostDay.objects.filter(day=day).delete()
    ProviderCostDay.objects.bulk_create(
        [ProviderCostDay(day=day, provider=p, model=m, **values) for (p, m), values in figures.items()]
    )
    return len(figures)


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


def _jobs(day: date, bounds: Bounds) -> int:
    ended = {"completed_at__gte": bounds.start, "completed_at__lt": bounds.end}
    durations: dict[str, list[float]] = defaultdict(list)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"finished": 0, "failed": 0})
    terminal_generation = [GenerationStatus.COMPLETED, GenerationStatus.FAILED]
    for status, started, completed in Generation.objects.filter(status__in=terminal_generation, **ended).values_list(
        "status", "started_at", "completed_at"
    ):
        counts["generation"]["finished"] += 1
        counts["generation"]["failed"] += status == GenerationStatus.FAILED
        if started and status == GenerationStatus.COMPLETED:
            durations["generation"].append((completed - started).total_seconds())
    terminal_operation = [OperationStatus.COMPLETED, OperationStatus.FAILED]
    for kind, status, started, completed in ImageOperation.objects.filter(
        status__in=terminal_operation, **ended
    ).values_list("operation_type", "status", "started_at", "completed_at"):
        counts[kind]["finished"] += 1
        counts[kind]["failed"] += status == OperationStatus.FAILED
        if started and status == OperationStatus.COMPLETED:
            durations[kind].append((completed - started).total_seconds())
    JobDay.objects.filter(day=day).delete()
    JobDay.objects.bulk_create(
        [
            JobDay(
                day=day,
                kind=kind,
                p50_seconds=percentile(sorted(durations[kind]), 0.5),
                p95_seconds=percentile(sorted(durations[kind]), 0.95),
                **values,
            )
            for kind, values in counts.items()
        ]
    )
    return len(counts)


def _user_credit_days(day: date) -> int:
    """Per user and operation, on `day` of each user's own time zone."""
    if rollups_sql.in_database():
        return rollups_sql.user_credit_days(day=day, spent_types=SPENT)
    rows: list[UserCreditDay] = []
    # One pass per time zone in use (a handful), joined through the preference: never a list of ids.
    names = set(UserPreference.objects.values_list("timezone", flat=True).distinct())
    queries = [(zone_for(name), Q(account__user__preferences__timezone=name)) for name in names]
    queries.append((ZoneInfo("UTC"), Q(account__user__preferences__isnull=True)))
    for zone, who in queries:
        bounds = local_bounds(day, zone)
        spent = (
            _ledger(bounds)
            .filter(who, type__in=SPENT, account__user__isnull=False)
            .values("account__user_id", "operation")
            .annotate(total=Sum("amount"), uses=Count("id", filter=Q(type=TransactionType.USAGE)))
        )
        for row in spent:
            rows.append(
                UserCreditDay(
                    user_id=row["account__user_id"],
                    day=day,
                    operation=row["operation"] or "",
                    spent=-row["total"],
                    uses=row["uses"],
                )
            )
        granted = (
            _ledger(bounds)
            .filter(who, amount__gt=0, account__user__isnull=False)
            .exclude(type__in=SPENT)
            .values("account__user_id")
            .annotate(total=Sum("amount"))
        )
        for row in granted:
            rows.append(UserCreditDay(user_id=row["account__user_id"], day=day, operation="", granted=row["total"]))
    merged: dict[tuple, UserCreditDay] = {}
    for row in rows:
        key = (row.user_id, row.operation)
        if key in merged:
            merged[key].spent += row.spent
            merged[key].uses += row.uses
            merged[key].granted += row.granted
        else:
            merged[key] = row
    UserCreditDay.objects.filter(day=day).delete()
    UserCreditDay.objects.bulk_create(merged.values())
    return len(merged)


def _milestones(bounds: Bounds) -> int:
    """First generation and first payment of users who signed up, generated or paid in the window."""
    if rollups_sql.in_database():
        return rollups_sql.milestones(bounds=bounds, paid_statuses=PAID_STATUSES)
    touched = set(
        User.objects.filter(created_at__gte=bounds.start, created_at__lt=bounds.end).values_list("id", flat=True)
    )
    touched |= set(
        Generation.objects.filter(created_at__gte=bounds.start, created_at__lt=bounds.end).values_list(
            "user_id", flat=True
        )
    )
    touched |= set(
        Payment.objects.filter(paid_at__gte=bounds.start, paid_at__lt=bounds.end, user__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    if not touched:
        return 0
    firsts_generation = dict(
        Generation.objects.filter(user_id__in=touched)
        .values("user_id")
        .annotate(first=Min("created_at"))
        .values_list("user_id", "first")
    )
    firsts_payment = dict(
        Payment.objects.filter(user_id__in=touched, status__in=PAID_STATUSES, paid_at__isnull=False)
        .values("user_id")
        .annotate(first=Min("paid_at"))
        .values_list("user_id", "first")
    )
    UserMilestone.objects.bulk_create(
        [
            UserMilestone(
                user_id=user_id,
                signed_up_at=signed_up,
                first_generation_at=firsts_generation.get(user_id),
                first_payment_at=firsts_payment.get(user_id),
            )
            for user_id, signed_up in User.objects.filter(id__in=touched).values_list("id", "created_at")
        ],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["signed_up_at", "first_generation_at", "first_payment_at"],
        batch_size=2000,
    )
    return len(touched)
