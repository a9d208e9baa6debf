"""Publishing on real Celery workers over Redis and PostgreSQL, against the fake Graph API:
a worker killed mid-publish, rate limits with waits, a token expiring mid-publish."""

from datetime import timedelta

import pytest

from campaigns.connections.models import ConnectionStatus, MetaConnection
from campaigns.publishing import services as publishing
from campaigns.publishing.models import PublishRun, RunState
from craftplatform import jobs
from tests.campaigns.support import connect, draft, meta_settings
from tests.factories import UserFactory
from tests.fakes import graph_server
from tests.fakes.graph_server import FakeGraphServer
from tests.generations.worker_support import celery_sends_to, worker_settings_env
from tests.workers.test_celery_worker import (  # noqa: F401 (fixtures)
    redis_broker_url,
    start_worker,
    wait_for,
    worker_home,
)

pytestmark = [pytest.mark.worker, pytest.mark.postgres]

EVERYTHING_ONCE = {"adimage": 3, "campaign": 1, "adset": 1, "adcreative": 1, "ad": 1}


@pytest.fixture
def fake(settings):
    with FakeGraphServer() as graph:
        meta_settings(settings, graph)
        yield graph


def _env(graph, **extra):
    return worker_settings_env(
        META_APP_ID=graph.app_id,
        META_APP_SECRET=graph.app_secret,
        META_GRAPH_URL=graph.base_url,
        META_RATE_LIMIT_MIN_WAIT_SECONDS="1",
        CAMPAIGN_PUBLISH_LEASE_SECONDS="30",
        **extra,
    )


def _state(run) -> str:
    run.refresh_from_db()
    return run.state


def _finished(run):
    return lambda: _state(run) in {RunState.SUCCEEDED, RunState.FAILED, RunState.NEEDS_REAUTH}


def test_a_worker_killed_mid_publish_then_resumed_creates_nothing_twice(
    transactional_db,
    redis_broker_url,  # noqa: F811
    start_worker,  # noqa: F811
    fake,
):
    user = UserFactory()
    connect(user, fake)
    campaign = draft(user)
    # Meta takes its time on the ad set: the worker dies while waiting; Meta creates it anyway.
    fake.fail_next("POST", r"/adsets$", None, delay=4)
    first = start_worker(redis_broker_url, env=_env(fake), prefix="doomed")
    first.wait_until_ready()
    with celery_sends_to(redis_broker_url):
        run = publishing.request_publish(user=user, campaign=campaign)
        wait_for(
            lambda: fake.requests_to("POST", r"/adsets$"), timeout=60, what="the ad set request", details=first.log_tail
        )
        first.kill()
        wait_for(lambda: fake.created["adset"] == 1, timeout=15, what="Meta to create the ad set anyway")
        run.refresh_from_db()
        assert run.state == RunState.RUNNING
        assert run.steps.get(kind="adset").meta_id == ""  # never stored: the worker died first
        second = start_worker(redis_broker_url, env=_env(fake), prefix="rescuer")
        second.wait_until_ready()
        assert jobs.sweep(PublishRun, now=run.lease_expires_at + timedelta(seconds=1)).requeued == 1
        wait_for(_finished(run), timeout=90, what="the second worker to finish", details=second.log_tail)
    assert run.state == RunState.SUCCEEDED, run.error_message
    assert run.attempts == 2
    assert dict(fake.created) == EVERYTHING_ONCE
    assert run.steps.get(kind="adset").reused  # found by its publish key, not created again
    assert {o["status"] for kind in ("campaign", "adset", "ad") for o in fake.live(kind)} == {"PAUSED"}


def test_rate_limits_mid_publish_wait_then_complete(
    transactional_db,
    redis_broker_url,  # noqa: F811
    start_worker,  # noqa: F811
    fake,
):
    user = UserFactory()
    connect(user, fake)
    campaign = draft(user)
    fake.fail_next("POST", r"/campaigns$", graph_server.rate_limited(17))
    fake.fail_next("POST", r"/adsets$", graph_server.rate_limited(80004, reset_seconds=4))
    worker = start_worker(redis_broker_url, env=_env(fake))
    worker.wait_until_ready()
    with celery_sends_to(redis_broker_url):
        run = publishing.request_publish(user=user, campaign=campaign)
        wait_for(_finished(run), timeout=120, what="the publish to finish", details=worker.log_tail)
    assert run.state == RunState.SUCCEEDED, run.error_message
    assert run.rate_limit_waits == 2
    assert dict(fake.created) == EVERYTHING_ONCE
    campaign_posts = fake.requests_to("POST", r"/campaigns$")
    adset_posts = fake.requests_to("POST", r"/adsets$")
    assert len(campaign_posts) == len(adset_posts) == 2
    assert campaign_posts[1][3] - campaign_posts[0][3] >= 1  # the minimum wait
    assert adset_posts[1][3] - adset_posts[0][3] >= 4  # what x-ad-account-usage asked


def test_a_token_expiring_mid_publish_asks_to_reconnect_and_resumes(
    transactional_db,
    redis_broker_url,  # noqa: F811
    start_worker,  # noqa: F811
    fake,
    client,
):
    user = UserFactory()
    connect(user, fake)
    campaign = draft(user)
    fake.fail_next("POST", r"/adcreatives$", graph_server.token_expired())
    worker = start_worker(redis_broker_url, env=_env(fake))
    worker.wait_until_ready()
    with celery_sends_to(redis_broker_url):
        run = publishing.request_publish(user=user, campaign=campaign)
        wait_for(_finished(run), timeout=90, what="the publish to stop", details=worker.log_tail)
        assert run.state == RunState.NEEDS_REAUTH
        assert MetaConnection.objects.get(user=user).status == ConnectionStatus.NEEDS_REAUTH
        client.force_login(user)
        page = client.get(f"/campaigns/runs/{run.pk}/").content.decode()
        assert "Connect Meta again" in page
        assert "Resume" in page
        connect(user, fake)  # the user logs in with Facebook again
        publishing.resume_publish(user=user, run=run)
        wait_for(_finished(run), timeout=90, what="the resumed publish to finish", details=worker.log_tail)
    assert run.state == RunState.SUCCEEDED, run.error_message
    assert dict(fake.created) == EVERYTHING_ONCE
