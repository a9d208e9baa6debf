"""Cancelling a queued generation or image operation (issue 12, item 16): the owner cancels it from
its page (with a confirmation) or the API; the holds are released exactly, no files are made, the
status says "cancelled" in the library and on the status pages, and no email goes out. A worker
that receives the task later does nothing; cancelling twice is harmless; a running or finished job
is refused with a clear message. Someone else's job answers 404."""

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from craftplatform import jobs
from credits import services as credit_services
from credits.constants import HoldStatus, TransactionType
from credits.models import CreditAccount, CreditHold, CreditTransaction
from credits.services.reconcile import find_discrepancies
from generations.models import Asset, AssetKind, Generation, GenerationStatus, ImageOperation, OperationStatus
from generations.services import generation as generation_services
from generations.services import operations as operation_services
from generations.tasks.generation import render_generation_task
from generations.tasks.operations import run_image_operation_task
from tests.factories import UserFactory
from tests.generations.factories import AssetFactory
from tests.generations.test_generation_job import stored_names
from tests.templates_app.factories import create_template, make_spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(db):
    user = UserFactory()
    credit_services.get_or_open_account(user=user)  # with the sign-up bonus
    return user


@pytest.fixture
def stranger(db):
    user = UserFactory()
    credit_services.get_or_open_account(user=user)
    return user


def balance(user) -> tuple[int, int]:
    account = CreditAccount.objects.get(user=user)
    return account.balance, account.reserved


def queued_generation(user) -> Generation:
    """A generation requested through the service; its task is never sent (no on-commit runs), so it stays queued."""
    template = create_template(spec=make_spec(formats=("1:1", "9:16")))
    request = generation_services.GenerationRequest(
        template_id=template.pk, formats=["1:1", "9:16"], texts={"headline": "Autumn sale"}
    )
    [generation] = generation_services.request_generation(user=user, request=request)
    assert generation.status == GenerationStatus.QUEUED
    return generation


def queued_operation(user) -> ImageOperation:
    photo = AssetFactory(user=user, size=(64, 48))
    operation = operation_services.request_image_operation(user=user, asset_id=photo.pk, operation="upscale", factor=2)
    assert operation.status == OperationStatus.QUEUED
    return operation


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# -- generations --------------------------------------------------------------------------------------


def test_cancelling_a_queued_generation_releases_its_holds_exactly_and_makes_nothing(owner, client):
    before = balance(owner)
    entries_before = CreditTransaction.objects.filter(account__user=owner).count()
    files_before = stored_names()
    generation = queued_generation(owner)
    assert balance(owner) == (before[0], generation.credits_quoted)
    client.force_login(owner)

    confirm = client.get(reverse("generations:cancel", args=[generation.pk]))
    assert confirm.status_code == 200
    assert "Cancel this generation?" in confirm.content.decode()
    assert f"the {generation.credits_quoted} reserved credits go back" in confirm.content.decode()

    response = client.post(reverse("generations:cancel", args=[generation.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("generations:detail", args=[generation.pk])
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Cancelled. The {generation.credits_quoted} reserved credits went back to your balance."
    ]

    generation.refresh_from_db()
    assert generation.status == GenerationStatus.CANCELLED
    assert generation.error_code == "cancelled"
    assert generation.credits_used == 0
    assert balance(owner) == before  # nothing taken, nothing reserved
    assert CreditTransaction.objects.filter(account__user=owner).count() == entries_before  # no usage entry
    holds = CreditHold.objects.filter(pk__in=[h for h in (generation.hold_id, generation.copy_hold_id) if h])
    assert {hold.status for hold in holds} == {HoldStatus.RELEASED}
    assert find_discrepancies() == []
    assert not Asset.objects.filter(generation=generation).exists()
    assert stored_names() == files_before
    assert mail.outbox == []  # no "could not be made" email for a job the user cancelled

    detail = client.get(reverse("generations:detail", args=[generation.pk])).content.decode()
    assert 'data-testid="generation-cancelled"' in detail
    assert 'data-testid="cancel-generation"' not in detail
    library = client.get(reverse("generations:index")).content.decode()
    assert "Cancelled" in library
    status = client.get(reverse("generations:status", args=[generation.pk])).json()
    assert status["status"] == "cancelled"


def test_a_worker_that_receives_the_task_after_the_cancel_does_nothing(owner, django_capture_on_commit_callbacks):
    generation = queued_generation(owner)
    generation_services_cancel(owner, generation)
    after_cancel = balance(owner)
    files_before = stored_names()

    with django_capture_on_commit_callbacks(execute=True):
        assert render_generation_task(str(generation.pk)) == "skipped"

    generation.refresh_from_db()
    assert generation.status == GenerationStatus.CANCELLED
    assert generation.attempts == 0
    assert balance(owner) == after_cancel
    assert not Asset.objects.filter(generation=generation).exists()
    assert stored_names() == files_before
    assert find_discrepancies() == []
    assert mail.outbox == []


def generation_services_cancel(user, generation) -> dict:
    response = api(user).post(reverse("api-generation-cancel", args=[generation.pk]))
    assert response.status_code == 200, response.content
    return response.json()


def test_cancelling_twice_through_the_api_is_harmless(owner):
    generation = queued_generation(owner)
    before = balance(owner)[0]
    first = generation_services_cancel(owner, generation)
    second = generation_services_cancel(owner, generation)
    assert first["status"] == second["status"] == "cancelled"
    assert balance(owner) == (before, 0)
    released = CreditTransaction.objects.filter(account__user=owner, type=TransactionType.USAGE)
    assert not released.exists()
    assert find_discrepancies() == []


def test_a_running_generation_cannot_be_cancelled(owner, client):
    generation = queued_generation(owner)
    attempt = jobs.claim(Generation, generation.pk)
    assert attempt == 1

    response = api(owner).post(reverse("api-generation-cancel", args=[generation.pk]))
    assert response.status_code == 409
    assert response.json()["code"] == "job_running"
    assert "already started" in response.json()["detail"]

    client.force_login(owner)
    page = client.get(reverse("generations:cancel", args=[generation.pk])).content.decode()
    assert 'data-testid="cancel-refused"' in page
    assert "confirm-cancel-button" not in page
    posted = client.post(reverse("generations:cancel", args=[generation.pk]))
    assert [str(m) for m in get_messages(posted.wsgi_request)] == [
        "This has already started and can no longer be cancelled. It will finish in a moment."
    ]
    generation.refresh_from_db()
    assert generation.status == GenerationStatus.RUNNING
    assert balance(owner)[1] == generation.credits_quoted  # still held for the running job


def test_cancel_after_completion_is_refused_and_changes_nothing(owner, django_capture_on_commit_callbacks):
    generation = queued_generation(owner)
    with django_capture_on_commit_callbacks(execute=True):
        assert render_generation_task(str(generation.pk)) == "completed"
    generation.refresh_from_db()
    paid = balance(owner)
    results = Asset.objects.filter(generation=generation, kind=AssetKind.RESULT).count()
    assert results == 2

    response = api(owner).post(reverse("api-generation-cancel", args=[generation.pk]))
    assert response.status_code == 409
    assert response.json()["code"] == "job_finished"
    generation.refresh_from_db()
    assert generation.status == GenerationStatus.COMPLETED
    assert balance(owner) == paid
    assert Asset.objects.filter(generation=generation, kind=AssetKind.RESULT).count() == results


def test_someone_elses_generation_cannot_be_cancelled_or_even_seen(owner, stranger, client):
    generation = queued_generation(owner)
    client.force_login(stranger)
    assert client.get(reverse("generations:cancel", args=[generation.pk])).status_code == 404
    assert client.post(reverse("generations:cancel", args=[generation.pk])).status_code == 404
    response = api(stranger).post(reverse("api-generation-cancel", args=[generation.pk]))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    generation.refresh_from_db()
    assert generation.status == GenerationStatus.QUEUED
    assert balance(owner)[1] == generation.credits_quoted


# -- image operations ----------------------------------------------------------------------------------


def test_cancelling_a_queued_operation_releases_its_hold_and_a_later_worker_does_nothing(
    owner, client, django_capture_on_commit_callbacks
):
    before = balance(owner)
    operation = queued_operation(owner)
    assert balance(owner) == (before[0], operation.credits_quoted)
    files_before = stored_names()
    client.force_login(owner)

    status_page = client.get(reverse("generations:operation", args=[operation.pk])).content.decode()
    assert 'data-testid="cancel-operation"' in status_page
    confirm = client.get(reverse("generations:cancel_operation", args=[operation.pk]))
    assert confirm.status_code == 200
    assert "Cancel this upscale?" in confirm.content.decode()
    response = client.post(reverse("generations:cancel_operation", args=[operation.pk]))
    assert response["Location"] == reverse("generations:operation", args=[operation.pk])

    operation.refresh_from_db()
    assert operation.status == OperationStatus.CANCELLED
    assert operation.result_id is None
    assert balance(owner) == before
    assert CreditHold.objects.get(pk=operation.hold_id).status == HoldStatus.RELEASED
    assert find_discrepancies() == []

    with django_capture_on_commit_callbacks(execute=True):
        run_image_operation_task(str(operation.pk))
    operation.refresh_from_db()
    assert operation.status == OperationStatus.CANCELLED
    assert operation.result_id is None
    assert balance(owner) == before
    assert stored_names() == files_before
    assert mail.outbox == []

    page = client.get(reverse("generations:operation", args=[operation.pk])).content.decode()
    assert 'data-testid="operation-cancelled"' in page
    assert 'data-testid="cancel-operation"' not in page
    images = client.get(reverse("generations:images")).content.decode()
    assert "Cancelled" in images


def test_operation_cancel_through_the_api_twice_running_and_finished(owner):
    operation = queued_operation(owner)
    first = api(owner).post(reverse("api-operation-cancel", args=[operation.pk]))
    second = api(owner).post(reverse("api-operation-cancel", args=[operation.pk]))
    assert first.status_code == second.status_code == 200
    assert first.json()["status"] == second.json()["status"] == "cancelled"
    assert find_discrepancies() == []

    running = queued_operation(owner)
    jobs.claim(ImageOperation, running.pk)
    refused = api(owner).post(reverse("api-operation-cancel", args=[running.pk]))
    assert refused.status_code == 409
    assert refused.json()["code"] == "job_running"

    done = queued_operation(owner)
    run_image_operation_task(str(done.pk))
    done.refresh_from_db()
    assert done.status == OperationStatus.COMPLETED
    refused = api(owner).post(reverse("api-operation-cancel", args=[done.pk]))
    assert refused.status_code == 409
    assert refused.json()["code"] == "job_finished"


def test_someone_elses_operation_cannot_be_cancelled(owner, stranger, client):
    operation = queued_operation(owner)
    client.force_login(stranger)
    assert client.get(reverse("generations:cancel_operation", args=[operation.pk])).status_code == 404
    assert client.post(reverse("generations:cancel_operation", args=[operation.pk])).status_code == 404
    assert api(stranger).post(reverse("api-operation-cancel", args=[operation.pk])).status_code == 404
    operation.refresh_from_db()
    assert operation.status == OperationStatus.QUEUED
