"""The heavy users of the preset windows (7, 14, 28, 90 days up to today), ranked once an hour.

Ranking every user by 90 days of `UserDay` is a GROUP BY over millions of rows at a busy platform's
scale: seconds, not the 150 ms a dashboard has. The hourly task reads those rows once, in one pass
with a filtered sum per window, and keeps the top of each list; the staff page reads that table when
the range is a preset ending today."""

from __future__ import annotations

import heapq
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum

from analytics.models import HeavyUser, UserDay

WINDOWS = (7, 14, 28, 90)
KEEP = 25
METRICS = ("spent", "cost", "generations", "operations", "days")


@transaction.atomic
def rank_heavy_users(*, today: date) -> int:
    """Replace the rankings as of `today`; keep yesterday's too (a page open across midnight), drop older."""
    longest = max(WINDOWS)
    rows = UserDay.objects.filter(day__gt=today - timedelta(days=longest), day__lte=today)
    aggregates = {}
    for window in WINDOWS:
        inside = Q(day__gt=today - timedelta(days=window))
        aggregates |= {
            f"spent_{window}": Sum("credits_spent", filter=inside),
            f"cost_{window}": Sum("ai_cost", filter=inside),
            f"generations_{window}": Sum("generations", filter=inside),
            f"operations_{window}": Sum("operations", filter=inside),
            f"days_{window}": Count("id", filter=inside),
        }
    tops: dict[tuple[int, str], list] = {(w, r): [] for w in WINDOWS for r in ("credits", "cost")}
    for row in rows.values("user_id").annotate(**aggregates).order_by().iterator(chunk_size=5000):
        for window in WINDOWS:
            spent, cost = row[f"spent_{window}"] or 0, row[f"cost_{window}"] or Decimal(0)
            # Ties break on the user id, as the live query orders them.
            for ranking, value in (("credits", spent), ("cost", cost)):
                if value > 0:
                    _keep(tops[(window, ranking)], (value, _reverse(row["user_id"]), row, window))
    HeavyUser.objects.filter(Q(as_of=today) | Q(as_of__lt=today - timedelta(days=1))).delete()
    written = []
    for (window, ranking), heap in tops.items():
        for position, (_, _, row, _) in enumerate(sorted(heap, reverse=True), start=1):
            written.append(
                HeavyUser(
                    as_of=today,
                    window_days=window,
                    ranking=ranking,
                    position=position,
                    user_id=row["user_id"],
                    **{name: row[f"{name}_{window}"] or 0 for name in METRICS},
                )
            )
    HeavyUser.objects.bulk_create(written)
    return len(written)


def _reverse(user_id) -> tuple:
    # In a max-heap ordering, the smaller id must win a tie: compare on the negated bytes.
    return tuple(-b for b in user_id.bytes)


def _keep(heap: list, item: tuple) -> None:
    if len(heap) < KEEP:
        heapq.heappush(heap, item)
    elif item[:2] > heap[0][:2]:
        heapq.heapreplace(heap, item)
