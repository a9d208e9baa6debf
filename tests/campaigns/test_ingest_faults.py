"""Acceptance 2: a drain SIGKILLed while draining loses nothing and stores nothing twice; with Redis
down the endpoint keeps answering and the events are written straight to the database."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from analytics import drain, ingest
from analytics.models import PageEvent
from campaigns.pages import services
from campaigns.pages.rendering import beacon_key
from tests.generations.worker_support import database_url
from tests.services import skip_unless_required

ROOT = Path(__file__).resolve().parents[2]
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
ACCEPTED = 10_000


def _start_drain(consumer: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "craftplatform.settings.test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.PAGE_EVENTS_REDIS_URL,
        "PAGE_EVENTS_REDIS_URL": settings.PAGE_EVENTS_REDIS_URL,
        "PAGE_EVENTS_CLAIM_IDLE_MS": "0",  # take over what the killed drain left pending at once
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "drain_page_events", "--once", "--batch-size", "250", "--consumer", consumer],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_killed_drains_lose_nothing_and_count_nothing_twice(user, client):
    if not settings.PAGE_EVENTS_REDIS_URL:
        skip_unless_required("needs Redis (REDIS_URL)")
    redis = ingest.redis_client()
    redis.delete(ingest.STREAM)
    page = services.create_page(user=user, name="Burst", starting_point="lead_capture")
    version = services.publish_page(page=page)
    event = {"p": str(page.pk), "v": version.number, "k": beacon_key(str(page.pk), version.number), "t": "view"}
    # Accepted through the endpoint's own path, as a burst of ad traffic would be.
    for n in range(200):
        response = client.post(
            "/e/",
            json.dumps({**event, "utm_content": str(n)}),
            content_type="text/plain",
            HTTP_USER_AGENT=BROWSER,
            REMOTE_ADDR=f"198.51.100.{n % 250}",
        )
        assert response.status_code == 204
    for n in range(ACCEPTED - 200):
        ingest.record({**event, "utm_content": f"b{n}"}, visitor="v" * 32, country="")
    assert redis.xlen(ingest.STREAM) == ACCEPTED

    kills = 0
    for round_number in range(4):
        worker = _start_drain(f"doomed-{round_number}")
        before = PageEvent.objects.count()
        deadline = time.monotonic() + 30
        while PageEvent.objects.count() < before + 1000 and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if worker.poll() is None:
            worker.send_signal(signal.SIGKILL)  # mid-batch: between COPY, commit, XACK, wherever it is
            kills += 1
        worker.wait(timeout=30)
    assert kills >= 2
    assert PageEvent.objects.count() < ACCEPTED  # work was really left behind by the killed drains

    with override_settings(PAGE_EVENTS_CLAIM_IDLE_MS=0):
        drain.drain(consumer="survivor")
    assert PageEvent.objects.count() == ACCEPTED
    assert PageEvent.objects.values("ingest_id").distinct().count() == ACCEPTED
    assert redis.xlen(ingest.STREAM) == 0
    assert redis.xpending(ingest.STREAM, drain.GROUP)["pending"] == 0
    redis.delete(ingest.STREAM)


@pytest.mark.postgres
def test_redis_down_answers_and_keeps_events_in_the_database(client, published, settings):
    settings.PAGE_EVENTS_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    ingest.reset_circuit()
    version = published.published_version.number
    event = {"p": str(published.pk), "v": version, "k": beacon_key(str(published.pk), version), "t": "view"}
    started = time.monotonic()
    codes = [
        client.post("/e/", json.dumps(event), content_type="text/plain", HTTP_USER_AGENT=BROWSER).status_code
        for _ in range(20)
    ]
    assert codes == [204] * 20
    assert PageEvent.objects.count() == 20
    assert time.monotonic() - started < 5  # the breaker skips the dead Redis after the first try
    ingest.reset_circuit()
