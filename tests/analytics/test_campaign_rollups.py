"""The ad-performance and landing-page rollups equal the same aggregates computed straight from the
raw rows, and recomputing is idempotent.

Insight rows (two currencies, both breakdowns, ads linked to a campaign on some days and not on
others) and page events and conversions at random times (seeded), many within seconds of some
midnight, for page owners in time zones from UTC-11 to UTC+14."""

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.models import UserPreference
from analytics.models import AdBreakdownDay, AdDay, PageDay, PageEvent, PageSourceDay
from analytics.services import rollups
from campaigns.leads import attribution
from campaigns.models import Breakdown, Campaign, Conversion, LandingPage, PerformanceRecord
from campaigns.pages import services as page_services
from tests.analytics.campaign_data import connect_accounts, conversion, page_event, performance_rows
from tests.factories import UserFactory

ZONES = ["Pacific/Pago_Pago", "America/Los_Angeles", "UTC", "Europe/Berlin", "Asia/Tokyo", "Pacific/Kiritimati"]
FIRST_DAY = date(2026, 3, 27)  # Europe's clocks change on the 29th: a 23-hour day is in range
DAYS = 4
AD_SUMS = ("impressions", "reach", "clicks", "inline_link_clicks", "spend", "conversions", "conversion_value")


def _moment(rng: random.Random) -> datetime:
    start = datetime.combine(FIRST_DAY, datetime.min.time(), tzinfo=UTC)
    if rng.random() < 0.4:  # a few seconds either side of some midnight, UTC or the owner's
        zone = ZoneInfo(rng.choice(ZONES))
        day = FIRST_DAY + timedelta(days=rng.randrange(1, DAYS))
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=zone)
        return midnight + timedelta(seconds=rng.choice([-2, -1, 0, 1]))
    return start + timedelta(seconds=rng.randrange(DAYS * 86400))


def _build(seed: int):
    rng = random.Random(seed)  # noqa: S311 (seeded test data, not a secret)
    users = []
    for zone in ZONES:
        user = UserFactory()
        UserPreference.objects.update_or_create(user=user, defaults={"timezone": zone})
        users.append(user)
    users.append(UserFactory())  # no preference at all: UTC days
    # Ads: two advertisers, one with accounts in two currencies.
    records = []
    for user, currencies in ((users[0], ("USD", "EUR")), (users[3], ("GBP",))):
        for account in connect_accounts(user, currencies):
            campaign = Campaign.objects.create(
                user=user, name=f"C {account.currency}", meta_campaign_id=f"mc-{account.pk.hex[:6]}"
            )
            for day in (FIRST_DAY + timedelta(days=n) for n in range(DAYS)):
                for ad in range(rng.randint(1, 3)):
                    linked = rng.random() < 0.7
                    records += performance_rows(
                        rng,
                        account=account,
                        day=day,
                        ad_id=f"ad-{account.currency}-{ad}",
                        campaign=campaign if linked else None,
                    )
    PerformanceRecord.objects.bulk_create(records)
    # Landing pages: every owner has one; visits from ads, from other sources, and direct.
    pages = [
        page_services.create_page(user=user, name=f"Page {n}", slug=f"p{seed}x{n}", starting_point="lead_capture")
        for n, user in enumerate(users)
    ]
    refs = [str(c.pk) for c in Campaign.objects.all()] + ["0b7f3c1e-1111-4222-8333-944455556666"]
    for n in range(160):
        page = rng.choice(pages)
        utm = rng.choice(
            [
                {},
                {"utm_source": "facebook", "utm_campaign": f"spring ca-campaign-{rng.choice(refs)}"},
                {
                    "utm_source": "facebook",
                    "utm_campaign": f"ca-campaign-{rng.choice(refs)}",
                    "utm_content": f"ca-ad-{refs[-1]}",
                },
                {"utm_source": "newsletter", "utm_medium": "email"},
            ]
        )
        at = _moment(rng)
        if n < 10 or rng.random() < 0.12:
            conversion(page, at=at, **attribution.from_params(utm) | {"utm_medium": ""})
        else:
            kind = rng.choice(["view", "view", "view", "click", "submit", "scroll"])
            page_event(page, at=at, kind=kind, visitor=f"v{rng.randint(1, 6)}", **utm)
    return users


def _snapshot() -> dict:
    skip = {"id", "created_at"}
    return {
        model.__name__: sorted(
            tuple(sorted((k, str(v)) for k, v in row.items() if k not in skip)) for row in model.objects.values()
        )
        for model in (AdDay, AdBreakdownDay, PageDay, PageSourceDay)
    }


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_campaign_rollups_equal_the_raw_aggregates_and_recomputing_changes_nothing(seed):
    _build(seed)
    # Local days run from a day before the first UTC day to a day after the last.
    days = [FIRST_DAY + timedelta(days=n) for n in range(-1, DAYS + 1)]
    rollups.recompute_range(days[0], days[-1])
    first = _snapshot()
    rollups.recompute_range(days[0], days[-1])
    assert _snapshot() == first
    for day in days[1:3]:  # one day recomputed alone changes nothing either
        rollups.recompute_performance_day(day)
        rollups.recompute_day(day)
    assert _snapshot() == first

    # Per ad and day: the placement rows' sums.
    expected_ads = defaultdict(lambda: dict.fromkeys(AD_SUMS, 0))
    for r in PerformanceRecord.objects.filter(breakdown=Breakdown.PLACEMENT).values():
        entry = expected_ads[(r["date"], r["ad_account_id"], r["meta_ad_id"], r["currency"])]
        for name in AD_SUMS:
            entry[name] += r[name]
    got_ads = {
        (r["day"], r["ad_account_id"], r["meta_ad_id"], r["currency"]): {n: r[n] for n in AD_SUMS}
        for r in AdDay.objects.values()
    }
    assert len(got_ads) > 10
    assert got_ads == expected_ads
    # Every ad day belongs to the ad account's owner, and keeps the campaign link of any of its rows.
    for row in AdDay.objects.select_related("ad_account__connection"):
        assert row.user_id == row.ad_account.connection.user_id
        linked = PerformanceRecord.objects.filter(
            date=row.day, meta_ad_id=row.meta_ad_id, campaign__isnull=False, ad_account_id=row.ad_account_id
        ).exists()
        assert (row.campaign_id is not None) == linked

    # Per breakdown value and day, over all of an account's ads.
    expected_breakdowns = defaultdict(lambda: dict.fromkeys(AD_SUMS, 0))
    for r in PerformanceRecord.objects.values():
        placement = r["breakdown"] == Breakdown.PLACEMENT
        first_value, second = (
            (r["publisher_platform"], r["platform_position"]) if placement else (r["age"], r["gender"])
        )
        entry = expected_breakdowns[(r["date"], r["ad_account_id"], r["breakdown"], first_value, second)]
        for name in AD_SUMS:
            entry[name] += r[name]
    got_breakdowns = {
        (r["day"], r["ad_account_id"], r["breakdown"], r["first"], r["second"]): {n: r[n] for n in AD_SUMS}
        for r in AdBreakdownDay.objects.values()
    }
    assert got_breakdowns == expected_breakdowns

    # Landing pages, per page and day of the owner's time zone.
    zone_of = {}
    for page in LandingPage.objects.select_related("user"):
        name = UserPreference.objects.filter(user=page.user).values_list("timezone", flat=True).first()
        zone_of[page.pk] = ZoneInfo(name or "UTC")
    expected_pages = defaultdict(lambda: {"views": 0, "visitors": set(), "clicks": 0, "submits": 0, "conversions": 0})
    expected_sources = defaultdict(lambda: {"views": 0, "visitors": set(), "conversions": 0})
    for e in PageEvent.objects.values():
        day = e["occurred_at"].astimezone(zone_of[e["page_id"]]).date()
        page_entry = expected_pages[(e["page_id"], day)]
        if e["event_type"] == "view":
            page_entry["views"] += 1
            page_entry["visitors"].add(e["visitor_hash"])
            found = attribution.from_params(e)
            source_entry = expected_sources[
                (e["page_id"], day, e["utm_source"], found["campaign_ref"], found["ad_ref"])
            ]
            source_entry["views"] += 1
            source_entry["visitors"].add(e["visitor_hash"])
        elif e["event_type"] in ("click", "submit"):
            page_entry[e["event_type"] + "s"] += 1
    for c in Conversion.objects.values():
        day = c["created_at"].astimezone(zone_of[c["page_id"]]).date()
        expected_pages[(c["page_id"], day)]["conversions"] += 1
        expected_sources[(c["page_id"], day, c["utm_source"], c["campaign_ref"], c["ad_ref"])]["conversions"] += 1
    got_pages = {
        (r.page_id, r.day): {
            "views": r.views,
            "visitors": r.visitors,
            "clicks": r.clicks,
            "submits": r.submits,
            "conversions": r.conversions,
        }
        for r in PageDay.objects.all()
    }
    want_pages = {k: v | {"visitors": len(v["visitors"])} for k, v in expected_pages.items() if k[1] in days}
    # A page with only scroll events that day has a row of zeros; the raw side has the same key.
    assert got_pages == want_pages
    assert any(v["conversions"] for v in got_pages.values())
    got_sources = {
        (r.page_id, r.day, r.source, r.campaign_ref, r.ad_ref): {
            "views": r.views,
            "visitors": r.visitors,
            "conversions": r.conversions,
        }
        for r in PageSourceDay.objects.all()
    }
    want_sources = {k: v | {"visitors": len(v["visitors"])} for k, v in expected_sources.items() if k[1] in days}
    assert got_sources == want_sources
    assert any(k[3] for k in got_sources)  # some visits came from a campaign's link
