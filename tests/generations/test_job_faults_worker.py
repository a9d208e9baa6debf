"""Fault runs of the job runner on real Celery workers over Redis and PostgreSQL (issue 10, acceptance 4).

A lease overrun, the broker down at commit, and a hold whose TTL passed while the job sat queued
(a worker SIGKILLed mid-job is test_generation_worker.py). In each: no credit lost or taken twice,
no file lost, the ledger reconciles, and the user sees how it ended.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from craftplatform import jobs
from credits import services as credit_services
from credits.models import CreditAccount, CreditTransaction
from credits.services import reconcile
from generations import selectors
from generations.models import AIProvider, Asset, AssetKind, Generation, GenerationStatus
from generations.services import generation as generation_services
from tests.factories import UserFactory
from tests.fakes.ai_server import OPENAI_IMAGES, FakeAIServer
from tests.generations.factories import spec_with_backdrop
from tests.generations.worker_support import celery_sends_to, worker_settings_env
from tests.templates_app.factories import create_template, make_spec
from tests.workers.test_celery_worker import (  # noqa: F401 (fixtures)
    redis_broker_url,
    start_worker,
    wait_for,
    worker_home,
)

pytestmark = [pytest.mark.worker, pytest.mark.postgres]

API_KEY = "sk-test-fake-worker-0123456789"
DEAD_BROKER = "redis://127.0.0.1:1/0"


def new_user():
    user = UserFactory()
    credit_services.get_or_open_account(user=user)
    return user


def account(user) -> tuple[int, int]:
    row = CreditAccount.objects.get(user=user)
    return row.balance, row.reserved


def finished(generation) -> bool:
    return Generation.objects.filter(pk=generation.pk, status__in=["completed", "failed"]).exists()


def assert_whole(user, generation, *, charged: int, balance_before: int) -> dict:
    """Credits: charged exactly once (or not at all), nothing left reserved, the ledger reconciles.
    Files: every file a row refers to exists, and no file of the user is left without a row.
    Returns what the user's status page and API show."""
    assert account(user) == (balance_before - charged, 0)
    usage = CreditTransaction.objects.filter(reference_type="generation", reference_id=str(generation.pk))
    assert -sum(entry.amount for entry in usage) == charged
    assert reconcile.find_discrepancies() == []
    named = {
        name for asset in Asset.objects.filter(user=user) for name in (asset.file.name, asset.thumbnail.name) if name
    }
    assert all(default_storage.exists(name) for name in named), "a file a row refers to is gone"
    folder = settings.MEDIA_ROOT / "assets" / str(user.pk)
    on_disk = {f"assets/{user.pk}/{path.name}" for path in folder.iterdir()} if folder.exists() else set()
    assert on_disk == named, f"files without a row: {sorted(on_disk - named)}"
    generation.refresh_from_db()
    return selectors.status_payload(generation)


def test_a_lease_overrun_completes_once_and_the_late_attempt_deletes_nothing(
    transactional_db,
    redis_broker_url,  # noqa: F811
    start_worker,  # noqa: F811
):
    user = new_user()
    template = create_template(spec=spec_with_backdrop())
    with FakeAIServer(api_key=API_KEY) as fake:
        AIProvider.objects.filter(key="openai").update(enabled=True)
        env = worker_settings_env(
            OPENAI_API_KEY=API_KEY,
            OPENAI_BASE_URL=fake.base_url + "/v1",
            AI_PROVIDER_TIMEOUT_SECONDS="60",
            GENERATION_TIME_LIMIT_SECONDS="2",  # the lease: the slow provider overruns it
        )
        fake.fail_next(OPENAI_IMAGES, "slow", delay=10)
        slow = start_worker(redis_broker_url, env=env, prefix="slow")
        rescuer = start_worker(redis_broker_url, env=env, prefix="rescuer")
        slow.wait_until_ready()
        rescuer.wait_until_ready()
        before, _ = account(user)
        with celery_sends_to(redis_broker_url):
            [generation] = generation_services.request_generation(
                user=user,
                request=generation_services.GenerationRequest(
                    template_id=template.pk, formats=["1:1", "9:16"], ai_background=True
                ),
            )
            wait_for(lambda: fake.requests_to(OPENAI_IMAGES), timeout=60, what="a worker to call the provider")
            generation.refresh_from_db()
            wait_for(
                lambda: timezone.now() > generation.lease_expires_at, timeout=10, what="the first lease to run out"
            )
            assert jobs.sweep(Generation).requeued == 1
            wait_for(lambda: finished(generation), timeout=90, what="the second attempt to finish")
            # The first attempt comes back from the provider, finds it lost the job and stops.
            wait_for(
                lambda: "'skipped'" in slow.log() + rescuer.log(),
                timeout=60,
                what="the late attempt to give up",
                details=lambda: slow.log_tail() + rescuer.log_tail(),
            )

    status = assert_whole(user, generation, charged=6, balance_before=before)
    assert status["status"] == "completed"
    assert len(status["assets"]) == 2
    assert generation.attempts == 2
    assert Asset.objects.filter(generation=generation, kind=AssetKind.AI_IMAGE).count() == 1


def test_a_generation_requested_while_the_broker_is_down_is_sent_by_the_sweep_and_completes(
    transactional_db,
    redis_broker_url,  # noqa: F811
    start_worker,  # noqa: F811
):
    user = new_user()
    template = create_template(spec=make_spec(formats=("1:1",)))
    before, _ = account(user)
    with celery_sends_to(DEAD_BROKER):
        [generation] = generation_services.request_generation(
            user=user,
            request=generation_services.GenerationRequest(
                template_id=template.pk, formats=["1:1"], texts={"headline": "Broker down"}
            ),
        )
    generation.refresh_from_db()
    assert (generation.status, generation.enqueue_pending) == (GenerationStatus.QUEUED, True)
    assert selectors.status_payload(generation)["status"] == "queued"  # the user sees it waiting

    worker = start_worker(redis_broker_url, env=worker_settings_env(), prefix="back")
    worker.wait_until_ready()
    with celery_sends_to(redis_broker_url):
        assert jobs.sweep(Generation).resent == 1
        wait_for(lambda: finished(generation), timeout=60, what="the job to finish", details=worker.log_tail)

    status = assert_whole(user, generation, charged=1, balance_before=before)
    assert status["status"] == "completed"
    assert len(status["assets"]) == 1


def test_a_hold_whose_ttl_passed_while_queued_fails_the_job_and_charges_nothing(
    transactional_db,
    redis_broker_url,  # noqa: F811
    start_worker,  # noqa: F811
):
    user = new_user()
    template = create_template(spec=make_spec(formats=("1:1",)))
    before, _ = account(user)
    with celery_sends_to(redis_broker_url):  # no worker is running: the message waits in Redis
        [generation] = generation_services.request_generation(
            user=user,
            request=generation_services.GenerationRequest(
                template_id=template.pk, formats=["1:1"], texts={"headline": "Waited too long"}
            ),
        )
    # The hold's TTL passes while the workers are down, and the hold sweep releases it.
    later = timezone.now() + timedelta(seconds=settings.CREDITS_HOLD_TTL_SECONDS + 1)
    assert credit_services.release_expired_holds(now=later) == 1

    worker = start_worker(redis_broker_url, env=worker_settings_env(), prefix="late")
    worker.wait_until_ready()
    wait_for(lambda: finished(generation), timeout=60, what="the job to finish", details=worker.log_tail)

    status = assert_whole(user, generation, charged=0, balance_before=before)
    assert status["status"] == "failed"
    assert status["error"] == jobs.HOLDS_RETURNED_MESSAGE
    assert status["assets"] == []
    assert generation.credits_used == 0
