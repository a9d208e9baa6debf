"""After publishing: pause, activate, archive, budget and end date are pushed to Meta and recorded."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from campaigns.connections.models import ConnectionStatus
from campaigns.publishing import services as publishing
from tests.campaigns.support import connect, draft
from tests.fakes import graph_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(user, graph, django_capture_on_commit_callbacks):
    connect(user, graph)
    campaign = draft(user)
    with django_capture_on_commit_callbacks(execute=True):
        publishing.request_publish(user=user, campaign=campaign)
    campaign.refresh_from_db()
    return campaign


def test_activate_then_pause_reach_meta_and_are_recorded(auth_client, user, published, graph):
    meta_campaign = graph.objects["campaign"][published.meta_campaign_id]
    auth_client.post(reverse("campaigns:change_status", args=[published.pk]), {"action": "activate"})
    assert meta_campaign["status"] == "ACTIVE"
    auth_client.post(reverse("campaigns:change_status", args=[published.pk]), {"action": "pause"})
    assert meta_campaign["status"] == "PAUSED"
    published.refresh_from_db()
    assert published.delivery_status == "PAUSED"
    changes = list(published.changes.order_by("created_at").values_list("actor", "field", "before", "after", "pushed"))
    assert changes == [(user.pk, "status", "PAUSED", "ACTIVE", True), (user.pk, "status", "ACTIVE", "PAUSED", True)]
    assert AuditEvent.objects.filter(action="campaigns.activate", actor=user).count() == 1
    page = auth_client.get(reverse("campaigns:detail", args=[published.pk])).content.decode()
    assert "ACTIVE → PAUSED" in page


def test_budget_and_end_date_changes(auth_client, published, graph):
    auth_client.post(reverse("campaigns:change_budget", args=[published.pk]), {"amount": "35.00"})
    assert int(graph.objects["campaign"][published.meta_campaign_id]["daily_budget"]) == 3500
    end = (timezone.now() + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    auth_client.post(reverse("campaigns:change_end", args=[published.pk]), {"end": end})
    assert graph.objects["adset"][published.meta_adset_id]["end_time"].startswith(end[:10])
    published.refresh_from_db()
    assert published.budget_amount == 3500
    assert list(published.changes.values_list("action", flat=True).order_by("created_at")) == ["budget", "end_date"]


def test_a_budget_under_the_minimum_is_refused_before_meta(auth_client, published, graph):
    sent = len(graph.requests)
    response = auth_client.post(
        reverse("campaigns:change_budget", args=[published.pk]), {"amount": "0.20"}, follow=True
    )
    assert "minimum here is 1.00 EUR a day" in response.content.decode()
    assert len(graph.requests) == sent
    assert published.changes.count() == 0


def test_a_change_meta_refuses_is_recorded_and_changes_nothing(auth_client, published, graph):
    graph.fail_next(
        "POST",
        rf"^/{published.meta_campaign_id}$",
        graph_server.invalid_parameter("Budget change limit", "You changed this budget too often today."),
    )
    response = auth_client.post(reverse("campaigns:change_budget", args=[published.pk]), {"amount": "40"}, follow=True)
    assert "You changed this budget too often today." in response.content.decode()
    published.refresh_from_db()
    assert published.budget_amount == 2000
    change = published.changes.get()
    assert (change.pushed, change.after) == (False, "4000")


def test_an_expired_token_on_a_change_asks_to_reconnect(auth_client, user, published, graph):
    graph.expire_tokens()
    auth_client.post(reverse("campaigns:change_status", args=[published.pk]), {"action": "activate"})
    user.meta_connection.refresh_from_db()
    assert user.meta_connection.status == ConnectionStatus.NEEDS_REAUTH
    assert "Connect Meta again" in auth_client.get(reverse("campaigns:index")).content.decode()


def test_the_api_publishes_and_changes(client, user, graph, django_capture_on_commit_callbacks):
    connect(user, graph)
    campaign = draft(user)
    client.force_login(user)
    review = client.get(reverse("api-campaign-review", args=[campaign.pk])).json()
    assert review["counts"] == {"campaigns": 1, "ad_sets": 1, "ads": 1, "creatives": 1, "images": 3}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("api-campaign-publish", args=[campaign.pk]), {}, content_type="application/json")
    assert response.status_code == 202
    run = client.get(reverse("api-campaign-run", args=[response.json()["id"]])).json()
    assert run["state"] == "succeeded"
    response = client.post(
        reverse("api-campaign-changes", args=[campaign.pk]), {"action": "activate"}, content_type="application/json"
    )
    assert response.json()["delivery_status"] == "ACTIVE"
    refused = client.patch(
        reverse("api-campaign-detail", args=[campaign.pk]), {"naming_pattern": "x"}, content_type="application/json"
    )
    assert refused.status_code == 400
