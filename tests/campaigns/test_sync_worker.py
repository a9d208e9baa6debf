"""The performance sync on real Celery workers over Redis and PostgreSQL, against the fake Graph
API: a worker killed mid-sync (the next attempt completes with no duplicate and no gap) and a rate
limit mid-sync (it waits, then completes)."""

import time
from datetime import timedelta

import pytest

from campaigns.publishing import services as publishing
from campaigns.sync import services as sync_services
from campaigns.sync.models import PerformanceRecord, SyncKind, SyncRun
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

SYNC_SETTINGS = {"META_SYNC_RESTATE_DAYS": 5, "META_SYNC_WINDOW_DAYS": 3, "META_SYNC_PAGE_SIZE": 4}
ROWS = 20  # 1 ad, 5 days, 2 placements + 2 age and gender groups


@pytest.fixture
def fake(settings):
    with FakeGraphServer() as graph:
        meta_settings(settings, graph)
        for name, value in SYNC_SETTINGS.items():
            setattr(settings, name, value)
        yield graph


def _env(graph):
    return worker_settings_env(
        META_APP_ID=graph.app_id,
        META_APP_SECRET=graph.app_secret,
        META_GRAPH_URL=graph.base_url,
        META_RATE_LIMIT_MIN_WAIT_SECONDS="1",
        META_SYNC_LEASE_SECONDS="30",
        **{name: str(value) for name, value in SYNC_SETTINGS.items()},
    )


def _published(fake):
    user = UserFactory()
    connection = connect(user, fake)
    publishing.request_publish(user=user, campaign=draft(user))  # eager: published in this process
    return connection.ad_accounts.get(account_id="act_111")


def _finished(run):
    def check():
        run.refresh_from_db()
        return run.status in jobs.FINISHED_STATUSES

    return check


def _keys() -> set:
    return set(
        PerformanceRecord.objects.values_list("meta_ad_id", "date", "breakdown", "publisher_platform", "age", "gender")
    )


def test_a_worker_killed_mid_sync_is_rescued_with_no_duplicate_and_no_gap(
    transactional_db,
    redis_broker_url,  # noqa: F811
    start_worker,  # noqa: F811
    fake,
):
    ad_account = _published(fake)
    # The third insights page takes its time: the worker dies while waiting for it.
    calls = {"n": 0}
    original = fake.route

    def slow_third(method, parts, params):
        if parts[-1:] == ["insights"]:
            calls["n"] += 1
            if calls["n"] == 3:
                time.sleep(6)  # the fake's other requests wait too: only the dying worker asks
        return original(method, parts, params)

    fake.route = slow_third
    doomed = start_worker(redis_broker_url, env=_env(fake), prefix="doomed")
    doomed.wait_until_ready()
    with celery_sends_to(redis_broker_url):
        run, _ = sync_services.request_sync(ad_account=ad_account, kind=SyncKind.MANUAL)
        wait_for(lambda: calls["n"] >= 3, timeout=60, what="the third insights page", details=doomed.log_tail)
        doomed.kill()
        run.refresh_from_db()
        assert run.status == jobs.JobStatus.RUNNING
        stored_before = PerformanceRecord.objects.count()
        assert 0 < stored_before < ROWS
        rescuer = start_worker(redis_broker_url, env=_env(fake), prefix="rescuer")
        rescuer.wait_until_ready()
        assert jobs.sweep(SyncRun, now=run.lease_expires_at + timedelta(seconds=1)).requeued == 1
        wait_for(_finished(run), timeout=90, what="the rescuer to finish the sync", details=rescuer.log_tail)
    assert run.status == jobs.JobStatus.COMPLETED, run.error_message
    assert run.attempts == 2
    assert PerformanceRecord.objects.count() == ROWS == len(_keys())


def test_a_rate_limit_mid_sync_waits_then_completes(
    transactional_db,
    redis_broker_url,  # noqa: F811
    start_worker,  # noqa: F811
    fake,
):
    ad_account = _published(fake)
    fake.fail_next("GET", r"/act_111/insights$", graph_server.rate_limited(17))
    worker = start_worker(redis_broker_url, env=_env(fake))
    worker.wait_until_ready()
    with celery_sends_to(redis_broker_url):
        run, _ = sync_services.request_sync(ad_account=ad_account, kind=SyncKind.MANUAL)
        wait_for(_finished(run), timeout=90, what="the sync to finish", details=worker.log_tail)
    assert run.status == jobs.JobStatus.COMPLETED, run.error_message
    assert run.rate_limit_waits == 1
    assert PerformanceRecord.objects.count() == ROWS
    first, second = fake.requests_to("GET", r"/act_111/insights$")[:2]
    assert second[3] - first[3] >= 1  # waited at least the minimum before asking again
