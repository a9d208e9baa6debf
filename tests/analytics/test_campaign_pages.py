"""The user's Ad performance and Landing pages sections: their own numbers only, grouped by
currency, compared with the previous period, every table exported to CSV; honest empty states."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics import tasks
from analytics.models import AdDay
from analytics.services import rollups
from campaigns.models import CampaignAsset, PerformanceRecord
from campaigns.pages import services as page_services
from tests.analytics.campaign_data import connect_accounts, conversion, page_event, performance_rows
from tests.campaigns.support import draft
from tests.factories import UserFactory

AD_EXPORTS = [
    "ads-per-day",
    "ads-per-campaign",
    "ads-per-ad",
    "ads-per-placement",
    "ads-per-audience",
    "creatives-ranked",
]
PAGE_EXPORTS = ["pages-per-day", "pages-per-page", "pages-per-source", "pages-per-campaign", "pages-per-ad"]


def _advertiser(seed: int, currencies=("USD", "EUR")):
    rng = random.Random(seed)  # noqa: S311 (seeded test data)
    user = UserFactory()
    accounts = connect_accounts(user, currencies)
    campaign = draft(user, formats=("1:1",))
    asset = campaign.assets.get()
    CampaignAsset.objects.filter(pk=asset.pk).update(meta_ad_id=f"ad-{seed}", ad_name=f"Loaf ad {seed}")
    today = timezone.now().date()
    records = []
    for account in accounts:
        for back in range(12):
            records += performance_rows(
                rng,
                account=account,
                day=today - timedelta(days=back),
                ad_id=f"ad-{seed}",
                campaign=campaign,
                asset=asset,
            )
    PerformanceRecord.objects.bulk_create(records)
    return user, campaign, asset


def _recompute():
    today = timezone.now().date()
    rollups.recompute_range(today - timedelta(days=13), today)


@pytest.mark.django_db
def test_ad_performance_shows_own_numbers_per_currency_and_exports_every_table(client):
    me, campaign, _ = _advertiser(1)
    _someone, _, _ = _advertiser(2, currencies=("GBP",))
    _recompute()
    client.force_login(me)
    response = client.get(reverse("analytics:index"), {"days": 7})
    assert response.status_code == 200
    body = response.content.decode()
    assert "In USD" in body
    assert "In EUR" in body
    assert "In GBP" not in body
    assert campaign.name in body
    assert "Loaf ad 1" in body
    assert "Loaf ad 2" not in body
    assert "Creatives ranked side by side" in body
    assert "?thumb=1" in body  # the creative's own thumbnail, served by the owner-only asset route
    # Headline figures equal the raw rows of the same seven days (placement rows count each impression once).
    today = timezone.now().date()
    raw = PerformanceRecord.objects.filter(
        ad_account__connection__user=me, currency="USD", breakdown="placement", date__gt=today - timedelta(days=7)
    )
    spend = sum(r.spend for r in raw)
    csv = client.get(reverse("analytics:index"), {"days": 7, "export": "ads-per-campaign-usd"})
    lines = csv.content.decode().splitlines()
    assert lines[0].startswith("Campaign,Spend,Impressions")
    assert lines[1].split(",")[1] == str(spend)
    for key in AD_EXPORTS:
        for currency in ("usd", "eur"):
            export = client.get(reverse("analytics:index"), {"days": 7, "export": f"{key}-{currency}"})
            assert export.status_code == 200, key
            assert export["Content-Type"].startswith("text/csv")
            assert "Loaf ad 2" not in export.content.decode()
    # Another user's currency is not a table of mine.
    assert client.get(reverse("analytics:index"), {"export": "ads-per-day-gbp"}).status_code == 404


@pytest.mark.django_db
def test_landing_pages_per_page_source_campaign_and_ad(client):
    me, campaign, asset = _advertiser(3, currencies=("USD",))
    page = page_services.create_page(user=me, name="Spring offer", slug="spring3", starting_point="lead_capture")
    now = timezone.now()
    utm = {"utm_source": "facebook", "utm_campaign": f"ca-campaign-{campaign.pk}", "utm_content": f"ca-ad-{asset.pk}"}
    for n, visitor in enumerate(["a", "a", "b", "c"]):
        page_event(page, at=now - timedelta(minutes=n), visitor=visitor, **utm)
    page_event(page, at=now, visitor="d", utm_source="newsletter")
    conversion(page, at=now, utm_source="facebook", campaign_ref=str(campaign.pk), ad_ref=str(asset.pk))
    other = UserFactory()
    theirs = page_services.create_page(user=other, name="Their page", slug="theirs3", starting_point="lead_capture")
    page_event(theirs, at=now, visitor="z")
    _recompute()
    client.force_login(me)
    body = client.get(reverse("analytics:index"), {"days": 7}).content.decode()
    assert "Spring offer" in body
    assert "Their page" not in body
    per_page = client.get(reverse("analytics:index"), {"days": 7, "export": "pages-per-page"}).content.decode()
    assert per_page.splitlines() == ["Page,Views,Visitors,Conversions,Conversion rate %", "Spring offer,5,4,1,25.0"]
    per_campaign = client.get(reverse("analytics:index"), {"days": 7, "export": "pages-per-campaign"}).content.decode()
    assert per_campaign.splitlines()[1] == f"{campaign.name},4,3,1,33.3"
    per_ad = client.get(reverse("analytics:index"), {"days": 7, "export": "pages-per-ad"}).content.decode()
    assert per_ad.splitlines()[1] == "Loaf ad 3,4,3,1,33.3"
    per_source = client.get(reverse("analytics:index"), {"days": 7, "export": "pages-per-source"}).content.decode()
    assert sorted(per_source.splitlines()[1:]) == ["facebook,4,3,1,33.3", "newsletter,1,1,0,0.0"]


@pytest.mark.django_db
def test_another_users_data_never_reaches_my_page_or_exports(client):
    """IDOR matrix of the analytics routes: no route takes an object id; every export of the page,
    asked by a user with no data, carries none of another user's rows."""
    owner, campaign, asset = _advertiser(4)
    page = page_services.create_page(user=owner, name="Owner page", slug="owner4", starting_point="lead_capture")
    page_event(page, at=timezone.now(), visitor="a")
    _recompute()
    client.force_login(UserFactory())
    body = client.get(reverse("analytics:index"), {"days": 90}).content.decode()
    assert "Loaf ad 4" not in body
    assert "Owner page" not in body
    assert campaign.name not in body
    assert "Connect a Meta ad account" in body
    for key in [*(f"{k}-usd" for k in AD_EXPORTS), *PAGE_EXPORTS]:
        assert client.get(reverse("analytics:index"), {"days": 90, "export": key}).status_code == 404, key
    # The creative's thumbnail is the owner's alone.
    thumb = asset.generation.assets.filter(kind="result").first()
    assert client.get(reverse("generations:asset_file", args=[thumb.pk]) + "?thumb=1").status_code == 404


@pytest.mark.django_db
def test_empty_states_say_what_comes_and_what_to_do(client):
    user = UserFactory()
    connect_accounts(user)
    client.force_login(user)
    body = client.get(reverse("analytics:index")).content.decode()
    assert "Nothing has been synced from Meta yet" in body
    assert reverse("campaigns:create") in body
    assert "publish a landing page" in body


@pytest.mark.django_db
def test_restated_numbers_are_picked_up_by_the_hourly_task(settings):
    """Meta restates the last 28 days: the hourly task recomputes the ad rollups of that window."""
    settings.ANALYTICS_RECOMPUTE_DAYS = 3
    settings.ANALYTICS_PERFORMANCE_RECOMPUTE_DAYS = 28
    user, _, _ = _advertiser(5, currencies=("USD",))
    tasks.recompute_recent_rollups_task()
    old = timezone.now().date() - timedelta(days=10)
    before = AdDay.objects.get(user=user, day=old).spend
    PerformanceRecord.objects.filter(date=old, ad_account__connection__user=user).update(spend=1)
    tasks.recompute_recent_rollups_task()
    placements = PerformanceRecord.objects.filter(date=old, breakdown="placement", ad_account__connection__user=user)
    assert AdDay.objects.get(user=user, day=old).spend == placements.count() != before


@pytest.mark.django_db
def test_the_page_runs_as_many_queries_for_many_ads_as_for_one(client):
    me, _, _ = _advertiser(6, currencies=("USD",))
    _recompute()
    client.force_login(me)
    client.get(reverse("analytics:index"), {"days": 28})  # the first request of a session fills caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("analytics:index"), {"days": 28}).status_code == 200
    rng = random.Random(6)  # noqa: S311 (seeded test data)
    account = me.meta_connection.ad_accounts.get(currency="USD")
    today = timezone.now().date()
    PerformanceRecord.objects.bulk_create(
        [
            record
            for ad in range(5)
            for back in range(5)
            for record in performance_rows(rng, account=account, day=today - timedelta(days=back), ad_id=f"more-{ad}")
        ]
    )
    _recompute()
    with CaptureQueriesContext(connection) as many:
        body = client.get(reverse("analytics:index"), {"days": 28}).content.decode()
    assert "Meta ad more-4" in body
    assert len(many) == len(one)
