"""Paid plans go first (issue 12, item 17): a generation or image operation stores its queue
priority from the user's plan; every send of its task carries it as the message priority, and a
consumer of the Redis broker gets the paid job before free ones queued earlier. The queue position
shown to users counts the same way. (The worker-level figure is benchmarks/job_priority.py.)"""

import pytest
import redis
from django.conf import settings

from craftplatform.celery import app as celery_app
from credits import services as credit_services
from credits.constants import SubscriptionStatus
from credits.models import SubscriptionPlan, UserSubscription
from generations import selectors
from generations.models import Generation
from generations.services import generation as generation_services
from generations.services import operations as operation_services
from generations.services.priority import FREE_PLAN_PRIORITY, PAID_PLAN_PRIORITY
from tests.factories import UserFactory
from tests.generations.factories import AssetFactory
from tests.generations.worker_support import celery_sends_to
from tests.services import skip_unless_required
from tests.templates_app.factories import create_template, make_spec

pytestmark = pytest.mark.django_db


def user_on(plan_slug: str):
    user = UserFactory()
    account = credit_services.get_or_open_account(user=user)
    if plan_slug != "free":
        UserSubscription.objects.create(
            user=user,
            account=account,
            plan=SubscriptionPlan.objects.get(slug=plan_slug),
            status=SubscriptionStatus.ACTIVE,
            stripe_subscription_id=f"sub_{user.pk.hex}",
        )
    return user


def ask(user, template) -> Generation:
    request = generation_services.GenerationRequest(
        template_id=template.pk, formats=["1:1"], texts={"headline": "Autumn sale"}
    )
    [generation] = generation_services.request_generation(user=user, request=request)
    return generation


@pytest.fixture
def template(db):
    return create_template(spec=make_spec(formats=("1:1",)))


@pytest.fixture
def broker():
    """This process sends to the run's Redis, with no worker serving it; the test reads the queue."""
    if not settings.REDIS_URL:
        skip_unless_required("needs Redis as the broker (REDIS_URL)")
    client = redis.Redis.from_url(settings.REDIS_URL)

    def clear() -> None:
        for key in client.scan_iter(match="generation*"):
            client.delete(key)

    clear()
    with celery_sends_to(settings.REDIS_URL):
        yield client
    clear()


def test_jobs_store_the_priority_of_the_users_plan(template):
    free, pro = user_on("free"), user_on("pro")
    with celery_sends_to("memory://"):
        assert ask(free, template).priority == FREE_PLAN_PRIORITY
        assert ask(pro, template).priority == PAID_PLAN_PRIORITY
        photo = AssetFactory(user=pro)
        operation = operation_services.request_image_operation(
            user=pro, asset_id=photo.pk, operation="upscale", factor=2
        )
        assert operation.priority == PAID_PLAN_PRIORITY
        photo = AssetFactory(user=free)
        operation = operation_services.request_image_operation(
            user=free, asset_id=photo.pk, operation="upscale", factor=2
        )
        assert operation.priority == FREE_PLAN_PRIORITY


def test_a_paid_job_sent_last_is_taken_first_from_the_broker(template, broker, django_capture_on_commit_callbacks):
    free, pro = user_on("free"), user_on("pro")
    with django_capture_on_commit_callbacks(execute=True):  # each task is sent when its request commits
        queued_free = [ask(free, template) for _ in range(3)]
        paid = ask(pro, template)
    # Redis keeps one list per priority: the paid job's list is served before the free jobs' one.
    assert broker.llen(f"generation\x06\x16{PAID_PLAN_PRIORITY}") == 1
    assert broker.llen(f"generation\x06\x16{FREE_PLAN_PRIORITY}") == 3

    taken = []
    with celery_app.connection_for_read() as connection:
        queue = connection.SimpleQueue("generation", no_ack=True)
        for _ in range(4):
            message = queue.get(timeout=2)
            taken.append(message.payload[0][0])  # the task's one argument: the job id
        queue.close()
    assert taken == [str(paid.pk)] + [str(job.pk) for job in queued_free]

    # The queue position shown to users counts the same way.
    assert selectors.queue_position(paid) == 1
    assert [selectors.queue_position(job) for job in queued_free] == [2, 3, 4]
