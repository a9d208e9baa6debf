"""The set-based rule evaluation against the day-by-day reference: the first-week baseline from one
grouped query equals the sum of each object's first seven days, and a CTR-fell-by-half rule fires on
a restated day with the value the reference computes."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from campaigns.rules import engine, services
from campaigns.rules.models import OptimizationLog, OptimizationRule
from tests.campaigns.support import finish_sync, requested_sync

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("level", ["ad", "campaign"])
def test_the_first_week_from_one_grouped_query_equals_the_day_by_day_sum(
    published_campaign, level, django_capture_on_commit_callbacks
):
    ad_account, campaign = published_campaign
    finish_sync(requested_sync(ad_account, django_capture_on_commit_callbacks))
    key = "campaign_id" if level == "campaign" else "campaign_asset_id"
    today = timezone.now().date()
    for end in (today - timedelta(days=3), today):  # a first week still going on, and a whole one
        reference = engine.load(campaign_ids=[campaign.pk], level=level, end=end, window_days=1, first_week=True)
        grouped = engine.first_weeks(campaign_ids=[campaign.pk], key=key, end=end)
        assert grouped.keys() == reference.keys()
        for object_id, series in reference.items():
            assert grouped[object_id] == series.first_week(end)
            assert grouped[object_id].impressions > 0


def test_a_ctr_fell_by_half_rule_fires_on_a_restated_day(
    user, graph, published_campaign, django_capture_on_commit_callbacks
):
    ad_account, campaign = published_campaign
    finish_sync(requested_sync(ad_account, django_capture_on_commit_callbacks))
    asset = campaign.assets.get()
    today = timezone.now().date()
    graph.restate(asset.meta_ad_id, today.isoformat(), clicks="1")
    finish_sync(requested_sync(ad_account, django_capture_on_commit_callbacks))
    rule = OptimizationRule(
        user=user,
        campaign=campaign,
        name="fatigue",
        level="ad",
        action="pause",
        conditions=[{"metric": "ctr_vs_first_week", "operator": "lte", "value": "50", "days": 1}],
    )
    firings = services.evaluate_rule(rule, day=today)
    assert [f.object_id for f in firings] == [asset.pk]
    series = engine.load(campaign_ids=[campaign.pk], level="ad", end=today, window_days=1, first_week=True)[asset.pk]
    expected = engine.metric("ctr_vs_first_week", series.window(today, 1), series, today)
    assert firings[0].metrics["ctr_vs_first_week over 1 d"] == str(expected)
    assert expected < 50


def test_within_the_first_week_the_backtest_sees_only_the_days_the_live_rule_saw(
    user, published_campaign, django_capture_on_commit_callbacks
):
    ad_account, campaign = published_campaign
    finish_sync(requested_sync(ad_account, django_capture_on_commit_callbacks))  # 5 days: all first week
    campaign.refresh_from_db()
    rule = services.save_rule(
        user=user,
        campaign=campaign,
        data={
            "name": "Below its first week",
            "level": "ad",
            "conditions": [{"metric": "ctr_vs_first_week", "operator": "lte", "value": "100", "days": 1}],
            "action": "notify",
            "mode": "suggest",
        },
    )
    today = timezone.now().date()
    days = [today - timedelta(days=n) for n in range(4, -1, -1)]
    for day in days:
        with time_machine.travel(datetime.combine(day, time(12), tzinfo=UTC), tick=False):
            services.evaluate_account(ad_account=ad_account, day=day)
    live = sorted(OptimizationLog.objects.values_list("day", flat=True))
    backtest = [f.day for f in services.backtest(rule=rule, days=5, today=today)]
    assert live  # the first day's CTR is its own first week: 100 %
    assert backtest == live
