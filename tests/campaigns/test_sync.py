"""The performance sync against the fake Graph API: stores rows, follows restatements, writes nothing
when nothing changed, waits out rate limits, halves what Meta finds too much, keeps rows when the
token dies, and never runs twice at once for one account."""

import json
import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.connections.models import ConnectionStatus
from campaigns.sync import services
from campaigns.sync.models import PerformanceRecord, SyncRun
from craftplatform.jobs import JobStatus
from tests.campaigns.support import finish_sync as _finish
from tests.campaigns.support import requested_sync as _sync
from tests.fakes import graph_server

pytestmark = pytest.mark.django_db


def test_a_sync_stores_every_ad_day_and_breakdown_and_links_it_to_the_creative(
    published_campaign, graph, django_capture_on_commit_callbacks
):
    ad_account, campaign = published_campaign
    run = _sync(ad_account, django_capture_on_commit_callbacks)
    assert _finish(run) == "done"
    assert run.status == JobStatus.COMPLETED
    # 1 ad, 5 days, 2 placements + 2 age and gender groups each
    assert PerformanceRecord.objects.count() == 20
    assert (run.rows_fetched, run.rows_inserted, run.rows_updated, run.rows_unchanged) == (20, 20, 0, 0)
    row = PerformanceRecord.objects.filter(breakdown="placement").order_by("date", "publisher_platform").first()
    asset = campaign.assets.get()
    assert (row.campaign_id, row.campaign_asset_id) == (campaign.pk, asset.pk)
    assert row.campaign_asset.generation.template_id is not None  # traceable to the template
    assert row.currency == "EUR"
    assert row.attribution_setting == "7d_click_1d_view"
    assert row.ctr == (Decimal(row.clicks * 100) / row.impressions).quantize(Decimal("0.0001"))
    assert row.conversions == int(row.actions["purchase"])
    assert len(graph.requests_to("GET", r"/act_111/insights$")) >= 4  # windows of 3 days, pages of 4


def test_a_restated_day_is_updated_and_nothing_is_duplicated_and_unchanged_data_writes_nothing(
    published_campaign, graph, django_capture_on_commit_callbacks
):
    ad_account, campaign = published_campaign
    _finish(_sync(ad_account, django_capture_on_commit_callbacks))
    ad_id = campaign.assets.get().meta_ad_id
    day3 = (timezone.now().date() - timedelta(days=2)).isoformat()
    graph.restate(ad_id, day3, spend="123.45")

    second = _sync(ad_account, django_capture_on_commit_callbacks)
    assert _finish(second) == "done"
    assert PerformanceRecord.objects.count() == 20
    assert (second.rows_inserted, second.rows_updated, second.rows_unchanged) == (0, 4, 16)
    assert set(PerformanceRecord.objects.filter(date=day3).values_list("spend", flat=True)) == {Decimal("123.45")}

    third = _sync(ad_account, django_capture_on_commit_callbacks)
    assert _finish(third) == "done"
    assert (third.rows_inserted, third.rows_updated, third.rows_unchanged) == (0, 0, 20)


def test_a_rate_limit_mid_sync_waits_what_meta_says_then_completes(
    published_campaign, graph, django_capture_on_commit_callbacks
):
    ad_account, _ = published_campaign
    run = _sync(ad_account, django_capture_on_commit_callbacks)
    graph.fail_next("GET", r"/act_111/insights$", graph_server.rate_limited(80004, wait_minutes=2))
    with django_capture_on_commit_callbacks(execute=False):
        assert _finish(run) == "waiting"
    assert run.status == JobStatus.QUEUED
    assert run.rate_limit_waits == 1
    assert (run.retry_at - timezone.now()).total_seconds() > 100
    with django_capture_on_commit_callbacks(execute=False):
        assert _finish(run) == "early"  # the message came early: queued again, nothing asked of Meta
    SyncRun.objects.filter(pk=run.pk).update(retry_at=None)
    assert _finish(run) == "done"
    assert PerformanceRecord.objects.count() == 20


def test_too_much_data_halves_the_window_until_meta_answers(
    published_campaign, graph, django_capture_on_commit_callbacks
):
    ad_account, _ = published_campaign
    graph.max_ad_days = 1  # only one ad-day per request
    run = _sync(ad_account, django_capture_on_commit_callbacks)
    assert _finish(run) == "done"
    assert PerformanceRecord.objects.count() == 20


def test_an_expired_token_mid_sync_flags_the_connection_and_keeps_what_was_stored(
    published_campaign, graph, django_capture_on_commit_callbacks, mailoutbox
):
    ad_account, _ = published_campaign
    run = _sync(ad_account, django_capture_on_commit_callbacks)
    # The first two pages come through, then the token dies.
    calls = {"n": 0}
    original = graph.route

    def dying(method, parts, params):
        if parts[-1:] == ["insights"]:
            calls["n"] += 1
            if calls["n"] > 2:
                raise graph_server.token_expired()
        return original(method, parts, params)

    graph.route = dying
    with django_capture_on_commit_callbacks(execute=True):
        assert _finish(run) == "needs_reauth"
    assert run.status == JobStatus.FAILED
    assert "Connect Meta again" in run.error_message
    ad_account.connection.refresh_from_db()
    assert ad_account.connection.status == ConnectionStatus.NEEDS_REAUTH
    kept = PerformanceRecord.objects.count()
    assert kept > 0
    assert run.rows_inserted == kept


def test_two_beat_ticks_and_sync_now_during_a_sync_make_one_sync_per_account(
    published_campaign, user, django_capture_on_commit_callbacks
):
    ad_account, _ = published_campaign
    with django_capture_on_commit_callbacks(execute=False):
        assert services.schedule_daily_syncs() == 1
        assert services.schedule_daily_syncs() == 0
        run, created = services.sync_now(user=user, ad_account=ad_account)
    assert not created
    assert SyncRun.objects.count() == 1
    _finish(run)
    with django_capture_on_commit_callbacks(execute=False):
        assert services.schedule_daily_syncs() == 0  # today's daily sync ran already
    assert SyncRun.objects.count() == 1


def test_sync_now_is_rate_limited_per_user(published_campaign, user, settings, django_capture_on_commit_callbacks):
    ad_account, _ = published_campaign
    settings.META_SYNC_NOW_PER_HOUR = 1
    with django_capture_on_commit_callbacks(execute=False):
        run, _ = services.sync_now(user=user, ad_account=ad_account)
    _finish(run)
    with pytest.raises(services.SyncError, match="1 syncs this hour"):
        services.sync_now(user=user, ad_account=ad_account)


def test_the_numbers_page_and_the_api_show_only_the_users_own_rows(
    published_campaign, user, other_user, graph, client, django_capture_on_commit_callbacks
):
    ad_account, campaign = published_campaign
    _finish(_sync(ad_account, django_capture_on_commit_callbacks))
    client.force_login(user)
    page = client.get(f"/campaigns/{campaign.pk}/performance/?days=7")
    assert page.status_code == 200
    totals = page.context["totals"]
    placement = PerformanceRecord.objects.filter(breakdown="placement")
    assert totals.spend == sum(r.spend for r in placement)
    assert totals.impressions == sum(r.impressions for r in placement)
    assert "Last sync" in page.content.decode()
    api = client.get("/api/v1/performance/", {"campaign": str(campaign.pk), "breakdown": "demographic"})
    assert api.status_code == 200
    assert api.json()["count"] == 10
    assert {row["gender"] for row in api.json()["results"]} == {"female", "male"}
    assert client.get("/api/v1/performance/", {"since": "yesterday"}).status_code == 400
    campaign.refresh_from_db()
    assert campaign.spend == totals.spend  # the campaign's cached total

    client.force_login(other_user)
    assert client.get(f"/campaigns/{campaign.pk}/performance/").status_code == 404
    assert client.get("/api/v1/performance/").json()["count"] == 0
    refused = client.post("/api/v1/sync-runs/", {"ad_account": str(ad_account.pk)}, content_type="application/json")
    assert refused.status_code == 404


def test_a_first_sync_back_fills_older_days_through_async_report_runs(
    published_campaign, graph, settings, django_capture_on_commit_callbacks
):
    ad_account, campaign = published_campaign
    settings.META_SYNC_BACKFILL_WINDOW_DAYS = 20
    type(campaign).objects.filter(pk=campaign.pk).update(created_at=timezone.now() - timedelta(days=40))
    graph.fail_reports = 1  # Meta gives up on the first report: the window is halved and asked again
    run = _sync(ad_account, django_capture_on_commit_callbacks)
    assert _finish(run) == "done", run.error_message
    today = timezone.now().date()
    assert (run.since, run.until) == (today - timedelta(days=40), today)
    assert PerformanceRecord.objects.count() == 41 * 4  # every day once, per breakdown value set
    assert graph.created["report_run"] >= 4  # 36 older days in windows of 20, per report, one retried
    assert PerformanceRecord.objects.filter(date=today - timedelta(days=40)).count() == 4

    second = _sync(ad_account, django_capture_on_commit_callbacks)
    assert _finish(second) == "done"
    assert (second.since, second.until) == (today - timedelta(days=4), today)  # only the restated days again
    assert PerformanceRecord.objects.count() == 41 * 4


def test_pages_gathered_into_batches_store_every_row_once_and_every_answers_usage_is_read(
    published_campaign, graph, settings, caplog, django_capture_on_commit_callbacks
):
    ad_account, _ = published_campaign
    settings.META_SYNC_STORE_ROWS = 5  # pages of 4 rows: two pages a transaction
    graph.usage = {"x-ad-account-usage": json.dumps({"acc_id_util_pct": 12, "reset_time_duration": 0})}
    run = _sync(ad_account, django_capture_on_commit_callbacks)
    with caplog.at_level(logging.INFO, logger="campaigns.meta.client"):
        assert _finish(run) == "done"
    assert PerformanceRecord.objects.count() == 20
    assert (run.rows_fetched, run.rows_inserted, run.rows_updated, run.rows_unchanged) == (20, 20, 0, 0)
    read = [r for r in caplog.records if r.getMessage() == "Graph API usage" and r.path.endswith("/insights")]
    assert len(read) == len(graph.requests_to("GET", r"/act_111/insights$")) > 4
    assert {r.usage["x-ad-account-usage"]["acc_id_util_pct"] for r in read} == {12}
