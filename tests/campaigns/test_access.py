"""Another user's connections, campaigns, creatives and runs answer 404 on every page and API route.

The route list is generated from the URLconf: every route of the campaigns app and of its API is
requested with the ids of another user's objects, with every HTTP method it accepts. A route the
test cannot fill fails the test, so a new route is covered the day it is added."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from campaigns.publishing import services as publishing
from campaigns.publishing.models import Campaign
from campaigns.rules import services as rule_services
from campaigns.rules.models import OptimizationLog
from tests.campaigns.support import connect, draft

pytestmark = pytest.mark.django_db

# Routes that take no object id serve the requesting user's own data only.
OWN_DATA_ROUTES = {
    "campaigns:index",
    "campaigns:create",
    "campaigns:connection",
    "campaigns:connect",
    "campaigns:connect_callback",
    "campaigns:choose_accounts",
    "campaigns:disconnect",
    "api-meta-connection",
    "api-campaigns",
    "api-performance",
    "api-sync-runs",
    "campaigns:rules",
    "api-rules",
    "api-rule-logs",
}


def _routes(patterns, namespace="", prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry.url_patterns, ns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def campaign_routes():
    resolver = get_resolver()
    found = []
    for name, pattern in _routes(resolver.url_patterns):
        module = getattr(pattern.callback, "__module__", "") or ""
        view_class = getattr(pattern.callback, "view_class", None)
        module = view_class.__module__ if view_class else module
        # Landing pages, leads and webhooks (campaigns.pages, .leads, .integrations) have their own matrix.
        if module.startswith(("campaigns.connections", "campaigns.publishing", "campaigns.sync", "campaigns.rules")):
            found.append((name, pattern))
    return found


def test_the_route_list_covers_the_campaign_area():
    names = {name for name, _ in campaign_routes()}
    assert {
        "campaigns:detail",
        "campaigns:run",
        "campaigns:creative_save",
        "api-campaign-detail",
        "api-campaign-run",
    } <= names
    assert len(names) >= 30


def _their_rule_and_log(owner, campaign) -> dict:
    theirs = Campaign.objects.get(pk=campaign.pk)
    rule = rule_services.save_rule(
        user=owner,
        campaign=theirs,
        data={
            "name": "Theirs",
            "level": "campaign",
            "conditions": [{"metric": "spend", "operator": "gt", "value": "0", "days": 3}],
            "action": "pause",
        },
    )
    log = OptimizationLog.objects.create(
        rule=rule,
        user=owner,
        campaign=theirs,
        rule_name=rule.name,
        day=theirs.created_at.date(),
        action="pause",
        status="suggested",
    )
    return {"rule_id": rule.pk, "log_id": log.pk, "action": "approve"}


def test_every_route_answers_404_for_another_users_objects(
    client, user, other_user, graph, django_capture_on_commit_callbacks
):
    connect(other_user, graph)
    theirs = draft(other_user)
    with django_capture_on_commit_callbacks(execute=True):
        run = publishing.request_publish(user=other_user, campaign=theirs)
    ids = {
        "campaign_id": theirs.pk,
        "asset_id": theirs.assets.get().pk,
        "run_id": run.pk,
        "step": "goal",
        "account_id": theirs.ad_account_id,
        **_their_rule_and_log(other_user, theirs),
    }
    connect(user, graph)
    draft(user)  # the attacker has objects of their own
    client.force_login(user)
    refused = {}
    for name, pattern in campaign_routes():
        keys = set(pattern.pattern.converters)
        if not keys:
            assert name in OWN_DATA_ROUTES, f"{name} takes no id: add it to OWN_DATA_ROUTES if it serves own data"
            continue
        assert keys <= set(ids), f"{name}: no foreign object for {keys - set(ids)}"
        url = reverse(name, kwargs={k: ids[k] for k in keys})
        for method in ("get", "post", "patch", "delete"):
            response = (
                getattr(client, method)(url, content_type="application/json")
                if method in {"patch", "delete"}
                else getattr(client, method)(url)
            )
            assert response.status_code in {404, 405}, f"{method.upper()} {url} ({name}): {response.status_code}"
            refused[name] = refused.get(name, 0) + (response.status_code == 404)
    assert len(refused) >= 20
    assert all(refused.values()), refused  # every route with an id refused at least one method with 404
    theirs.refresh_from_db()
    run.refresh_from_db()
    assert theirs.assets.count() == 1
    assert run.state == "succeeded"
    assert theirs.changes.count() == 0
