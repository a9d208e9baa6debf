"""Image operations raced against themselves with real commits (PostgreSQL): the same request sent
at once makes one operation and one hold; the same job run at once stores and charges once.

Each caller runs in its own thread with its own connection; the job runs eagerly on commit in the
thread that requested it.
"""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from craftplatform import jobs
from credits import services as credit_services
from credits.constants import TransactionType
from credits.models import CreditHold, CreditTransaction
from credits.services import reconcile
from generations.models import Asset, AssetKind, ImageOperation, OperationStatus
from generations.services import operations as services
from tests.factories import UserFactory
from tests.generations.factories import png_bytes

pytestmark = [pytest.mark.postgres]

CALLERS = 8


def run_at_once(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = []
    lock = threading.Lock()

    def one(index: int) -> None:
        try:
            barrier.wait()
            outcome = work(index)
        except Exception as exc:  # noqa: BLE001 - recorded and asserted on below
            outcome = exc
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=one, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_the_same_request_sent_at_once_makes_one_operation_and_one_charge(transactional_db):
    user = UserFactory()
    start = credit_services.get_or_open_account(user=user).balance
    photo = services.upload_image(user=user, upload=SimpleUploadedFile("p.png", png_bytes((60, 40))))

    results = run_at_once(
        CALLERS,
        lambda index: (
            services.request_image_operation(
                user=user, asset_id=photo.pk, operation="upscale", factor=2, request_key="same-click"
            ).pk
        ),
    )

    assert [r for r in results if isinstance(r, Exception)] == []
    assert len(set(results)) == 1
    operation = ImageOperation.objects.get()
    assert operation.status == OperationStatus.COMPLETED
    assert CreditHold.objects.count() == 1
    assert CreditTransaction.objects.filter(account__user=user, type=TransactionType.USAGE).count() == 1
    assert credit_services.get_or_open_account(user=user).balance == start - 2
    assert Asset.objects.filter(kind=AssetKind.OPERATION).count() == 1
    assert reconcile.find_discrepancies() == []


def test_the_same_job_run_at_once_stores_and_charges_once(transactional_db):
    user = UserFactory()
    start = credit_services.get_or_open_account(user=user).balance
    photo = services.upload_image(user=user, upload=SimpleUploadedFile("p.png", png_bytes((60, 40))))
    with transaction.atomic():
        operation = services.request_image_operation(user=user, asset_id=photo.pk, operation="vectorize")
        # A worker takes it before the eager delivery on commit (which then skips it) and dies.
        assert jobs.claim(ImageOperation, operation.pk)
    operation.refresh_from_db()
    assert (operation.status, operation.attempts) == (OperationStatus.RUNNING, 1)
    # Queued again as the sweep leaves it, without the sweep's own delivery: the threads below are
    # the deliveries (a redelivered message, a retry and the sweep's message arriving together).
    ImageOperation.objects.filter(pk=operation.pk).update(status=OperationStatus.QUEUED, lease_expires_at=None)

    results = run_at_once(CALLERS, lambda index: services.run_image_operation(operation_id=operation.pk))

    assert sorted(results) == ["completed"] + ["skipped"] * (CALLERS - 1)
    assert Asset.objects.filter(kind=AssetKind.OPERATION).count() == 1
    assert CreditTransaction.objects.filter(account__user=user, type=TransactionType.USAGE).count() == 1
    assert credit_services.get_or_open_account(user=user).balance == start - 3
    assert reconcile.find_discrepancies() == []
