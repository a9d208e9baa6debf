"""Optimisation rules on the fake's synced numbers: firing and pushing to Meta, suggest mode and
approval, undo, the daily budget-change cap across rules, and the backtest matching the live rule."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from campaigns.rules import services
from campaigns.rules.models import LogStatus, OptimizationLog, OptimizationRule
from tests.campaigns.support import finish_sync, requested_sync

pytestmark = pytest.mark.django_db

ALWAYS = [{"metric": "spend", "operator": "gt", "value": "0", "days": 3}]


def _rule(user, campaign, **fields) -> OptimizationRule:
    data = {
        "name": "Test rule",
        "level": "campaign",
        "conditions": ALWAYS,
        "min_spend": 0,
        "min_impressions": 0,
        "action": "pause",
        "change_percent": 0,
        "budget_floor": None,
        "budget_ceiling": None,
        "daily_change_cap_percent": 30,
        "cooldown_hours": 24,
        "mode": "automatic",
        "enabled": True,
    }
    data.update(fields)
    return services.save_rule(user=user, campaign=campaign, data=data)


@pytest.fixture
def synced(published_campaign, django_capture_on_commit_callbacks):
    ad_account, campaign = published_campaign
    finish_sync(requested_sync(ad_account, django_capture_on_commit_callbacks))
    campaign.refresh_from_db()
    return ad_account, campaign


def test_an_automatic_rule_fires_pushes_the_change_and_logs_before_and_after(user, graph, synced):
    ad_account, campaign = synced
    _rule(user, campaign, action="activate")
    logs = services.evaluate_account(ad_account=ad_account)
    assert len(logs) == 1
    log = OptimizationLog.objects.get()
    assert log.status == LogStatus.APPLIED
    assert (log.before, log.after) == ({"status": "PAUSED"}, {"status": "ACTIVE"})
    assert "spend over 3 d" in log.metrics
    assert graph.objects["campaign"][campaign.meta_campaign_id]["status"] == "ACTIVE"
    assert campaign.changes.filter(action="activate", pushed=True).exists()
    # The cooldown: a second evaluation the same day does nothing.
    assert services.evaluate_account(ad_account=ad_account) == []


def test_a_rule_that_does_not_hold_does_not_fire(user, synced):
    ad_account, campaign = synced
    _rule(user, campaign, conditions=[{"metric": "spend", "operator": "gt", "value": "100000", "days": 3}])
    _rule(user, campaign, name="Needs more spend", min_spend="100000")
    assert services.evaluate_account(ad_account=ad_account) == []


def test_suggest_mode_waits_for_approval_then_undo_restores(user, graph, synced):
    ad_account, campaign = synced
    _rule(user, campaign, mode="suggest", action="activate")
    [log] = services.evaluate_account(ad_account=ad_account)
    assert log.status == LogStatus.SUGGESTED
    assert graph.objects["campaign"][campaign.meta_campaign_id]["status"] == "PAUSED"  # nothing sent yet
    services.approve(log=log, user=user)
    log.refresh_from_db()
    assert (log.status, log.approved_by) == (LogStatus.APPLIED, user)
    assert graph.objects["campaign"][campaign.meta_campaign_id]["status"] == "ACTIVE"
    services.undo(log=log, user=user)
    log.refresh_from_db()
    assert log.status == LogStatus.UNDONE
    assert graph.objects["campaign"][campaign.meta_campaign_id]["status"] == "PAUSED"
    with pytest.raises(services.RuleError):
        services.undo(log=log, user=user)


def test_the_daily_budget_change_cap_holds_when_three_rules_fire_at_once(user, graph, synced):
    ad_account, campaign = synced
    start = campaign.budget_amount  # 2000 (20.00 a day)
    for n in range(3):
        _rule(user, campaign, name=f"Raise {n}", action="raise_budget", change_percent=20, daily_change_cap_percent=30)
    logs = services.evaluate_account(ad_account=ad_account)
    assert [log.status for log in logs] == [LogStatus.APPLIED, LogStatus.APPLIED, LogStatus.SKIPPED]
    campaign.refresh_from_db()
    assert campaign.budget_amount == int(start * 1.3)  # 20 % then capped at 30 % in total
    assert int(graph.objects["campaign"][campaign.meta_campaign_id]["daily_budget"]) == int(start * 1.3)


def test_the_backtest_lists_the_same_firings_the_live_rule_makes_on_the_same_data(user, synced):
    ad_account, campaign = synced
    rule = _rule(
        user,
        campaign,
        level="ad",
        mode="suggest",
        action="notify",
        conditions=[{"metric": "spend", "operator": "gt", "value": "45", "days": 1}],
    )
    today = timezone.now().date()
    days = [today - timedelta(days=n) for n in range(4, -1, -1)]
    for day in days:
        with time_machine.travel(datetime.combine(day, time(12), tzinfo=UTC), tick=False):
            services.evaluate_account(ad_account=ad_account, day=day)
    live = sorted(OptimizationLog.objects.values_list("day", "asset__ad_name"))
    backtest = services.backtest(rule=rule, days=5, today=today)
    assert live  # the fake's numbers pass 45 on some days
    assert len(live) < 5  # and not on others
    assert [(f.day, f.object_label) for f in backtest] == live


def test_bad_rules_are_refused_with_the_field_named(user, synced):
    _, campaign = synced
    with pytest.raises(services.RuleError) as refused:
        _rule(user, campaign, level="ad", action="raise_budget", change_percent=20)
    assert "action" in refused.value.errors
    with pytest.raises(services.RuleError) as refused:
        _rule(user, campaign, conditions=[{"metric": "luck", "operator": "gt", "value": "1", "days": 3}])
    assert "conditions" in refused.value.errors
    assert OptimizationRule.objects.count() == 0


def test_rule_pages_create_backtest_and_act_on_suggestions(client, user, graph, synced):
    ad_account, campaign = synced
    client.force_login(user)
    assert client.get("/campaigns/rules/").status_code == 200
    page = client.get(f"/campaigns/{campaign.pk}/rules/new/?template=scale-winners")
    assert page.status_code == 200
    assert "Raise the budget 20 %" in page.content.decode()
    form = {
        "name": "Activate it",
        "level": "campaign",
        "metric_1": "spend",
        "operator_1": "gt",
        "value_1": "0",
        "days_1": "3",
        "min_spend": "0",
        "min_impressions": "0",
        "action": "activate",
        "change_percent": "0",
        "daily_change_cap_percent": "30",
        "cooldown_hours": "24",
        "mode": "suggest",
        "enabled": "on",
    }
    bad = client.post(f"/campaigns/{campaign.pk}/rules/new/", {**form, "operator_1": ""})
    assert bad.status_code == 400
    created = client.post(f"/campaigns/{campaign.pk}/rules/new/", form)
    assert created.status_code == 302
    rule = OptimizationRule.objects.get()
    backtest = client.get(f"/campaigns/rules/{rule.pk}/?backtest=30")
    assert len(backtest.context["backtest"]) >= 1
    [log] = services.evaluate_account(ad_account=ad_account)
    assert client.post(f"/campaigns/rule-logs/{log.pk}/approve/").status_code == 302
    log.refresh_from_db()
    assert log.status == LogStatus.APPLIED


def test_the_rules_api_creates_refuses_backtests_and_approves(client, user, synced):
    ad_account, campaign = synced
    client.force_login(user)
    body = {
        "campaign": str(campaign.pk),
        "name": "API rule",
        "level": "campaign",
        "conditions": [{"metric": "spend", "operator": "gt", "value": "0", "days": 3}],
        "action": "activate",
        "mode": "suggest",
    }
    created = client.post("/api/v1/rules/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    refused = client.post(
        "/api/v1/rules/", {**body, "level": "ad", "action": "raise_budget"}, content_type="application/json"
    )
    assert refused.status_code == 400
    assert "action" in refused.json()["errors"]
    rule_id = created.json()["id"]
    assert client.get(f"/api/v1/rules/{rule_id}/backtest/?days=30").status_code == 200
    assert client.get(f"/api/v1/rules/{rule_id}/backtest/?days=7").status_code == 400
    [log] = services.evaluate_account(ad_account=ad_account)
    approved = client.post(f"/api/v1/rule-logs/{log.pk}/approve/")
    assert approved.json()["status"] == "applied"
    assert client.post(f"/api/v1/rule-logs/{log.pk}/approve/").status_code == 409
