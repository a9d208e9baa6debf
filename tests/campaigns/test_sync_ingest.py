"""Storing insight pages: the PostgreSQL path (COPY into a staging table, one upsert) and the ORM
path the embedded default (SQLite) uses store the same rows and count the same writes."""

from decimal import Decimal

import pytest

from campaigns.connections.models import MetaAdAccount, MetaConnection
from campaigns.sync import ingest
from campaigns.sync.models import PerformanceRecord

pytestmark = pytest.mark.django_db

PATHS = {"staged": True, "orm": False}
COMPARED = [f for f in ingest.COLUMNS if f != "ad_account_id"]


def _row(ad: str, day: str, platform: str, *, spend: str = "12.34", purchases: int = 1) -> dict:
    return {
        "date_start": day,
        "date_stop": day,
        "ad_id": ad,
        "adset_id": "77",
        "campaign_id": "66",
        "account_currency": "EUR",
        "attribution_setting": "7d_click_1d_view",
        "impressions": "2000",
        "reach": "1600",
        "frequency": "1.250000",
        "clicks": "37",
        "inline_link_clicks": "25",
        "spend": spend,
        "actions": [{"action_type": "purchase", "value": str(purchases)}, {"action_type": "lead", "value": "2"}],
        "action_values": [{"action_type": "purchase", "value": f"{purchases * 24.5:.2f}"}],
        "publisher_platform": platform,
        "platform_position": "feed",
    }


def _account(user, number: str) -> MetaAdAccount:
    connection, _ = MetaConnection.objects.get_or_create(user=user, defaults={"status": "active"})
    return MetaAdAccount.objects.create(connection=connection, account_id=f"act_{number}", name=number, currency="EUR")


def _store(path, account, rows):
    page = ingest.parse_page(rows, ad_account=account, breakdown="placement", links=ingest.Links({}, {}))
    counts = ingest.store_page(ad_account=account, page=page, staged=PATHS[path])
    return (counts.fetched, counts.inserted, counts.updated, counts.unchanged)


def _stored(account) -> list[tuple]:
    return list(
        PerformanceRecord.objects.filter(ad_account=account)
        .order_by("meta_ad_id", "date", "publisher_platform")
        .values_list(*COMPARED)
    )


def test_both_paths_insert_update_only_restated_rows_and_write_nothing_for_unchanged_pages(user):
    page = [_row(ad, day, p) for ad in ("1", "2") for day in ("2026-11-01", "2026-11-02") for p in ("fb", "ig")]
    page.append({"ad_id": "", "date_start": "2026-11-01"})  # no ad: skipped, still counted as fetched
    results = {}
    for number, path in enumerate(PATHS):
        account = _account(user, str(number))
        first = _store(path, account, page)
        stamps = dict(PerformanceRecord.objects.filter(ad_account=account).values_list("pk", "updated_at"))
        again = _store(path, account, page)
        assert dict(PerformanceRecord.objects.filter(ad_account=account).values_list("pk", "updated_at")) == stamps
        restated = [*page[:-1], _row("2", "2026-11-02", "ig", spend="99.99", purchases=3)]  # a repeated key: last wins
        third = _store(path, account, restated)
        results[path] = (first, again, third, _stored(account))
        assert (first, again, third) == ((9, 8, 0, 0), (9, 0, 0, 8), (9, 0, 1, 7))
        changed = PerformanceRecord.objects.get(
            ad_account=account, meta_ad_id="2", date="2026-11-02", publisher_platform="ig"
        )
        assert (changed.spend, changed.conversions, changed.cpa) == (Decimal("99.99"), 5, Decimal("19.9980"))
        assert changed.updated_at > stamps[changed.pk]
    assert results["staged"] == results["orm"]


def test_two_pages_in_one_transaction_do_not_store_the_first_twice(user, django_db_blocker):
    account = _account(user, "9")
    first = [_row("1", "2026-11-01", "fb")]
    second = [_row("2", "2026-11-01", "fb")]
    assert _store("staged", account, first) == (1, 1, 0, 0)
    assert _store("staged", account, second) == (1, 1, 0, 0)  # the test's transaction is still open
    assert PerformanceRecord.objects.filter(ad_account=account).count() == 2


@pytest.mark.parametrize("path", PATHS)
def test_pages_gathered_into_one_batch_store_a_key_repeated_across_them_once(user, path):
    account = _account(user, "8")
    links = ingest.Links({}, {})
    batch = ingest.parse_page(
        [_row("1", "2026-11-01", "fb"), _row("2", "2026-11-01", "fb")],
        ad_account=account,
        breakdown="placement",
        links=links,
    )
    later = [_row("2", "2026-11-01", "fb", spend="50.00"), _row("3", "2026-11-01", "fb")]
    batch.extend(ingest.parse_page(later, ad_account=account, breakdown="placement", links=links))
    counts = ingest.store_page(ad_account=account, page=batch, staged=PATHS[path])
    assert (counts.fetched, counts.inserted, counts.updated, counts.unchanged) == (4, 3, 0, 0)
    stored = PerformanceRecord.objects.filter(ad_account=account, meta_ad_id="2").values_list("spend", flat=True)
    assert list(stored) == [Decimal("50.00")]  # the later page's numbers stand
