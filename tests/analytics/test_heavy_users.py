"""The hourly heavy-user ranking gives the staff page the same lists as ranking `UserDay` live, for
every preset window, ties included; and the usage page's weekly and monthly actives equal a distinct
count over the days they cover."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from analytics.models import HeavyUser, PlatformDay, UserDay
from analytics.reports import DateRange
from analytics.selectors import staff
from analytics.services import heavy_users, rollups
from tests.factories import UserFactory

TODAY = date(2026, 11, 30)


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2])
def test_the_ranking_equals_the_live_query_for_every_preset_window(seed):
    rng = random.Random(seed)  # noqa: S311 (seeded test data)
    users = [UserFactory() for _ in range(40)]
    rows = []
    for user in users:
        for back in rng.sample(range(100), rng.randint(1, 30)):
            rows.append(
                UserDay(
                    user=user,
                    day=TODAY - timedelta(days=back),
                    generations=rng.randint(0, 5),
                    operations=rng.randint(0, 3),
                    # Few distinct values: ties between users are common and must break the same way.
                    credits_spent=rng.choice([0, 5, 10, 20]),
                    ai_cost=Decimal(rng.choice([0, 1, 2])) / 100,
                )
            )
    UserDay.objects.bulk_create(rows)
    heavy_users.rank_heavy_users(today=TODAY)
    # The 90-day lists are full (more than 25 users spent); shorter windows may hold fewer.
    assert HeavyUser.objects.filter(as_of=TODAY, window_days=90).count() == 2 * heavy_users.KEEP
    for window in heavy_users.WINDOWS:
        period = DateRange(TODAY - timedelta(days=window - 1), TODAY)
        ranked = staff.heavy_users_report(period=period, today=TODAY)
        live = staff.heavy_users_report(period=period)
        assert [t.rows for t in ranked["tables"]] == [t.rows for t in live["tables"]]
        assert ranked["tables"][0].rows  # never vacuous
    # A custom range is ranked live.
    custom = DateRange(TODAY - timedelta(days=40), TODAY - timedelta(days=3))
    assert staff.heavy_users_report(period=custom, today=TODAY)["tables"][0].rows


@pytest.mark.django_db
def test_weekly_and_monthly_actives_count_distinct_users_of_their_days():
    rng = random.Random(7)  # noqa: S311 (seeded test data)
    users = [UserFactory() for _ in range(12)]
    UserDay.objects.bulk_create(
        [
            UserDay(user=user, day=TODAY - timedelta(days=back), generations=1)
            for user in users
            for back in rng.sample(range(45), 3)
        ]
    )
    rollups._platform_day(TODAY, rollups.utc_bounds(TODAY))
    row = PlatformDay.objects.get(day=TODAY)

    def distinct(days):
        return len({u for u, d in UserDay.objects.values_list("user_id", "day") if TODAY - d < timedelta(days=days)})

    assert row.weekly_active_users == distinct(7)
    assert row.monthly_active_users == distinct(30)
    assert 0 < row.weekly_active_users < row.monthly_active_users
