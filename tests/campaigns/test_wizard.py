"""The wizard through its pages: each step saves the draft; bad input is refused on its step with a
clear message, the draft unchanged and nothing sent to Meta."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.publishing import services as publishing
from campaigns.publishing.models import Campaign
from tests.campaigns.support import connect, draft
from tests.generations.factories import completed_generation

pytestmark = pytest.mark.django_db


def _when(days: int) -> str:
    return (timezone.now() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _posts(graph) -> list:
    return [r for r in graph.requests if r[0] in {"POST", "DELETE"}]


def test_the_wizard_saves_every_step_and_publishes_paused(auth_client, user, graph, django_capture_on_commit_callbacks):
    connection = connect(user, graph)
    response = auth_client.post(reverse("campaigns:create"), {"name": "Bread week"})
    campaign = Campaign.objects.get(user=user)
    assert response["Location"] == reverse("campaigns:step", args=[campaign.pk, "goal"])
    account = connection.ad_accounts.get(account_id="act_111")
    page = connection.pages.get(page_id="501")
    step = lambda name: reverse("campaigns:step", args=[campaign.pk, name])  # noqa: E731
    assert (
        auth_client.post(
            step("goal"),
            {"name": "Bread week", "objective": "OUTCOME_TRAFFIC", "ad_account": account.pk, "page": page.pk},
        ).status_code
        == 302
    )
    assert (
        auth_client.post(
            step("budget"),
            {
                "budget_type": "daily",
                "budget_level": "campaign",
                "amount": "15.50",
                "currency": "EUR",
                "start": _when(1),
                "end": _when(8),
            },
        ).status_code
        == 302
    )
    campaign.refresh_from_db()
    assert (campaign.budget_amount, campaign.currency, str(campaign.start_time.tzinfo)) == (1550, "EUR", "UTC")
    response = auth_client.post(
        step("audience"),
        {
            "countries": "fr, be",
            "age_min": 21,
            "age_max": 60,
            "gender": "all",
            "interests": ["6003139266461|Baking"],
            "save_as": "Bakers",
        },
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.targeting["countries"] == ["FR", "BE"]
    assert campaign.targeting["interests"] == [{"id": "6003139266461", "name": "Baking"}]
    assert user.saved_audiences.get().name == "Bakers"
    assert auth_client.post(step("placements"), {"mode": "automatic"})["Location"] == reverse(
        "campaigns:creatives", args=[campaign.pk]
    )
    generation = completed_generation(formats=("1:1", "4:5", "9:16"), user=user)
    auth_client.post(reverse("campaigns:creative_add", args=[campaign.pk]), {"generation": generation.pk})
    asset = campaign.assets.get()
    prefix = f"ad-{asset.pk}-"
    response = auth_client.post(
        reverse("campaigns:creative_save", args=[campaign.pk, asset.pk]),
        {
            prefix + "formats": ["1:1", "4:5", "9:16"],
            prefix + "primary_text": "Warm bread",
            prefix + "headline": "Fresh",
            prefix + "call_to_action": "SHOP_NOW",
            prefix + "destination_url": "https://bakery.example/",
            prefix + "utm_source": "facebook",
            prefix + "utm_medium": "paid_social",
        },
    )
    assert response.status_code == 302
    auth_client.post(reverse("campaigns:naming", args=[campaign.pk]), {"naming_pattern": "{campaign}_{format}"})
    review = auth_client.get(reverse("campaigns:review", args=[campaign.pk])).content.decode()
    for count, value in (("campaigns", 1), ("ad_sets", 1), ("ads", 1), ("images", 3)):
        assert f'data-count="{count}">{value}' in review
    assert "PAUSED" in review
    assert _posts(graph) == []  # nothing sent before the user confirms
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(reverse("campaigns:review", args=[campaign.pk]), {})
    run = campaign.publish_runs.get()
    assert response["Location"] == reverse("campaigns:run", args=[run.pk])
    assert "Published" in auth_client.get(response["Location"]).content.decode()
    assert {o["status"] for o in graph.live("ad")} == {"PAUSED"}
    assert graph.live("ad")[0]["name"].startswith("bread-week_1x1-4x5-9x16 [")


def _bad(auth_client, campaign, step, data):
    before = Campaign.objects.filter(pk=campaign.pk).values().get()
    response = auth_client.post(reverse("campaigns:step", args=[campaign.pk, step]), data)
    assert response.status_code == 400
    assert Campaign.objects.filter(pk=campaign.pk).values().get() == before
    return response.content.decode()


@pytest.fixture
def ready(user, graph):
    connect(user, graph)
    campaign = draft(user, formats=("1:1",))
    graph.requests.clear()
    return campaign


BUDGET = {"budget_type": "daily", "budget_level": "campaign", "currency": "EUR"}


def test_a_budget_under_metas_minimum(auth_client, ready, graph):
    page = _bad(auth_client, ready, "budget", {**BUDGET, "amount": "0.50", "start": _when(1), "end": _when(3)})
    assert "minimum here is 1.00 EUR a day" in page
    assert _posts(graph) == []


def test_an_end_before_the_start(auth_client, ready, graph):
    page = _bad(auth_client, ready, "budget", {**BUDGET, "amount": "20", "start": _when(5), "end": _when(2)})
    assert "The end must be after the start." in page
    assert _posts(graph) == []


def test_a_budget_in_another_currency_than_the_ad_account(auth_client, ready, graph):
    page = _bad(
        auth_client, ready, "budget", {**BUDGET, "currency": "USD", "amount": "20", "start": _when(1), "end": _when(3)}
    )
    assert "The ad account spends in EUR; a budget in USD cannot be used." in page
    assert _posts(graph) == []


def test_a_placement_without_a_creative_of_a_fitting_format(auth_client, ready, graph):
    page = _bad(auth_client, ready, "placements", {"mode": "manual", "placements": ["feeds", "stories_reels"]})
    assert "No creative has a format for: Stories and Reels." in page
    assert _posts(graph) == []


def test_targeting_outside_the_special_categorys_limits(auth_client, user, ready, graph):
    # Choosing the category on the goal step is refused while the saved audience breaks its limits...
    with pytest.raises(publishing.CampaignError):
        publishing.save_goal(
            campaign=ready,
            name=ready.name,
            objective=ready.objective,
            special_ad_categories=["HOUSING"],
            ad_account=ready.ad_account,
            page=ready.page,
        )
    # ...and with the category set, the audience step refuses targeting outside them.
    Campaign.objects.filter(pk=ready.pk).update(special_ad_categories=["HOUSING"], targeting={})
    ready.refresh_from_db()
    page = _bad(
        auth_client,
        ready,
        "audience",
        {"countries": "FR", "age_min": 25, "age_max": 55, "gender": "2", "cities": "2420605 10"},
    )
    assert "must reach all adults: ages 18 to 65+" in page
    assert "cannot target one gender" in page
    assert "radius of at least 25 km" in page
    assert _posts(graph) == []


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://bakery.example/", "bakery.example"])
def test_a_destination_that_is_not_http(auth_client, ready, graph, url):
    asset = ready.assets.get()
    prefix = f"ad-{asset.pk}-"
    before = asset.destination_url
    response = auth_client.post(
        reverse("campaigns:creative_save", args=[ready.pk, asset.pk]),
        {
            prefix + "formats": ["1:1"],
            prefix + "primary_text": "x",
            prefix + "call_to_action": "SHOP_NOW",
            prefix + "destination_url": url,
        },
    )
    assert response.status_code == 400
    assert "must be a web address starting with http:// or https://" in response.content.decode()
    asset.refresh_from_db()
    assert asset.destination_url == before
    assert _posts(graph) == []


def test_publishing_refuses_a_draft_that_breaks_a_rule_and_sends_nothing(auth_client, user, ready, graph):
    Campaign.objects.filter(pk=ready.pk).update(budget_amount=10)  # e.g. a rule changed since the step was saved
    response = auth_client.post(reverse("campaigns:review", args=[ready.pk]), {})
    assert response.status_code == 400
    assert "minimum here is" in response.content.decode()
    assert not ready.publish_runs.exists()
    assert _posts(graph) == []
