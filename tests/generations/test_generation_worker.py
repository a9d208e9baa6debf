"""A worker killed in the middle of a job, on real Celery workers over Redis and PostgreSQL.

The first worker takes the job and dies (SIGKILL, nothing acknowledged) while it waits for the AI
provider; the sweep finds the job's lease run out and queues it again; a second worker completes
it. The user is charged once and gets one result per format.
"""

from datetime import timedelta

import pytest
from django.conf import settings

from credits import services as credit_services
from credits.models import CreditAccount, CreditTransaction
from generations.models import AIProvider, Asset, AssetKind, Generation, GenerationStatus
from generations.services import generation as generation_services
from tests.factories import UserFactory
from tests.fakes.ai_server import OPENAI_IMAGES, FakeAIServer
from tests.generations.factories import spec_with_backdrop
from tests.generations.worker_support import celery_sends_to, worker_settings_env
from tests.templates_app.factories import create_template
from tests.workers.test_celery_worker import (  # noqa: F401 (fixtures)
    redis_broker_url,
    start_worker,
    wait_for,
    worker_home,
)

pytestmark = [pytest.mark.worker, pytest.mark.postgres]

API_KEY = "sk-test-fake-worker-0123456789"


def test_a_job_whose_worker_dies_completes_on_another_and_is_charged_once(
    transactional_db,
    redis_broker_url,  # noqa: F811
    start_worker,  # noqa: F811
):
    user = UserFactory()
    credit_services.get_or_open_account(user=user)
    template = create_template(spec=spec_with_backdrop())
    with FakeAIServer(api_key=API_KEY) as fake:
        AIProvider.objects.filter(key="openai").update(enabled=True)
        env = worker_settings_env(
            OPENAI_API_KEY=API_KEY,
            OPENAI_BASE_URL=fake.base_url + "/v1",
            AI_PROVIDER_TIMEOUT_SECONDS="60",
            GENERATION_TIME_LIMIT_SECONDS="600",
        )
        # The first image request hangs: the first worker is inside the job when it is killed.
        fake.fail_next(OPENAI_IMAGES, "slow", delay=60)
        first = start_worker(redis_broker_url, env=env, prefix="doomed")
        first.wait_until_ready()
        before = CreditAccount.objects.get(user=user).balance

        with celery_sends_to(redis_broker_url):
            [generation] = generation_services.request_generation(
                user=user,
                request=generation_services.GenerationRequest(
                    template_id=template.pk, formats=["1:1", "9:16"], ai_background=True
                ),
            )
            wait_for(
                lambda: fake.requests_to(OPENAI_IMAGES),
                timeout=90,
                what="the first worker to call the provider",
                details=first.log_tail,
            )
            first.kill()
            generation.refresh_from_db()
            assert generation.status == GenerationStatus.RUNNING
            assert CreditAccount.objects.get(user=user).reserved == generation.credits_quoted == 6

            second = start_worker(redis_broker_url, env=env, prefix="rescuer")
            second.wait_until_ready()
            # The sweep runs once the dead worker's lease has run out.
            result = generation_services.sweep_stuck_generations(now=generation.lease_expires_at + timedelta(seconds=1))
            assert result == {"requeued": 1, "failed": 0, "resent": 0}
            wait_for(
                lambda: Generation.objects.filter(pk=generation.pk, status__in=["completed", "failed"]).exists(),
                timeout=120,
                what="the second worker to finish the job",
                details=second.log_tail,
            )

    generation.refresh_from_db()
    assert generation.status == GenerationStatus.COMPLETED, generation.error_message
    assert generation.attempts == 2
    account = CreditAccount.objects.get(user=user)
    assert (account.balance, account.reserved) == (before - 6, 0)
    usage = CreditTransaction.objects.filter(reference_type="generation", reference_id=str(generation.pk))
    assert sorted(entry.amount for entry in usage) == [-4, -2]
    assert Asset.objects.filter(generation=generation, kind=AssetKind.RESULT).count() == 2
    assert Asset.objects.filter(generation=generation, kind=AssetKind.AI_IMAGE).count() == 1
    files = {path.name for path in (settings.MEDIA_ROOT / "assets" / str(user.pk)).iterdir()}
    assert len(files) == 5  # two results, two thumbnails, the background: nothing left from the dead attempt
