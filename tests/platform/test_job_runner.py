"""The job runner's contract (craftplatform.jobs), on a real kind of job (an image operation)."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from craftplatform import jobs
from credits import services as credit_services
from credits.models import CreditHold, HoldStatus
from generations.models import Generation, ImageOperation
from generations.services import operations as operation_services
from tests.factories import UserFactory


@pytest.fixture
def operation(db, django_capture_on_commit_callbacks, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    user = UserFactory()
    credit_services.get_or_open_account(user=user)
    content = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 100, 50)).save(content, format="PNG")
    photo = operation_services.upload_image(
        user=user, upload=SimpleUploadedFile("photo.png", content.getvalue(), content_type="image/png")
    )
    with django_capture_on_commit_callbacks(execute=False):
        return operation_services.request_image_operation(user=user, asset_id=photo.pk, operation="vectorize")


def test_backoff_grows_with_jitter_and_respects_retry_after_and_the_caps(settings):
    settings.JOBS_BACKOFF_BASE_SECONDS = 10
    settings.JOBS_BACKOFF_MAX_SECONDS = 300
    settings.CELERY_MAX_COUNTDOWN = 600
    for attempt, low, high in ((1, 5, 10), (2, 10, 20), (3, 20, 40)):
        assert all(low <= jobs.backoff_seconds(attempt) <= high for _ in range(50))
    assert len({jobs.backoff_seconds(2) for _ in range(20)}) > 1
    assert jobs.backoff_seconds(1, retry_after=120) == 120
    assert jobs.backoff_seconds(1, retry_after=10_000) == 300
    assert jobs.backoff_seconds(30) == 300


def test_every_write_of_an_attempt_is_fenced_once_a_later_attempt_owns_the_job(operation):
    first = jobs.claim(ImageOperation, operation.pk)
    assert first == 1
    assert jobs.claim(ImageOperation, operation.pk) is None  # running: nothing to claim
    assert jobs.requeue(ImageOperation, operation.pk, attempt=first)
    second = jobs.claim(ImageOperation, operation.pk)
    assert second == 2
    # The first attempt lost the job: no lease refresh, no requeue, no fenced write, no completion.
    assert not jobs.refresh_lease(ImageOperation, operation.pk, attempt=first)
    assert not jobs.requeue(ImageOperation, operation.pk, attempt=first)
    with pytest.raises(jobs.LostLease), jobs.fenced(ImageOperation, operation.pk, attempt=first):
        pass
    with pytest.raises(jobs.LostLease):
        jobs.complete(ImageOperation, operation.pk, attempt=first)
    assert not jobs.fail(ImageOperation, operation.pk, message="late", attempt=first)
    # The owner completes it and captures the hold in the same transaction.
    done = jobs.complete(ImageOperation, operation.pk, attempt=second)
    assert done.status == jobs.JobStatus.COMPLETED
    assert CreditHold.objects.get(pk=operation.hold_id).status == HoldStatus.CAPTURED


def test_a_requeue_restarts_the_queue_clock_and_keeps_the_holds(operation):
    attempt = jobs.claim(ImageOperation, operation.pk)
    assert jobs.requeue(ImageOperation, operation.pk, attempt=attempt, countdown=30)
    operation.refresh_from_db()
    assert operation.queued_at > timezone.now() - timedelta(seconds=5)
    assert operation.enqueued_at > timezone.now() + timedelta(seconds=25)
    hold = CreditHold.objects.get(pk=operation.hold_id)
    assert hold.status == HoldStatus.HELD
    assert hold.expires_at > operation.enqueued_at


def test_cancelling_a_queued_job_releases_its_hold_and_a_running_one_cannot_be_cancelled(operation):
    assert jobs.cancel(ImageOperation, operation.pk, message="You cancelled it.")
    operation.refresh_from_db()
    assert (operation.status, operation.error_message) == (jobs.JobStatus.CANCELLED, "You cancelled it.")
    assert CreditHold.objects.get(pk=operation.hold_id).status == HoldStatus.RELEASED
    assert not jobs.cancel(ImageOperation, operation.pk)


def test_the_sweep_covers_every_kind_of_job(db):
    assert {Generation, ImageOperation} <= set(jobs.job_models())
    swept = jobs.sweep_all()
    assert {"generations.Generation", "generations.ImageOperation"} <= set(swept)
