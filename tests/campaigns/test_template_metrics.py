"""Template performance from synced rows: the gallery ranks by the CTR's lower confidence bound and
shows the sample size; too few impressions say "not enough data yet"."""

from datetime import UTC, datetime

import pytest

from campaigns.sync import template_metrics
from campaigns.sync.models import PerformanceRecord
from templates_app.models import AdMetric, AdTemplate, MetricSource
from templates_app.services import metrics
from tests.campaigns.support import finish_sync, requested_sync
from tests.templates_app.factories import create_template

pytestmark = pytest.mark.django_db


def test_the_lower_bound_ranks_a_large_good_sample_above_a_small_lucky_one(settings):
    # 4.2 % on 120 impressions is less sure than 2.5 % on 100,000: the bound says so.
    assert 5 / 120 > 2500 / 100_000
    assert metrics.ctr_lower_bound(5, 120) < metrics.ctr_lower_bound(2500, 100_000)
    assert metrics.ctr_lower_bound(2500, 100_000) == pytest.approx(0.02405, abs=1e-4)
    assert metrics.ctr_lower_bound(0, 0) is None
    # 3 clicks of 10 impressions is under the minimum sample: no bound, ranked after every template with one.
    template = create_template(slug="three-of-ten")
    _metric(template, 10, 3)
    template.refresh_from_db()
    assert (template.metric_impressions, template.metric_clicks, template.ctr_lower_bound) == (10, 3, None)
    assert settings.TEMPLATE_METRICS_MIN_IMPRESSIONS == 1000


def _metric(template, impressions, clicks):
    AdMetric.objects.create(
        template=template,
        recorded_at=datetime(2026, 11, 1, tzinfo=UTC),
        source=MetricSource.CSV_IMPORT,
        impressions=impressions,
        ctr=clicks / impressions,
    )
    metrics.refresh_metric_summaries(template_ids=[template.pk])


def test_the_gallery_sorts_by_the_lower_bound_and_shows_ctr_with_its_sample(client, user, settings):
    settings.TEMPLATE_METRICS_MIN_IMPRESSIONS = 100
    lucky = create_template(slug="lucky", name="Lucky")
    solid = create_template(slug="solid", name="Solid")
    tiny = create_template(slug="tiny", name="Tiny")
    _metric(lucky, 120, 5)  # 4.2 %, wide interval
    _metric(solid, 100_000, 2_500)  # 2.5 %, narrow
    _metric(tiny, 10, 3)  # under the minimum sample
    client.force_login(user)
    page = client.get("/templates/", {"sort": "best_ctr"})
    names = [t.name for t in page.context["templates"]]
    assert names.index("Solid") < names.index("Lucky") < names.index("Tiny")
    body = page.content.decode()
    assert "CTR 2.50 % over 100,000 impressions" in body
    assert "Not enough data yet" in body


def test_synced_rows_roll_up_into_the_templates_metrics(
    published_campaign, django_capture_on_commit_callbacks, settings
):
    settings.TEMPLATE_METRICS_MIN_IMPRESSIONS = 1
    ad_account, campaign = published_campaign
    finish_sync(requested_sync(ad_account, django_capture_on_commit_callbacks))
    template = campaign.assets.get().generation.template
    assert template_metrics.rollup_template_metrics() == 5  # one row per day
    rows = AdMetric.objects.filter(template=template, source=MetricSource.CAMPAIGN_SYNC)
    placement = PerformanceRecord.objects.filter(breakdown="placement")
    assert sum(r.impressions for r in rows) == sum(r.impressions for r in placement)
    template = AdTemplate.objects.get(pk=template.pk)
    assert template.metric_clicks == sum(r.clicks for r in placement)
    assert template.ctr_lower_bound is not None
    assert template_metrics.rollup_template_metrics() == 5
    assert rows.count() == 5  # re-running changes nothing
