"""Operators' reports: revenue, AI cost against what it earned, usage, heavy users. Rollups only."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, timedelta
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import Round, TruncWeek

from accounts.models import User
from analytics.models import (
    HeavyUser,
    JobDay,
    PlatformDay,
    ProviderCostDay,
    RevenueDay,
    SubscriptionDay,
    UserDay,
    UserMilestone,
)
from analytics.reports import DateRange, Table
from analytics.services import heavy_users
from analytics.services.days import utc_bounds
from credits.models import CreditPackage

COST_CURRENCY = "USD"


def revenue_report(*, period: DateRange) -> dict:
    rows = RevenueDay.objects.filter(day__gte=period.first, day__lte=period.last)
    per_day: dict[tuple, dict] = defaultdict(lambda: {"gross": Decimal(0), "refunded": Decimal(0), "payments": 0})
    per_month: dict[tuple, dict] = defaultdict(lambda: {"gross": Decimal(0), "refunded": Decimal(0), "payments": 0})
    for row in rows:
        for key, bucket in (
            ((row.day.isoformat(), row.currency, row.kind), per_day),
            ((row.day.strftime("%Y-%m"), row.currency, row.kind), per_month),
        ):
            bucket[key]["gross"] += row.gross
            bucket[key]["refunded"] += row.refunded
            bucket[key]["payments"] += row.payments
    kind_label = {"credit_pack": "Credit packs", "subscription": "Plans"}

    def table(key, title, first_column, data) -> Table:
        return Table(
            key=key,
            title=title,
            columns=[first_column, "Currency", "Kind", "Payments", "Gross", "Refunded", "Net"],
            rows=[
                [
                    k[0],
                    k[1],
                    kind_label.get(k[2], k[2]),
                    v["payments"],
                    v["gross"],
                    v["refunded"],
                    v["gross"] - v["refunded"],
                ]
                for k, v in sorted(data.items())
            ],
        )

    net_by_day = defaultdict(Decimal)
    for (day, _currency, _kind), values in per_day.items():
        net_by_day[day] += values["gross"] - values["refunded"]
    daily_net = Table(
        key="net-revenue-per-day",
        title="Net revenue per day (all currencies added)",
        columns=["Day", "Net"],
        rows=[[day.isoformat(), net_by_day.get(day.isoformat(), Decimal(0))] for day in period.each_day()],
        chart_column=1,
    )
    subscriptions = SubscriptionDay.objects.filter(day__gte=period.first, day__lte=period.last)
    moves = subscriptions.values("currency").annotate(new=Sum("new"), churned=Sum("churned"), back=Sum("reactivated"))
    latest_day = subscriptions.order_by("-day").values_list("day", flat=True).first()
    mrr = Table(
        key="subscriptions",
        title="Plans: monthly recurring revenue and moves",
        columns=["Currency", "Live plans", "MRR", "New", "Churned", "Reactivated"],
    )
    latest = {row.currency: row for row in subscriptions.filter(day=latest_day)} if latest_day else {}
    for move in moves:
        now = latest.get(move["currency"])
        mrr.rows.append(
            [
                move["currency"],
                now.active if now else 0,
                now.mrr if now else 0,
                move["new"],
                move["churned"],
                move["back"],
            ]
        )
    platform = PlatformDay.objects.filter(day__gte=period.first, day__lte=period.last).aggregate(
        sold=Sum("credits_sold"),
        free=Sum("credits_free"),
        spent=Sum("credits_spent"),
        expired=Sum("credits_expired"),
        reversed=Sum("credits_reversed"),
    )
    outstanding = PlatformDay.objects.filter(day__lte=period.last).aggregate(total=Sum("ledger_net"))["total"] or 0
    credits = Table(
        key="credit-liability",
        title="Credits: sold, free, spent and outstanding",
        columns=["Sold", "Granted free", "Spent", "Expired", "Taken back", "Outstanding at the end"],
        rows=[
            [
                platform["sold"] or 0,
                platform["free"] or 0,
                platform["spent"] or 0,
                platform["expired"] or 0,
                platform["reversed"] or 0,
                outstanding,
            ]
        ],
    )
    return {
        "tables": [
            daily_net,
            table("revenue-per-day", "Revenue per day", "Day", per_day),
            table("revenue-per-month", "Revenue per month", "Month", per_month),
            mrr,
            credits,
        ],
    }


def credit_value() -> Decimal | None:
    """What one credit is worth at the cheapest pack on sale in US dollars (the providers bill in dollars)."""
    values = [
        package.price / (package.credits + package.bonus_credits)
        for package in CreditPackage.objects.filter(is_active=True, currency__iexact=COST_CURRENCY)
        if package.credits + package.bonus_credits
    ]
    return min(values).quantize(Decimal("0.0001")) if values else None


def ai_cost_report(*, period: DateRange) -> dict:
    value = credit_value()
    rows = ProviderCostDay.objects.filter(day__gte=period.first, day__lte=period.last).order_by(
        "day", "provider", "model"
    )
    detail = Table(
        key="ai-cost-per-day",
        title="AI cost and earnings per provider and model",
        columns=[
            "Day",
            "Provider",
            "Model",
            "Calls",
            "Failed",
            f"Cost ({COST_CURRENCY})",
            "Credits charged",
            f"Earned ({COST_CURRENCY})",
            f"Margin ({COST_CURRENCY})",
        ],
    )
    cost_by_day = defaultdict(Decimal)
    for row in rows:
        earned = (value * row.credits_charged).quantize(Decimal("0.01")) if value is not None else None
        detail.rows.append(
            [
                row.day.isoformat(),
                row.provider,
                row.model or "—",
                row.calls,
                row.failed_calls,
                row.cost.quantize(Decimal("0.0001")),
                row.credits_charged,
                earned if earned is not None else "—",
                (earned - row.cost).quantize(Decimal("0.01")) if earned is not None else "—",
            ]
        )
        cost_by_day[row.day] += row.cost
    daily = Table(
        key="ai-cost-total-per-day",
        title="AI cost per day",
        columns=["Day", f"Cost ({COST_CURRENCY})"],
        rows=[
            [day.isoformat(), cost_by_day.get(day, Decimal(0)).quantize(Decimal("0.01"))] for day in period.each_day()
        ],
        chart_column=1,
    )
    return {"tables": [daily, detail], "credit_value": value}


def usage_report(*, period: DateRange) -> dict:
    platform = {row.day: row for row in PlatformDay.objects.filter(day__gte=period.first, day__lte=period.last)}
    daily = Table(
        key="usage-per-day",
        title="Active users, generations and image operations per day",
        columns=[
            "Day",
            "Active users",
            "Sign-ups",
            "Generations",
            "Failed generations",
            "Image operations",
            "Failed operations",
        ],
        chart_column=1,
    )
    for day in period.each_day():
        row = platform.get(day)
        daily.rows.append(
            [
                day.isoformat(),
                *(
                    (
                        row.active_users,
                        row.signups,
                        row.generations,
                        row.generations_failed,
                        row.operations,
                        row.operations_failed,
                    )
                    if row
                    else (0, 0, 0, 0, 0, 0)
                ),
            ]
        )
    last = period.last
    # Counted by the rollup of that day: a distinct count over 30 days of UserDay is too slow to run per view.
    end = platform.get(last)
    active = {
        "Daily": end.active_users if end else 0,
        "Weekly": end.weekly_active_users if end else 0,
        "Monthly": end.monthly_active_users if end else 0,
    }
    jobs = Table(
        key="jobs",
        title="Jobs per day: failure rate and duration (percentiles are per day; they do not add up)",
        columns=["Day", "Kind", "Finished", "Failed", "Failure rate", "p50 (s)", "p95 (s)"],
    )
    for row in JobDay.objects.filter(day__gte=period.first, day__lte=period.last).order_by("day", "kind"):
        jobs.rows.append(
            [
                row.day.isoformat(),
                row.kind,
                row.finished,
                row.failed,
                f"{row.failed / row.finished:.1%}" if row.finished else "—",
                _seconds(row.p50_seconds),
                _seconds(row.p95_seconds),
            ]
        )
    funnel = Table(
        key="funnel",
        title="Sign-up → first generation → first payment, by week of sign-up",
        columns=["Week of sign-up", "Signed up", "Made an ad", "Paid"],
    )
    # Counted by the database per week (UTC): the sign-ups of 90 days are too many rows to bring over.
    monday = period.first - timedelta(days=period.first.weekday())
    funnel.rows = [
        [row["week"].date().isoformat(), row["signed_up"], row["generated"], row["paid"]]
        for row in UserMilestone.objects.filter(
            signed_up_at__gte=utc_bounds(monday).start, signed_up_at__lt=utc_bounds(period.last).end
        )
        .annotate(week=TruncWeek("signed_up_at", tzinfo=UTC))
        .values("week")
        .annotate(signed_up=Count("id"), generated=Count("first_generation_at"), paid=Count("first_payment_at"))
        .order_by("week")
    ]
    return {"tables": [daily, jobs, funnel], "active_users": active}


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _ranked(*, period: DateRange, today: date, limit: int) -> tuple[list[dict], list[dict]] | None:
    """The hourly ranking, when the range is a preset window ending today and it has been computed."""
    if period.last != today or period.days not in heavy_users.WINDOWS or limit > heavy_users.KEEP:
        return None
    rows = list(
        HeavyUser.objects.filter(as_of=today, window_days=period.days, position__lte=limit)
        .order_by("ranking", "position")
        .values("ranking", "user_id", "spent", "cost", "generations", "operations", "days")
    )
    if not rows:
        return None
    lists: dict[str, list[dict]] = {"credits": [], "cost": []}
    for row in rows:
        lists[row["ranking"]].append(
            {
                "user_id": row["user_id"],
                "spent": row["spent"],
                "cost": row["cost"],
                "gens": row["generations"],
                "ops": row["operations"],
                "days": row["days"],
            }
        )
    return lists["credits"], lists["cost"]


def heavy_users_report(*, period: DateRange, today: date | None = None, limit: int = 25) -> dict:
    ranked = _ranked(period=period, today=today, limit=limit) if today else None
    if ranked is not None:
        by_credits, by_cost = ranked
    else:
        totals = (
            UserDay.objects.filter(day__gte=period.first, day__lte=period.last)
            .values("user_id")
            .annotate(
                spent=Sum("credits_spent"),
                cost=Sum("ai_cost"),
                gens=Sum("generations"),
                ops=Sum("operations"),
                days=Count("id"),
            )
        )
        # The database sorts and cuts: only `limit` rows per list leave it, however many users were active.
        by_credits = list(totals.filter(spent__gt=0).order_by("-spent", "user_id")[:limit])
        # Sorted on the sum rounded to the column's places: SQLite adds decimals as floats
        # (0.05 + 0.04 = 0.09000000000000001), which would break ties unlike PostgreSQL's numeric.
        by_cost = list(
            totals.filter(cost__gt=0).annotate(cost_key=Round("cost", 4)).order_by("-cost_key", "user_id")[:limit]
        )
    emails = dict(User.objects.filter(id__in={r["user_id"] for r in by_credits + by_cost}).values_list("id", "email"))

    def table(key, title, rows) -> Table:
        return Table(
            key=key,
            title=title,
            columns=[
                "User",
                "Credits spent",
                f"AI cost ({COST_CURRENCY})",
                "Generations",
                "Image operations",
                "Active days",
            ],
            rows=[
                [
                    emails.get(r["user_id"], "(deleted)"),
                    r["spent"],
                    (r["cost"] or Decimal(0)).quantize(Decimal("0.0001")),
                    r["gens"],
                    r["ops"],
                    r["days"],
                ]
                for r in rows
            ],
            empty="Nobody used the platform in this period.",
        )

    return {
        "tables": [
            table("top-by-credits", "Top users by credits spent", by_credits),
            table("top-by-ai-cost", "Top users by AI cost", by_cost),
        ],
    }
