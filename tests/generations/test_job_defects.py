"""Regression tests for issue 10's job defects (1, 2, 3, 6, 9, 10), each named after what it proves.

Every one of them failed on the code before the job runner (see the branch's report)."""

import contextlib
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from craftplatform import jobs
from craftplatform.celery import app as celery_app
from craftplatform.jobs import runner as job_runner
from craftplatform.schedules import SCHEDULES
from credits import services as credit_services
from credits.models import CreditAccount, CreditHold, CreditTransaction, HoldStatus
from credits.services import reconcile
from generations.errors import InvalidGenerationRequest, RequestKeyConflict
from generations.models import AIProvider, Asset, AssetKind, Generation, GenerationStatus
from generations.services import generation as generation_services
from templates_app import selectors as template_selectors
from templates_app.renderer import render_ad
from tests.factories import PASSWORD, UserFactory
from tests.fakes.ai_server import OPENAI_IMAGES, FakeAIServer, point_settings_at
from tests.generations.factories import spec_with_backdrop
from tests.generations.worker_support import celery_sends_to
from tests.templates_app.factories import create_template, make_spec
from tests.workers.test_celery_worker import redis_broker_url  # noqa: F401 (fixture)

API_KEY = "sk-test-fake-0123456789abcdef"


@pytest.fixture
def user(db):
    user = UserFactory()
    credit_services.get_or_open_account(user=user)
    return user


@pytest.fixture
def template(db):
    return create_template(spec=make_spec(formats=("1:1",)))


def balance(user) -> tuple[int, int]:
    account = CreditAccount.objects.get(user=user)
    return account.balance, account.reserved


def ask(user, template, **changes) -> list[Generation]:
    values = {"template_id": template.pk, "formats": ["1:1"], "texts": {"headline": "Autumn sale"}, **changes}
    return generation_services.request_generation(user=user, request=generation_services.GenerationRequest(**values))


def files_of(generation: Generation) -> list[str]:
    return [name for asset in generation.assets.all() for name in (asset.file.name, asset.thumbnail.name) if name]


# -- defect 1: a slow worker must not delete a paid generation's files ------------------------------


@pytest.mark.postgres
def test_a_worker_that_overran_its_lease_never_deletes_the_files_of_the_attempt_that_completed(
    transactional_db,
    settings,
    redis_broker_url,  # noqa: F811
):
    user = UserFactory()
    credit_services.get_or_open_account(user=user)
    template = create_template(spec=spec_with_backdrop())
    with FakeAIServer(api_key=API_KEY) as fake:
        point_settings_at(settings, fake, api_key=API_KEY)
        settings.AI_PROVIDER_TIMEOUT_SECONDS = 10
        AIProvider.objects.filter(key="openai").update(enabled=True)
        with celery_sends_to(redis_broker_url):  # no worker listens: the test plays both workers
            [generation] = ask(user, template, formats=["1:1", "9:16"], ai_background=True)
        before, _ = balance(user)
        fake.fail_next(OPENAI_IMAGES, "slow", delay=3)  # worker A waits on the provider past its lease

        def worker_a() -> None:
            try:
                generation_services.run_generation(generation_id=generation.pk)
            finally:
                connection.close()

        slow = threading.Thread(target=worker_a)
        slow.start()
        deadline = time.monotonic() + 10
        while not fake.requests_to(OPENAI_IMAGES) and time.monotonic() < deadline:
            time.sleep(0.05)
        generation.refresh_from_db()
        assert (generation.status, generation.attempts) == (GenerationStatus.RUNNING, 1)
        # A's lease runs out: the sweep queues the job again and worker B completes it.
        with celery_sends_to(redis_broker_url):
            generation_services.sweep_stuck_generations(now=generation.lease_expires_at + timedelta(seconds=1))
        assert generation_services.run_generation(generation_id=generation.pk) == "completed"
        slow.join(timeout=30)

    generation.refresh_from_db()
    assert generation.status == GenerationStatus.COMPLETED
    assert generation.attempts == 2
    # Every file a committed row refers to is still there, and nothing was charged twice.
    assert files_of(generation)
    assert all(default_storage.exists(name) for name in files_of(generation)), "a paid file was deleted"
    assert Asset.objects.filter(generation=generation, kind=AssetKind.RESULT).count() == 2
    assert Asset.objects.filter(generation=generation, kind=AssetKind.AI_IMAGE).count() == 1
    assert balance(user) == (before - 6, 0)
    assert reconcile.find_discrepancies() == []


# -- defect 2: a job never completes unless every hold is captured ----------------------------------


@pytest.mark.parametrize("how", ["staff release", "hold expiry"])
def test_a_generation_whose_hold_was_released_fails_and_is_not_made_for_free(
    user, template, how, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # workers are down: it waits in the queue
        [generation] = ask(user, template)
    before, _ = balance(user)
    if how == "staff release":
        credit_services.release_hold(hold_id=generation.hold_id)
    else:
        credit_services.release_expired_holds(now=timezone.now() + timedelta(days=1))

    assert generation_services.run_generation(generation_id=generation.pk) == "failed"

    generation.refresh_from_db()
    assert generation.status == GenerationStatus.FAILED
    assert generation.credits_used == 0
    assert generation.error_message == jobs.HOLDS_RETURNED_MESSAGE
    assert not generation.assets.exists()
    assert balance(user) == (before, 0)
    assert reconcile.find_discrepancies() == []


def test_a_running_jobs_holds_are_extended_with_its_lease(user, template, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        [generation] = ask(user, template)
    hold = CreditHold.objects.get(pk=generation.hold_id)
    hold.expires_at = timezone.now() + timedelta(seconds=5)  # about to expire
    hold.save(update_fields=["expires_at"])
    assert jobs.claim(Generation, generation.pk) == 1
    generation.refresh_from_db()
    hold.refresh_from_db()
    assert hold.expires_at > generation.lease_expires_at
    # The hold sweep leaves it alone while the job may still finish.
    assert credit_services.release_expired_holds(now=generation.lease_expires_at) == 0


# -- defect 3: the sweep is capped, keeps backoffs and runs on `default` -----------------------------


def test_a_generation_nobody_picks_up_fails_after_the_queue_timeout_with_its_holds_released(
    user, template, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        [generation] = ask(user, template)
    before, _ = balance(user)
    later = timezone.now() + timedelta(seconds=settings.JOBS_QUEUE_TIMEOUT_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=False) as sent:
        generation_services.sweep_stuck_generations(now=later)
    # Not sent again (and again, every minute, forever): the only message is the owner's
    # "your ads could not be made" notice.
    assert [getattr(callback, "func", callback) for callback in sent] == [job_runner._send_failure_notice]
    generation.refresh_from_db()
    assert generation.status == GenerationStatus.FAILED
    assert generation.error_message == jobs.QUEUE_TIMEOUT_MESSAGE
    assert CreditHold.objects.get(pk=generation.hold_id).status == HoldStatus.RELEASED
    assert balance(user) == (before, 0)


def test_a_generation_waiting_out_a_provider_backoff_is_not_sent_again_by_the_sweep(
    user, django_capture_on_commit_callbacks, settings
):
    template = create_template(spec=spec_with_backdrop())
    with FakeAIServer(api_key=API_KEY) as fake:
        point_settings_at(settings, fake, api_key=API_KEY)
        AIProvider.objects.filter(key="openai").update(enabled=True)
        with django_capture_on_commit_callbacks(execute=False):
            [generation] = ask(user, template, ai_background=True)
        # It waited in the queue for a while before a worker took it.
        Generation.objects.filter(pk=generation.pk).update(queued_at=timezone.now() - timedelta(minutes=30))
        fake.fail_next(OPENAI_IMAGES, "server_error", status=503)
        # (contextlib.suppress: the old code raised its retry to the task.)
        with django_capture_on_commit_callbacks(execute=False) as retry, contextlib.suppress(Exception):
            generation_services.run_generation(generation_id=generation.pk)
        assert len(retry) == 1  # the retry, sent with its backoff
    with django_capture_on_commit_callbacks(execute=False) as sent:
        generation_services.sweep_stuck_generations()
    assert sent == [], "the sweep re-sent a job that is waiting out its backoff"
    generation.refresh_from_db()
    assert generation.status == GenerationStatus.QUEUED
    assert generation.queued_at > timezone.now() - timedelta(minutes=1)


def test_the_job_sweep_runs_on_the_default_queue():
    [sweep] = [schedule for schedule in SCHEDULES if "sweep" in schedule.task and "job" in schedule.task]
    assert sweep.queue == "default"
    route = celery_app.amqp.router.route({}, sweep.task)
    assert route["queue"].name == "default"


# -- defect 6: broker down at commit ----------------------------------------------------------------


@pytest.mark.postgres
def test_a_generation_requested_while_the_broker_is_down_answers_201_and_the_sweep_sends_it_later(
    transactional_db, client
):
    user = UserFactory()
    credit_services.get_or_open_account(user=user)
    template = create_template(spec=make_spec(formats=("1:1",)))
    client.login(email=user.email, password=PASSWORD)
    body = {"template": template.slug, "formats": ["1:1"], "texts": {"headline": "Broker down"}}
    with celery_sends_to("redis://127.0.0.1:1/0"):  # nothing listens there
        response = client.post("/api/v1/generations/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    generation = Generation.objects.get(user=user)
    assert (generation.status, generation.enqueue_pending) == (GenerationStatus.QUEUED, True)
    # The broker is back (tasks run eagerly here): the next sweep sends it, and it completes.
    result = generation_services.sweep_stuck_generations()
    assert result["resent"] == 1
    generation.refresh_from_db()
    assert generation.status == GenerationStatus.COMPLETED
    assert generation.credits_used == 1
    assert reconcile.find_discrepancies() == []


# -- defect 9: a request key means one request ------------------------------------------------------


def test_the_same_request_key_with_a_different_request_is_refused_with_409(client, user, template):
    client.login(email=user.email, password=PASSWORD)
    body = {"template": template.slug, "formats": ["1:1"], "texts": {"headline": "First"}, "request_key": "k-1"}
    assert client.post("/api/v1/generations/", body, content_type="application/json").status_code == 201
    changed = {**body, "texts": {"headline": "Something else"}}
    response = client.post("/api/v1/generations/", changed, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"  # one code for a reused key, body field or header
    with pytest.raises(RequestKeyConflict):
        ask(user, template, texts={"headline": "Third"}, request_key="k-1")
    assert Generation.objects.filter(user=user).count() == 1


@pytest.mark.postgres
def test_the_same_request_key_sent_twice_at_once_answers_all_its_generations_both_times(transactional_db):
    user = UserFactory()
    credit_services.get_or_open_account(user=user)
    template = create_template(spec=make_spec(formats=("1:1",)))
    barrier = threading.Barrier(2)
    answers: list[list[str]] = []

    def send() -> None:
        try:
            barrier.wait()
            created = ask(user, template, count=2, request_key="twice")
            answers.append(sorted(str(generation.pk) for generation in created))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 2
    assert answers[0] == answers[1]
    assert len(answers[0]) == 2  # the first and its variation, on both answers
    assert Generation.objects.filter(user=user).count() == 2


# -- defect 10: blank texts are never the template's sample copy ------------------------------------


def test_a_required_text_left_blank_is_refused_naming_the_field(client, user, template):
    with pytest.raises(InvalidGenerationRequest) as refused:
        ask(user, template, texts={"headline": "Sale", "cta": "  "})
    assert "text_cta" in refused.value.problems
    client.login(email=user.email, password=PASSWORD)
    body = {"template": template.slug, "formats": ["1:1"], "texts": {"headline": "", "cta": "Go"}}
    response = client.post("/api/v1/generations/", body, content_type="application/json")
    assert response.status_code == 400
    assert "text_headline" in response.json()["errors"]
    assert not Generation.objects.exists()


def test_an_optional_text_left_blank_is_left_out_of_the_ad(user, template, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [generation] = ask(user, template, texts={"headline": "Sale", "body": "", "cta": "Go"})
    generation.refresh_from_db()
    assert generation.status == GenerationStatus.COMPLETED
    assert generation.customization_data["texts"]["body"] == ""
    spec = template_selectors.get_spec_for_generation(template_id=template.pk, version=template.spec_version)
    inputs = generation_services.render_inputs(generation, spec, None, generation.attempts)
    drawn = {box.slot for box in render_ad(spec, "1:1", inputs).text_boxes}
    assert "body" not in drawn, "the template's sample copy was drawn for a cleared field"
    assert {"headline", "cta"} <= drawn


def test_the_customise_page_refuses_a_cleared_required_text_beside_the_field(client, user, template):
    client.login(email=user.email, password=PASSWORD)
    data = {
        "formats": ["1:1"],
        "count": "1",
        "output_format": "png",
        "quality": "90",
        "text_headline": "Autumn sale",
        "text_body": "",
        "text_cta": "",
        "color_accent": "#FF5A5F",
        "request_key": "form-blank",
        "preview_format": "1:1",
    }
    response = client.post(reverse("generations:customise", args=[template.slug]), data)
    assert response.status_code == 400
    assert "Button is required" in response.content.decode()
    assert not Generation.objects.exists()
    assert CreditTransaction.objects.filter(reference_type="generation").count() == 0
