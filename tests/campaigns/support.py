"""Building Meta connections and campaign drafts in tests through the real services."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from campaigns.connections import services as connection_services
from campaigns.connections.models import MetaConnection
from campaigns.publishing import services as publishing
from campaigns.publishing.models import Campaign
from campaigns.sync import runner as sync_runner
from campaigns.sync import services as sync_services
from tests.fakes.graph_server import FakeGraph
from tests.generations.factories import completed_generation


def meta_settings(settings, graph: FakeGraph) -> None:
    settings.META_APP_ID = graph.app_id
    settings.META_APP_SECRET = graph.app_secret
    settings.META_GRAPH_URL = graph.base_url
    settings.META_OAUTH_DIALOG_URL = graph.base_url + "/v23.0/dialog/oauth"
    settings.META_RATE_LIMIT_MIN_WAIT_SECONDS = 1


def connect(user, graph: FakeGraph, *, account: str = "act_111") -> MetaConnection:
    session: dict = {}
    url = connection_services.start_connect(session=session)
    state = session[connection_services.SESSION_STATE_KEY]
    assert f"state={state}" in url
    code = graph.issue_code(connection_services.redirect_uri())
    connection = connection_services.complete_connect(user=user, session=session, state=state, code=code)
    chosen = connection.ad_accounts.get(account_id=account)
    page = connection.pages.get(page_id="501")
    connection_services.choose_accounts(
        connection=connection, account_ids=[str(chosen.pk)], page_id=str(page.pk), use_instagram=True
    )
    return connection


def draft(user, *, formats=("1:1", "4:5", "9:16"), budget: int = 2000, generations: int = 1) -> Campaign:
    """A complete draft, ready for review (the user must be connected)."""
    campaign = publishing.create_draft(user=user, name="Spring bakery")
    connection = user.meta_connection
    publishing.save_goal(
        campaign=campaign,
        name="Spring bakery",
        objective="OUTCOME_TRAFFIC",
        special_ad_categories=[],
        ad_account=connection.ad_accounts.get(selected=True),
        page=connection.pages.get(selected=True),
    )
    start = timezone.now() + timedelta(days=1)
    publishing.save_budget(
        campaign=campaign,
        budget_type="daily",
        budget_level="campaign",
        amount=budget,
        currency=campaign.currency,
        start=start,
        end=start + timedelta(days=7),
    )
    publishing.save_audience(
        campaign=campaign,
        targeting={
            "countries": ["FR"],
            "age_min": 25,
            "age_max": 55,
            "interests": [{"id": "6003139266461", "name": "Baking"}],
        },
    )
    for _ in range(generations):
        generation = completed_generation(formats=formats, user=user)
        asset = publishing.add_creative(campaign=campaign, generation_id=generation.pk)
        publishing.save_creative_copy(
            asset=asset,
            primary_text="Fresh bread every morning",
            headline="Spring loaves",
            description="Baked today",
            call_to_action="SHOP_NOW",
            destination_url="https://bakery.example/spring",
            utm={"source": "facebook", "medium": "paid_social", "campaign": "spring", "content": "loaf"},
            formats=list(formats),
        )
    publishing.save_placements(campaign=campaign, mode="automatic", placements=[])
    publishing.save_naming(campaign=campaign, pattern="{brand}_{goal}_{template}_{format}_{date}")
    campaign.refresh_from_db()
    return campaign


def requested_sync(ad_account, capture, kind="manual"):
    """A sync requested, its task message not run (the test runs the job itself)."""
    with capture(execute=False):
        run, created = sync_services.request_sync(ad_account=ad_account, kind=kind)
    assert created
    return run


def finish_sync(run) -> str:
    outcome = sync_runner.run_sync(run_id=run.pk)
    run.refresh_from_db()
    return outcome
