"""Outgoing webhooks against a local receiving server: signed, retried with backoff, logged, replayable."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.integrations import webhooks
from campaigns.integrations.models import WebhookDelivery
from campaigns.leads import services as lead_services
from tests.fakes.webhook_receiver import WebhookReceiver


def _verify(secret: str, received) -> dict:
    parts = dict(item.split("=", 1) for item in received.headers["CraftAds-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + received.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    return json.loads(received.body)


def _lead(published):
    form = next(c for c in published.published_version.components if c["type"] == "lead_form")
    data = {
        "component": form["id"],
        "ts": lead_services.form_token(),
        "email": "ada@example.com",
        "utm_campaign": "spring",
    }
    return lead_services.submit_lead(page=published, data=data, address="203.0.113.5")


def test_lead_created_is_delivered_signed(user, published, django_capture_on_commit_callbacks):
    with WebhookReceiver() as receiver:
        endpoint = webhooks.create_endpoint(user=user, url=receiver.url, events=["lead.created"])
        with django_capture_on_commit_callbacks(execute=True):
            lead = _lead(published)
    assert len(receiver.received) == 1
    body = _verify(endpoint.secret, receiver.received[0])
    assert body["type"] == "lead.created"
    assert body["data"]["email"] == "ada@example.com"
    assert body["data"]["conversion"]["utm_campaign"] == "spring"
    assert body["data"]["id"] == str(lead.pk)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered"
    assert delivery.last_status_code == 200
    assert delivery.last_response_ms is not None
    assert receiver.received[0].headers["CraftAds-Delivery"] == str(delivery.pk)


def test_failures_are_retried_with_backoff_then_delivered(user, published, django_capture_on_commit_callbacks):
    with WebhookReceiver(answers=[500, 429]) as receiver:
        webhooks.create_endpoint(user=user, url=receiver.url, events=["lead.created"])
        with django_capture_on_commit_callbacks(execute=True):
            _lead(published)
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
        assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=25)
        assert webhooks.deliver(delivery_id=delivery.pk) == "skipped"  # not due yet
        for expected_status in ("pending", "delivered"):
            WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
            assert webhooks.deliver(delivery_id=delivery.pk) == expected_status
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert len(receiver.received) == 3
    assert len({r.headers["CraftAds-Delivery"] for r in receiver.received}) == 1


def test_client_errors_fail_at_once_and_retries_stop_after_a_day(user, published, django_capture_on_commit_callbacks):
    with WebhookReceiver(answers=[410]) as receiver:
        webhooks.create_endpoint(user=user, url=receiver.url, events=["lead.created"])
        with django_capture_on_commit_callbacks(execute=True):
            _lead(published)
        assert WebhookDelivery.objects.get().status == "failed"
        receiver.answers = [503]
        with django_capture_on_commit_callbacks(execute=True):
            _lead(published)
        late = WebhookDelivery.objects.filter(status="pending").get()
        WebhookDelivery.objects.filter(pk=late.pk).update(
            created_at=timezone.now() - timedelta(days=1, minutes=1), next_attempt_at=timezone.now()
        )
        receiver.answers = [503]
        assert webhooks.deliver(delivery_id=late.pk) == "failed"


def test_replay_sends_again_as_a_new_logged_delivery(user, published, django_capture_on_commit_callbacks):
    with WebhookReceiver() as receiver:
        endpoint = webhooks.create_endpoint(user=user, url=receiver.url, events=["lead.created"])
        with django_capture_on_commit_callbacks(execute=True):
            _lead(published)
        first = WebhookDelivery.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            copy = webhooks.replay(delivery=first)
    assert len(receiver.received) == 2
    assert receiver.received[0].body == receiver.received[1].body
    copy.refresh_from_db()
    assert (copy.status, copy.replay_of_id) == ("delivered", first.pk)
    _verify(endpoint.secret, receiver.received[1])


def test_redirects_are_not_followed_and_private_urls_are_refused(
    user, published, settings, django_capture_on_commit_callbacks
):
    with WebhookReceiver() as receiver:
        receiver.redirect_to = "http://169.254.169.254/"
        webhooks.create_endpoint(user=user, url=receiver.url, events=["lead.created"])
        with django_capture_on_commit_callbacks(execute=True):
            _lead(published)
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_status_code == 302
    assert "redirect" in delivery.last_error
    settings.SAFE_HTTP_ALLOW_LOOPBACK_FOR_TESTS = False
    for url in ("http://127.0.0.1:9/x", "http://10.0.0.1/", "http://[::1]/", "ftp://example.com/"):
        with pytest.raises(webhooks.WebhookError):
            webhooks.create_endpoint(user=user, url=url, events=["lead.created"])


def test_webhook_pages_show_the_secret_once_and_the_log(auth_client, user):
    with WebhookReceiver() as receiver:
        auth_client.post("/campaigns/integrations/webhooks/add/", {"url": receiver.url, "events": ["lead.created"]})
        endpoint = user.webhook_endpoints.get()
        first = auth_client.get("/campaigns/integrations/").content.decode()
        assert endpoint.secret in first
        assert endpoint.secret not in auth_client.get("/campaigns/integrations/").content.decode()
        assert auth_client.get(f"/campaigns/integrations/webhooks/{endpoint.pk}/deliveries/").status_code == 200
