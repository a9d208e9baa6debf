"""Analytics pages: the user's own figures only; operators' reports to permitted staff only (404 else)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from analytics.models import CostAlert, CostAlertRule, PlatformDay, UserDay
from analytics.services import alerts, rollups
from credits import services as credit_services
from credits.constants import Operation, TransactionType
from generations.models import AIProvider, ProviderCall
from tests.factories import UserFactory

STAFF_ROUTES = [
    "analytics:staff_revenue",
    "analytics:staff_ai_cost",
    "analytics:staff_usage",
    "analytics:staff_heavy_users",
]


def _spend(user, amount, operation=Operation.UPSCALE, ref="x"):
    credit_services.grant_credits(user=user, amount=100, type=TransactionType.BONUS, idempotency_key=f"g-{ref}")
    hold = credit_services.hold_credits(
        user=user, amount=amount, reference_type="image_operation", reference_id=ref, operation=operation
    )
    credit_services.capture_hold(hold_id=hold.pk)


@pytest.mark.django_db
def test_the_user_page_shows_only_their_own_credits(client):
    me, someone = UserFactory(), UserFactory()
    _spend(me, 7, ref="mine")
    _spend(someone, 40, ref="theirs")
    rollups.recompute_day(timezone.now().date())
    client.force_login(me)
    response = client.get(reverse("analytics:index"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Upscale" in body
    assert ">7<" in body
    assert ">40<" not in body
    csv = client.get(reverse("analytics:index"), {"export": "credits-per-operation"})
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode().splitlines() == ["Operation,Times,Credits spent", "Upscale,1,7"]


@pytest.mark.django_db
def test_an_empty_account_sees_what_each_section_will_show(client):
    client.force_login(UserFactory())
    body = client.get(reverse("analytics:index")).content.decode()
    assert "You spent no credits in this period." in body
    assert "Connect a Meta ad account" in body
    assert "publish a landing page" in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-05-02", "end": "2026-05-01"}, "The end of the range is before its start."),
        ({"start": "2026-05-02"}, "Give both dates of a custom range"),
        ({"days": "3"}, "Select a valid choice"),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "at most 400 days"),
    ],
)
def test_a_bad_range_is_refused_with_a_message(client, query, message):
    client.force_login(UserFactory())
    response = client.get(reverse("analytics:index"), query)
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("route", STAFF_ROUTES)
def test_staff_reports_answer_404_to_users_and_to_staff_without_the_permission(client, route):
    client.force_login(UserFactory())
    assert client.get(reverse(route)).status_code == 404
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse(route)).status_code == 404
    client.logout()
    assert client.get(reverse(route)).status_code == 302  # to sign-in


@pytest.mark.django_db
@pytest.mark.parametrize("route", STAFF_ROUTES)
def test_staff_reports_render_for_permitted_staff_and_export_csv(client, route):
    user = UserFactory()
    _spend(user, 5, ref="r")
    ProviderCall.objects.create(user=user, provider="openai", operation="copy", status="success", cost=Decimal("0.5"))
    rollups.recompute_day(timezone.now().date())
    analyst = UserFactory(is_staff=True)
    analyst.user_permissions.add(Permission.objects.get(codename="view_platformday"))
    client.force_login(analyst)
    response = client.get(reverse(route))
    assert response.status_code == 200
    table = response.context["tables"][0]
    exported = client.get(reverse(route), {"export": table.key})
    assert exported.status_code == 200
    assert exported.content.decode().splitlines()[0] == ",".join(table.columns)
    assert client.get(reverse(route), {"export": "no-such-table"}).status_code == 404


@pytest.mark.django_db
def test_revenue_counts_credits_outstanding_as_the_ledger_total(client, admin_client_):
    user = UserFactory()
    _spend(user, 30, ref="o")
    rollups.recompute_day(timezone.now().date())
    response = admin_client_.get(reverse("analytics:staff_revenue"))
    liability = next(t for t in response.context["tables"] if t.key == "credit-liability")
    # 20 welcome credits and a 100 bonus, 30 spent: 90 outstanding.
    assert liability.rows == [[0, 120, 30, 0, 0, 90]]


@pytest.mark.django_db
def test_the_ai_cost_alert_fires_once_a_day_emails_staff_and_switches_the_provider_off(
    django_capture_on_commit_callbacks,
):
    UserFactory(is_staff=True, email="ops@example.com")
    AIProvider.objects.update_or_create(key="openai", defaults={"enabled": True})
    CostAlertRule.objects.create(daily_threshold=Decimal("1.00"), switch_off_provider=True)
    day = datetime(2026, 6, 1, 12, tzinfo=UTC)
    with time_machine.travel(day, tick=False):
        ProviderCall.objects.create(provider="openai", operation="copy", status="success", cost=Decimal("0.60"))
        rollups.recompute_day(day.date())
        assert alerts.check_cost_alerts(day=day.date()) == []  # 0.60 is under the threshold
        ProviderCall.objects.create(provider="openai", operation="image", status="success", cost=Decimal("0.70"))
        rollups.recompute_day(day.date())
        with django_capture_on_commit_callbacks(execute=True):
            fired = alerts.check_cost_alerts(day=day.date())
        with django_capture_on_commit_callbacks(execute=True):
            again = alerts.check_cost_alerts(day=day.date())
    assert len(fired) == 1
    assert again == []
    assert CostAlert.objects.get().cost == Decimal("1.3000")
    assert CostAlert.objects.get().switched_off == "openai"
    assert not AIProvider.objects.get(key="openai").enabled
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ops@example.com"]
    assert "1.30" in mail.outbox[0].body
    # The next day starts afresh.
    with time_machine.travel(day + timedelta(days=1), tick=False):
        ProviderCall.objects.create(provider="openai", operation="copy", status="success", cost=Decimal("2"))
        rollups.recompute_day((day + timedelta(days=1)).date())
        assert len(alerts.check_cost_alerts(day=(day + timedelta(days=1)).date())) == 1


@pytest.mark.django_db
def test_a_deleted_users_history_still_counts_in_platform_totals_without_them():
    gone, stays = UserFactory(), UserFactory()
    _spend(gone, 11, ref="gone")
    _spend(stays, 3, ref="stays")
    gone.delete()
    today = timezone.now().date()
    rollups.recompute_day(today)
    assert PlatformDay.objects.get(day=today).credits_spent == 14
    assert list(UserDay.objects.filter(day=today).values_list("user_id", "credits_spent")) == [(stays.pk, 3)]
