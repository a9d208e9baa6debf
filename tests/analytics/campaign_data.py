"""Raw ad-performance and landing-page rows for analytics tests, written as the sync and the event
drain store them (the rollups read these tables; how they got there is the campaigns' tests' job)."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime
from decimal import Decimal

from analytics.models import PageEvent
from campaigns.models import Breakdown, Conversion, MetaAdAccount, MetaConnection, MetaPage, PerformanceRecord

PLACEMENTS = [("facebook", "feed"), ("instagram", "stream"), ("instagram", "story"), ("audience_network", "")]
AUDIENCES = [("18-24", "female"), ("25-34", "male"), ("35-44", "unknown")]


def connect_accounts(user, currencies=("USD",)) -> list[MetaAdAccount]:
    connection = MetaConnection.objects.create(user=user, meta_user_id=f"mu-{user.pk.hex[:8]}", access_token="t")
    MetaPage.objects.create(connection=connection, page_id="501", name="Bakery", selected=True)
    return [
        MetaAdAccount.objects.create(
            connection=connection,
            account_id=f"act_{n}{user.pk.hex[:6]}",
            name=f"Account {currency}",
            currency=currency,
            selected=n == 0,
        )
        for n, currency in enumerate(currencies)
    ]


def performance_rows(
    rng: random.Random, *, account: MetaAdAccount, day: date, ad_id: str, campaign=None, asset=None
) -> list[PerformanceRecord]:
    """One ad's day: the placement rows, and age/gender rows that split the same totals differently."""
    rows = []
    placements = rng.sample(PLACEMENTS, rng.randint(1, len(PLACEMENTS)))
    totals = {"impressions": 0, "clicks": 0, "spend": Decimal(0)}
    for platform, position in placements:
        impressions = rng.randint(0, 5000)
        clicks = rng.randint(0, impressions // 20 + 1)
        spend = Decimal(rng.randint(0, 9000)) / 100
        totals["impressions"] += impressions
        totals["clicks"] += clicks
        totals["spend"] += spend
        rows.append(
            _record(
                rng,
                account,
                day,
                ad_id,
                campaign,
                asset,
                Breakdown.PLACEMENT,
                impressions,
                clicks,
                spend,
                publisher_platform=platform,
                platform_position=position,
            )
        )
    age, gender = rng.choice(AUDIENCES)
    rows.append(
        _record(
            rng,
            account,
            day,
            ad_id,
            campaign,
            asset,
            Breakdown.DEMOGRAPHIC,
            totals["impressions"],
            totals["clicks"],
            totals["spend"],
            age=age,
            gender=gender,
        )
    )
    return rows


def _record(rng, account, day, ad_id, campaign, asset, breakdown, impressions, clicks, spend, **values):
    record = PerformanceRecord(
        ad_account=account,
        campaign=campaign,
        campaign_asset=asset,
        meta_campaign_id=campaign.meta_campaign_id if campaign and campaign.meta_campaign_id else "mc-1",
        meta_ad_id=ad_id,
        date=day,
        breakdown=breakdown,
        currency=account.currency,
        impressions=impressions,
        reach=impressions // 2,
        clicks=clicks,
        inline_link_clicks=clicks // 2,
        spend=spend,
        actions={"lead": rng.randint(0, 3), "purchase": rng.randint(0, 2)},
        action_values={"purchase": str(Decimal(rng.randint(0, 20000)) / 100)},
        **values,
    )
    record.derive()
    return record


def page_event(page, *, at: datetime, kind: str = "view", visitor: str = "v1", **utm) -> PageEvent:
    return PageEvent.objects.create(
        ingest_id=uuid.uuid4().hex,
        page=page,
        version_number=1,
        event_type=kind,
        visitor_hash=visitor,
        occurred_at=at,
        **utm,
    )


def conversion(page, *, at: datetime, **attribution) -> Conversion:
    row = Conversion.objects.create(
        user=page.user, page=page, event_id=uuid.uuid4().hex, conversion_type="lead", **attribution
    )
    Conversion.objects.filter(pk=row.pk).update(created_at=at)
    return row
