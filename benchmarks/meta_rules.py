"""Optimisation rules at scale: one rule evaluated over 10,000 ads over 28 days of synced numbers.

    .venv/bin/python benchmarks/meta_rules.py [--ads 10000] [--days 28] [--repeat 5] [--keep]

Fills a dedicated PostgreSQL database (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/craftads_bench_rules; it must have "bench" in its name) with one
published campaign of `--ads` ads and `--days` days of placement-level performance rows (two
placements a day, written with COPY: a data generator, not the product's path), then times what the
product runs after each sync for that campaign: `campaigns.rules.services.evaluate_rule` (load the
numbers, then check every ad) for a CPA rule over 7 days and a CTR-against-first-week rule, best and
median of `--repeat` runs. Target (issue 14): under 2 s.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gallery import database_name, drop_database, ensure_database, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/craftads_bench_rules"
TARGET_SECONDS = 2.0


def build(ads: int, days: int):
    from django.db import connection, transaction

    from accounts.models import User
    from campaigns.connections.models import MetaAdAccount, MetaConnection
    from campaigns.publishing.models import Campaign, CampaignAsset
    from campaigns.sync.models import PerformanceRecord
    from generations.models import Generation
    from tests.templates_app.factories import create_template, make_spec

    now = datetime.now(UTC)
    template = create_template(spec=make_spec(formats=("1:1",)))  # its own (durable) transaction
    with transaction.atomic():
        user = User.objects.create_user(email=f"rules-{uuid.uuid4().hex[:6]}@bench.invalid")
        connection_row = MetaConnection.objects.create(user=user, status="active")
        account = MetaAdAccount.objects.create(
            connection=connection_row, account_id="act_1", name="Bench", currency="EUR", selected=True
        )
        campaign = Campaign.objects.create(
            user=user,
            name="Bench",
            ad_account=account,
            status="published",
            meta_campaign_id="1",
            currency="EUR",
            budget_amount=10000,
        )
        generations = Generation.objects.bulk_create(
            [
                Generation(user=user, template=template, spec_version=template.spec_version, formats=["1:1"])
                for _ in range(ads)
            ],
            batch_size=5000,
        )
        assets = CampaignAsset.objects.bulk_create(
            [
                CampaignAsset(
                    campaign=campaign, generation=g, formats=["1:1"], ad_name=f"ad {n}", meta_ad_id=str(10_000_000 + n)
                )
                for n, g in enumerate(generations)
            ],
            batch_size=5000,
        )
        columns = [
            "id",
            "created_at",
            "updated_at",
            "ad_account_id",
            "campaign_id",
            "campaign_asset_id",
            "meta_campaign_id",
            "meta_adset_id",
            "meta_ad_id",
            "date",
            "breakdown",
            "publisher_platform",
            "platform_position",
            "age",
            "gender",
            "attribution_setting",
            "currency",
            "impressions",
            "reach",
            "frequency",
            "clicks",
            "inline_link_clicks",
            "spend",
            "actions",
            "action_values",
            "conversions",
            "conversion_value",
        ]
        today = now.date()
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {PerformanceRecord._meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for n, asset in enumerate(assets):
                for d in range(days):
                    day = today - timedelta(days=d)
                    for platform, position in (("facebook", "feed"), ("instagram", "story")):
                        seed = (n * 7919 + d * 104729 + len(platform)) % 10007
                        impressions, clicks = 1000 + seed % 5000, 5 + seed % 120
                        copy.write_row(
                            [
                                uuid.uuid4(),
                                now,
                                now,
                                account.pk,
                                campaign.pk,
                                asset.pk,
                                "1",
                                "2",
                                asset.meta_ad_id,
                                day,
                                "placement",
                                platform,
                                position,
                                "",
                                "",
                                "7d_click_1d_view",
                                "EUR",
                                impressions,
                                int(impressions * 0.8),
                                Decimal("1.25"),
                                clicks,
                                int(clicks * 0.7),
                                Decimal(seed % 4000) / 100 + 1,
                                "{}",
                                "{}",
                                seed % 3,
                                Decimal(seed % 3) * 20,
                            ]
                        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return user, campaign


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ads", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if urlsplit(url).scheme not in {"postgres", "postgresql"} or "bench" not in database_name(url):
        raise SystemExit("Point DATABASE_URL at a PostgreSQL database with 'bench' in its name.")
    created = ensure_database(url)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connections

    from campaigns.rules import services
    from campaigns.rules.models import OptimizationRule

    call_command("migrate", verbosity=0, interactive=False)
    try:
        began = time.perf_counter()
        user, campaign = build(options.ads, options.days)
        rows = options.ads * options.days * 2
        print(
            f"{rows:,} performance rows for {options.ads:,} ads written in {time.perf_counter() - began:.0f} s",
            flush=True,
        )
        rules = {
            "CPA over 7 days, min spend": OptimizationRule(
                user=user,
                campaign=campaign,
                name="cpa",
                level="ad",
                action="pause",
                min_spend=Decimal(50),
                conditions=[{"metric": "cpa", "operator": "gt", "value": "25", "days": 7}],
            ),
            "CTR against the first week": OptimizationRule(
                user=user,
                campaign=campaign,
                name="fatigue",
                level="ad",
                action="pause",
                conditions=[{"metric": "ctr_vs_first_week", "operator": "lte", "value": "50", "days": 3}],
            ),
        }
        today = datetime.now(UTC).date()
        print(f"\nRule evaluation, {options.ads:,} ads over {options.days} days, best and median of {options.repeat}")
        worst = 0.0
        for label, rule in rules.items():
            rule.campaign = campaign
            times, fired = [], 0
            for _ in range(options.repeat):
                began = time.perf_counter()
                fired = len(services.evaluate_rule(rule, day=today))
                times.append(time.perf_counter() - began)
            worst = max(worst, statistics.median(times))
            print(
                f"  {label:<30} best {min(times):.2f} s, median {statistics.median(times):.2f} s ({fired:,} ads fire)"
            )
        verdict = "met" if worst < TARGET_SECONDS else "NOT met"
        print(f"target: under {TARGET_SECONDS:.0f} s: {verdict} (slowest median {worst:.2f} s)")
    finally:
        connections.close_all()
        if created and not options.keep:
            drop_database(url)


if __name__ == "__main__":
    main()
