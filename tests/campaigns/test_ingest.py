"""Page-event ingest: the beacon endpoint, the Redis stream, the drain and the fallback."""

import json

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from analytics import drain, ingest
from analytics.models import PageEvent
from campaigns.pages.rendering import beacon_key
from craftplatform import ratelimit

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


@pytest.fixture(autouse=True)
def _fresh_stream(settings):
    ingest.reset_circuit()
    client = ingest.redis_client()
    if client is not None:
        client.delete(ingest.STREAM)
    yield
    ingest.reset_circuit()
    if client is not None:
        client.delete(ingest.STREAM)


def _event(page, **fields):
    version = page.published_version.number
    return {"p": str(page.pk), "v": version, "k": beacon_key(str(page.pk), version), "t": "view", **fields}


def _post(client, body, **headers):
    return client.post(
        "/e/",
        data=json.dumps(body) if not isinstance(body, bytes) else body,
        content_type="text/plain",
        HTTP_USER_AGENT=headers.pop("ua", BROWSER),
        **headers,
    )


needs_redis = pytest.mark.skipif(
    "not __import__('django.conf').conf.settings.PAGE_EVENTS_REDIS_URL", reason="needs Redis"
)


@needs_redis
def test_accepted_events_go_to_the_stream_then_the_drain_stores_them(client, published):
    hero = next(c for c in published.published_version.components if c["type"] == "hero")
    assert _post(client, _event(published, utm_campaign="spring", f="fb1")).status_code == 204
    assert _post(client, _event(published, t="click", c=hero["id"])).status_code == 204
    assert PageEvent.objects.count() == 0  # answered at once, stored by the drain
    assert ingest.redis_client().xlen(ingest.STREAM) == 2
    assert drain.drain(consumer="t1") == 2
    events = {e.event_type: e for e in PageEvent.objects.all()}
    assert events["view"].utm_campaign == "spring"
    assert events["view"].fbclid == "fb1"
    assert events["click"].component_id == hero["id"]
    assert len(events["view"].visitor_hash) == 32
    assert events["view"].visitor_hash == events["click"].visitor_hash
    assert ingest.redis_client().xlen(ingest.STREAM) == 0
    assert drain.drain(consumer="t1") == 0
    assert PageEvent.objects.count() == 2


@needs_redis
def test_a_batch_written_twice_is_stored_once(published):
    ingest.record(_event(published), visitor="v" * 32, country="")
    client = ingest.redis_client()
    drain._ensure_group(client)
    entries = client.xreadgroup(drain.GROUP, "crashy", {ingest.STREAM: ">"}, count=10)[0][1]
    drain.store_batch(drain._rows(entries))  # committed, then the worker died before XACK
    assert PageEvent.objects.count() == 1
    assert drain.drain(consumer="next") == 0  # still pending for "crashy", not idle long enough
    with override_settings(PAGE_EVENTS_CLAIM_IDLE_MS=0):
        assert drain.drain(consumer="next") == 1
    assert PageEvent.objects.count() == 1
    assert client.xpending(ingest.STREAM, drain.GROUP)["pending"] == 0


def test_redis_down_falls_back_to_the_database(client, published, settings):
    settings.PAGE_EVENTS_REDIS_URL = "redis://127.0.0.1:1/0"
    assert _post(client, _event(published)).status_code == 204
    assert _post(client, _event(published, t="scroll")).status_code == 204
    assert sorted(PageEvent.objects.values_list("event_type", flat=True)) == ["scroll", "view"]


def test_embedded_mode_stores_directly(client, published, settings):
    settings.PAGE_EVENTS_REDIS_URL = ""
    assert _post(client, _event(published)).status_code == 204
    assert PageEvent.objects.count() == 1


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: {**e, "t": "purchase"},
        lambda e: {**e, "k": "0" * 20},
        lambda e: {**e, "p": "not-a-uuid"},
        lambda e: {**e, "v": "1"},
        lambda e: {**e, "utm_source": "x" * 201},
        lambda e: {**e, "c": "<script>"},
        lambda e: [e],
    ],
)
def test_bad_payloads_get_400_and_nothing_is_stored(client, published, settings, mutate):
    settings.PAGE_EVENTS_REDIS_URL = ""
    assert _post(client, mutate(_event(published))).status_code == 400
    assert _post(client, b"{not json").status_code == 400
    assert _post(client, b"x" * 5000).status_code == 400
    assert PageEvent.objects.count() == 0


def test_do_not_track_gpc_and_bots_are_not_counted(client, published, settings):
    settings.PAGE_EVENTS_REDIS_URL = ""
    assert _post(client, _event(published), HTTP_DNT="1").status_code == 204
    assert _post(client, _event(published), HTTP_SEC_GPC="1").status_code == 204
    assert _post(client, _event(published), ua="Mozilla/5.0 (compatible; Googlebot/2.1)").status_code == 204
    assert _post(client, _event(published), ua="facebookexternalhit/1.1").status_code == 204
    assert PageEvent.objects.count() == 0


def test_rate_limited_per_address(client, published, settings):
    settings.PAGE_EVENTS_REDIS_URL = ""
    settings.PAGE_EVENTS_RATE_LIMIT = 3
    codes = [_post(client, _event(published)).status_code for _ in range(5)]
    assert codes == [204, 204, 204, 429, 429]
    assert PageEvent.objects.count() == 3


def test_raw_address_is_never_stored(client, published, settings):
    settings.PAGE_EVENTS_REDIS_URL = ""
    _post(client, _event(published), REMOTE_ADDR="198.51.100.77")
    event = PageEvent.objects.get()
    row = {f.attname: getattr(event, f.attname) for f in PageEvent._meta.concrete_fields}
    assert "198.51.100.77" not in json.dumps(row, default=str)
    assert event.visitor_hash != ingest.visitor_hash("198.51.100.78", BROWSER)


def test_only_post(client):
    assert client.get("/e/").status_code == 405


@pytest.mark.postgres
def test_drain_uses_copy_on_postgresql(published):
    assert connection.vendor == "postgresql"
    rows = [ingest.row_values(_event(published) | {"at": 1.7e9, "h": "h"}, f"1-{n}") for n in range(5)]
    assert drain.store_batch(rows) == 5
    assert drain.store_batch(rows) == 0
    assert PageEvent.objects.count() == 5


def _batch(page, pairs, **fields):
    version = page.published_version.number
    return {"p": str(page.pk), "v": version, "k": beacon_key(str(page.pk), version), "e": pairs, **fields}


@needs_redis
def test_a_batch_is_one_request_and_each_event_its_own_stream_entry(client, published):
    hero = next(c for c in published.published_version.components if c["type"] == "hero")
    body = _batch(published, [["view", ""], ["scroll", ""], ["click", hero["id"]]], utm_campaign="spring")
    assert _post(client, body).status_code == 204
    assert ingest.redis_client().xlen(ingest.STREAM) == 3
    assert drain.drain(consumer="t1") == 3
    rows = list(PageEvent.objects.order_by("event_type"))
    assert [r.event_type for r in rows] == ["click", "scroll", "view"]
    assert {r.utm_campaign for r in rows} == {"spring"}
    assert rows[0].component_id == hero["id"]
    assert len({r.ingest_id for r in rows}) == 3


@needs_redis
def test_rate_limit_counts_events_in_the_same_round_trip_as_the_append(client, published, settings):
    settings.PAGE_EVENTS_RATE_LIMIT = 5
    address = "203.0.113.9"
    codes = [
        _post(client, _batch(published, [["view", ""], ["scroll", ""]]), REMOTE_ADDR=address).status_code
        for _ in range(3)
    ]
    assert codes == [204, 204, 429]  # 2 + 2 events fit in 5; the third batch would make 6
    assert _post(client, _event(published), REMOTE_ADDR=address).status_code == 429  # the counter went to 6
    assert _post(client, _event(published), REMOTE_ADDR="203.0.113.10").status_code == 204  # per address
    assert ingest.redis_client().xlen(ingest.STREAM) == 5
    # The counter is craftplatform.ratelimit's own window key, with its lifetime.
    key, lifetime = ratelimit.window_key(ingest.RATE_SCOPE, address, window=ingest.RATE_WINDOW)
    assert int(ingest.redis_client().get(key)) == 7
    assert 0 < ingest.redis_client().ttl(key) <= lifetime


@pytest.mark.parametrize(
    "pairs",
    [[], [["view"]], [["purchase", ""]], [["click", "<script>"]], [["view", ""]] * 21, "view", [{"t": "view"}]],
)
def test_bad_batches_get_400_and_nothing_is_stored(client, published, settings, pairs):
    settings.PAGE_EVENTS_REDIS_URL = ""
    assert _post(client, _batch(published, pairs)).status_code == 400
    assert _post(client, {**_batch(published, [["view", ""]]), "t": "view"}).status_code == 400
    assert PageEvent.objects.count() == 0


def test_embedded_mode_stores_a_batch_and_counts_its_events(client, published, settings):
    settings.PAGE_EVENTS_REDIS_URL = ""
    settings.PAGE_EVENTS_RATE_LIMIT = 3
    assert _post(client, _batch(published, [["view", ""], ["scroll", ""]])).status_code == 204
    assert _post(client, _batch(published, [["view", ""], ["scroll", ""]])).status_code == 429
    assert PageEvent.objects.count() == 2


def test_public_paths_skip_sessions_and_the_app_stack_but_keep_host_checks(client, published, settings):
    settings.PAGE_EVENTS_REDIS_URL = ""
    settings.ALLOWED_HOSTS = ["testserver"]
    path = f"/p/{published.user.page_handle.handle}/{published.slug}/"
    body = _event(published)
    with CaptureQueriesContext(connection) as queries:
        response = _post(client, body)
    assert response.status_code == 204
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["INSERT"]  # the fallback's row only
    assert "Vary" not in response
    assert not response.cookies
    client.get(path)  # fills the cache
    with CaptureQueriesContext(connection) as queries:
        page = client.get(path)
    assert page.status_code == 200
    assert queries.captured_queries == []  # the cached page: no query at all
    assert "nonce" not in page["Content-Security-Policy"]  # the page's own CSP, not the app's
    assert not page.cookies
    assert client.get(path, HTTP_HOST="evil.example").status_code == 400
    assert client.post("/e/", data="{}", content_type="text/plain", HTTP_HOST="evil.example").status_code == 400
