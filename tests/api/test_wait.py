"""`POST /api/v1/generations/?wait=N`: 201 with the files when the job finishes within the wait,
202 with the status URL otherwise."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from generations.models import AIProvider, Generation, GenerationStatus
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

URL = "/api/v1/generations/"


def keyed_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.mark.django_db
def test_a_job_done_within_the_wait_answers_201_with_its_files(api_user, api_key, api_template):
    # Jobs run inline here (the test settings' eager mode): done before the first look.
    response = keyed_client(api_key).post(
        f"{URL}?wait=10", {"template": api_template.slug, "formats": ["1:1", "9:16"]}, format="json"
    )
    assert response.status_code == 201, response.json()
    [generation] = response.json()
    assert generation["status"] == "completed"
    assert [result["format_key"] for result in generation["results"]] == ["1:1", "9:16"]
    assert all(result["file_url"] for result in generation["results"])


@pytest.mark.django_db
@pytest.mark.parametrize("wait", ["-1", "31", "soon"])
def test_the_wait_is_bounded(api_key, api_template, wait):
    response = keyed_client(api_key).post(
        f"{URL}?wait={wait}", {"template": api_template.slug, "formats": ["1:1"]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "wait" in response.json()["errors"]
    assert not Generation.objects.exists()


@pytest.mark.worker
@pytest.mark.postgres
def test_a_job_slower_than_the_wait_answers_202_with_the_status_url(
    api_user,
    api_key,
    redis_broker_url,  # noqa: F811
    start_worker,  # noqa: F811
):
    template = create_template(spec=spec_with_backdrop())
    with FakeAIServer(api_key="sk-test-fake-wait-0123456789") as fake:
        AIProvider.objects.filter(key="openai").update(enabled=True)
        env = worker_settings_env(
            OPENAI_API_KEY="sk-test-fake-wait-0123456789",
            OPENAI_BASE_URL=fake.base_url + "/v1",
            AI_PROVIDER_TIMEOUT_SECONDS="60",
        )
        # The AI background takes 4 s: longer than the 1 s the client waits.
        fake.fail_next(OPENAI_IMAGES, "slow", delay=4)
        worker = start_worker(redis_broker_url, env=env)
        worker.wait_until_ready()
        with celery_sends_to(redis_broker_url):
            response = keyed_client(api_key).post(
                f"{URL}?wait=1",
                {"template": template.slug, "formats": ["1:1"], "ai_background": True},
                format="json",
            )
            assert response.status_code == 202, response.json()
            body = response.json()
            generation_id = body["generations"][0]["id"]
            status_url = reverse("api-generation-status", args=[generation_id])
            assert body["status_urls"] == [f"http://testserver{status_url}"]
            assert response["Location"] == body["status_urls"][0]
            assert body["generations"][0]["status"] in ("queued", "processing")

            wait_for(
                lambda: Generation.objects.filter(pk=generation_id, status=GenerationStatus.COMPLETED).exists(),
                timeout=90,
                what="the worker to finish the job",
                details=worker.log_tail,
            )
        status = keyed_client(api_key).get(status_url).json()
        assert status["status"] == "completed"
        assert [asset["format"] for asset in status["assets"]] == ["1:1"]
