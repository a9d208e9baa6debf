"""Publishing against the fake Graph API: what is created, once, PAUSED; waits, re-auth, resume."""

from datetime import timedelta

import pytest

from campaigns.connections.models import ConnectionStatus
from campaigns.publishing import runner
from campaigns.publishing import services as publishing
from campaigns.publishing.models import CampaignStatus, PublishRun, RunState, StepStatus
from tests.campaigns.support import connect, draft
from tests.fakes import graph_server

pytestmark = pytest.mark.django_db


def requested(user, campaign, capture):
    """A publish requested, its task message not run (the test runs the job itself)."""
    with capture(execute=False):
        run = publishing.request_publish(user=user, campaign=campaign)
    return run


def test_publish_creates_each_object_once_and_paused(user, graph, django_capture_on_commit_callbacks):
    connect(user, graph)
    campaign = draft(user)
    plan, problems = publishing.review(campaign=campaign)
    assert problems == {}
    assert plan.counts == {"campaigns": 1, "ad_sets": 1, "ads": 1, "creatives": 1, "images": 3}
    with django_capture_on_commit_callbacks(execute=True):
        run = publishing.request_publish(user=user, campaign=campaign)
    run.refresh_from_db()
    assert run.state == RunState.SUCCEEDED, run.error_message
    assert dict(graph.created) == {"adimage": 3, "campaign": 1, "adset": 1, "adcreative": 1, "ad": 1}
    assert {o["status"] for kind in ("campaign", "adset", "ad") for o in graph.live(kind)} == {"PAUSED"}
    [creative] = graph.live("adcreative")
    rules = creative["asset_feed_spec"]["asset_customization_rules"]
    assert [r["customization_spec"]["facebook_positions"] for r in rules] == [
        ["feed"],
        ["feed"],
        ["story", "facebook_reels"],
    ]
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLISHED
    assert campaign.meta_campaign_id == graph.live("campaign")[0]["id"]
    assert campaign.delivery_status == "PAUSED"
    assert "utm_source=facebook" in creative["asset_feed_spec"]["link_urls"][0]["website_url"]


def test_images_already_at_meta_are_not_uploaded_again(user, graph, django_capture_on_commit_callbacks):
    connect(user, graph)
    first = draft(user)
    with django_capture_on_commit_callbacks(execute=True):
        publishing.request_publish(user=user, campaign=first)
    # A second campaign from the same pictures: found by hash, not uploaded.
    second = publishing.create_draft(user=user, name="Again")
    for field in (
        "objective",
        "ad_account",
        "page",
        "budget_type",
        "budget_level",
        "budget_amount",
        "currency",
        "start_time",
        "end_time",
        "targeting",
    ):
        setattr(second, field, getattr(first, field))
    second.save()
    for asset in first.assets.all():
        asset.pk, asset.campaign, asset.meta_ad_id, asset.meta_creative_id = None, second, "", ""
        asset.save()
    with django_capture_on_commit_callbacks(execute=True):
        run = publishing.request_publish(user=user, campaign=second)
    run.refresh_from_db()
    assert run.state == RunState.SUCCEEDED
    assert graph.created["adimage"] == 3
    assert run.steps.filter(kind="image", reused=True).count() == 3


def test_a_retry_after_meta_created_but_we_did_not_store_finds_it(user, graph, django_capture_on_commit_callbacks):
    """The worker died between Meta's answer and our commit: the next attempt looks up by publish key."""
    connect(user, graph)
    campaign = draft(user)
    # The ad set creation answers after the lease ran out elsewhere: simulate by a 5xx *after* Meta created.
    graph.fail_next("POST", r"/adsets$", graph_server.server_error())
    run = requested(user, campaign, django_capture_on_commit_callbacks)
    assert runner.run_publish(run_id=run.pk) == "retrying"
    run.refresh_from_db()
    assert run.state == RunState.QUEUED
    assert run.attempts == 1
    # Meta had in fact created the campaign; a run killed right after would find it by its key.
    step = run.steps.get(kind="campaign")
    step_id = step.meta_id
    type(step).objects.filter(pk=step.pk).update(meta_id="", status=StepStatus.PENDING)  # as if never stored
    PublishRun.objects.filter(pk=run.pk).update(retry_at=None)
    assert runner.run_publish(run_id=run.pk) == "done"
    assert graph.created["campaign"] == 1
    assert graph.created["adset"] == 1
    assert run.steps.get(kind="campaign").meta_id == step_id


def test_rate_limits_wait_what_meta_says_then_complete(user, graph, django_capture_on_commit_callbacks):
    connect(user, graph)
    campaign = draft(user)
    graph.fail_next("POST", r"/campaigns$", graph_server.rate_limited(17))
    graph.fail_next("POST", r"/adsets$", graph_server.rate_limited(80004, wait_minutes=3))
    run = requested(user, campaign, django_capture_on_commit_callbacks)
    assert runner.run_publish(run_id=run.pk) == "waiting"
    run.refresh_from_db()
    assert (run.state, run.meta_error_code) == (RunState.WAITING, 17)
    assert 1 <= (run.enqueued_at - run.queued_at).total_seconds() <= 2  # the minimum wait (1 s in tests)
    assert runner.run_publish(run_id=run.pk) == "early"  # not due yet: queued again, nothing sent
    assert len(graph.requests_to("POST", r"/campaigns$")) == 1
    PublishRun.objects.filter(pk=run.pk).update(retry_at=None)
    assert runner.run_publish(run_id=run.pk) == "waiting"
    run.refresh_from_db()
    assert run.meta_error_code == 80004
    # estimated_time_to_regain_access: 3 minutes; the message is sent with that countdown.
    assert (run.enqueued_at - run.queued_at).total_seconds() >= 180
    assert run.retry_at >= run.enqueued_at - timedelta(seconds=1)
    PublishRun.objects.filter(pk=run.pk).update(retry_at=None)
    assert runner.run_publish(run_id=run.pk) == "done"
    assert graph.created["campaign"] == graph.created["adset"] == graph.created["ad"] == 1


def test_an_expired_token_mid_publish_asks_to_reconnect_then_resumes(
    user, graph, django_capture_on_commit_callbacks, mailoutbox
):
    connection = connect(user, graph)
    campaign = draft(user)
    graph.fail_next("POST", r"/adcreatives$", graph_server.token_expired())
    with django_capture_on_commit_callbacks(execute=True):
        run = publishing.request_publish(user=user, campaign=campaign)
    run.refresh_from_db()
    connection.refresh_from_db()
    assert run.state == RunState.NEEDS_REAUTH
    assert run.resumable
    assert connection.status == ConnectionStatus.NEEDS_REAUTH
    assert [m.subject for m in mailoutbox] == ["Reconnect Meta to keep your campaigns running"]
    with pytest.raises(publishing.CampaignError):
        publishing.resume_publish(user=user, run=run)
    connect(user, graph)
    with django_capture_on_commit_callbacks(execute=True):
        publishing.resume_publish(user=user, run=run)
    run.refresh_from_db()
    assert run.state == RunState.SUCCEEDED
    assert dict(graph.created) == {"adimage": 3, "campaign": 1, "adset": 1, "adcreative": 1, "ad": 1}


def test_a_refused_object_shows_metas_words_and_can_be_deleted(user, graph, django_capture_on_commit_callbacks):
    connect(user, graph)
    campaign = draft(user)
    graph.fail_next("POST", r"/ads$", graph_server.invalid_parameter("Ad text too long", "Shorten the primary text."))
    with django_capture_on_commit_callbacks(execute=True):
        run = publishing.request_publish(user=user, campaign=campaign)
    run.refresh_from_db()
    assert run.state == RunState.FAILED
    assert run.error_message == "Ad text too long: Shorten the primary text."
    assert run.error_step
    assert run.error_hint
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PARTIAL
    with django_capture_on_commit_callbacks(execute=True):
        publishing.delete_created(user=user, run=run)
    run.refresh_from_db()
    campaign.refresh_from_db()
    assert run.state == RunState.DELETED
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.meta_campaign_id == ""
    assert graph.live("campaign") == graph.live("adset") == graph.live("adcreative") == []
