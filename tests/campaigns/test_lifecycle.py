"""Token expiry warnings, another user's creatives, and the publish price."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.connections import services as connection_services
from campaigns.connections.models import ConnectionStatus, MetaConnection
from campaigns.publishing import services as publishing
from credits import services as credit_services
from credits.models import CreditAccount, CreditTransaction, PricingRule
from tests.campaigns.support import connect, draft
from tests.generations.factories import completed_generation

pytestmark = pytest.mark.django_db


def test_seven_days_before_expiry_the_user_is_told_once(auth_client, user, graph, mailoutbox):
    connection = connect(user, graph)
    MetaConnection.objects.filter(pk=connection.pk).update(token_expires_at=timezone.now() + timedelta(days=6))
    assert connection_services.warn_expiring_connections() == 1
    assert connection_services.warn_expiring_connections() == 0  # once per token
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.EXPIRING
    assert connection.can_publish
    assert [m.subject for m in mailoutbox] == ["Your Meta connection expires soon"]
    assert "/campaigns/connection/" in mailoutbox[0].body
    page = auth_client.get(reverse("campaigns:index")).content.decode()
    assert 'data-testid="meta-expiring"' in page
    connect(user, graph)  # logging in again starts a fresh 60 days
    connection.refresh_from_db()
    assert (connection.status, connection.expiry_notified_at) == (ConnectionStatus.ACTIVE, None)


def test_another_users_generation_is_not_found(auth_client, user, other_user, graph, client):
    connect(user, graph)
    campaign = draft(user)
    theirs = completed_generation(formats=("1:1",), user=other_user)
    response = auth_client.post(reverse("campaigns:creative_add", args=[campaign.pk]), {"generation": theirs.pk})
    assert response.status_code == 404
    response = auth_client.post(
        reverse("api-campaign-creatives", args=[campaign.pk]),
        {"generation": str(theirs.pk), "primary_text": "x", "destination_url": "https://a.example/"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert campaign.assets.count() == 1


def test_publishing_is_priced_by_the_campaign_publish_rule(user, graph, django_capture_on_commit_callbacks):
    rule = PricingRule.objects.get(operation="campaign_publish")
    assert rule.base_cost == 0
    rule.base_cost = 5
    rule.save()
    connect(user, graph)
    campaign = draft(user)
    before = credit_services.get_or_open_account(user=user).balance
    with django_capture_on_commit_callbacks(execute=True):
        run = publishing.request_publish(user=user, campaign=campaign)
    run.refresh_from_db()
    assert run.state == "succeeded"
    account = CreditAccount.objects.get(user=user)
    assert (account.balance, account.reserved) == (before - 5, 0)
    assert CreditTransaction.objects.filter(reference_type="campaign_publish", reference_id=str(run.pk)).count() == 1


def test_publishing_without_enough_credits_is_refused_and_sends_nothing(user, graph):
    PricingRule.objects.filter(operation="campaign_publish").update(base_cost=10_000)
    connect(user, graph)
    campaign = draft(user)
    sent = len(graph.requests)
    with pytest.raises(publishing.CampaignError, match="needs 10000 credits"):
        publishing.request_publish(user=user, campaign=campaign)
    assert len(graph.requests) == sent
    assert not campaign.publish_runs.exists()
    campaign.refresh_from_db()
    assert campaign.status == "draft"
