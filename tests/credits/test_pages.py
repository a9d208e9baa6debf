import csv
import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from credits import services
from credits.constants import TransactionType
from credits.models import CreditAccount

pytestmark = pytest.mark.django_db


def test_overview_shows_balance_prices_and_says_buying_is_switched_off(auth_client, user):
    services.hold_credits(user=user, amount=5, reference_type="g", reference_id="1")
    body = auth_client.get(reverse("credits:index")).content.decode()
    assert 'data-testid="credits-available">15<' in body
    assert "5 reserved for jobs in progress" in body
    assert "Upscale 4x" in body
    assert "Buying credits is switched off on this installation" in body
    assert reverse("credits:manage_billing") not in body


def test_history_filters_paginates_and_exports_only_my_entries(auth_client, user, other_user):
    for n in range(20):
        services.grant_credits(user=user, amount=1, type=TransactionType.BONUS, idempotency_key=f"b{n}")
    for n in range(15):
        services.spend_credits(user=user, amount=1, reference_type="g", reference_id=str(n), description=f"job {n}")
    services.grant_credits(user=other_user, amount=99, type=TransactionType.BONUS, idempotency_key="other")

    first = auth_client.get(reverse("credits:history")).content.decode()
    assert "Page 1 of 2" in first  # 36 entries, 25 a page
    usage_only = auth_client.get(reverse("credits:history"), {"type": "usage"}).content.decode()
    assert "<td>Welcome credits" not in usage_only
    assert usage_only.count("<td>Usage") == 15

    response = auth_client.get(reverse("credits:history_csv"), {"type": "usage"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["date", "kind", "credits", "balance after", "description", "reference"]
    assert len(rows) == 16
    assert {row[1] for row in rows[1:]} == {"Usage"}
    assert rows[1][2] == "-1"
    all_rows = b"".join(auth_client.get(reverse("credits:history_csv")).streaming_content).decode()
    assert ",99," not in all_rows


def test_bad_history_filters_are_explained(auth_client):
    response = auth_client.get(reverse("credits:history"), {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert "The end date must be on or after the start date." in response.content.decode()


def test_staff_adjust_credits_from_the_admin(admin_client_, user):
    account = services.get_or_open_account(user=user)
    url = reverse("admin:credits_creditaccount_adjust", args=[account.pk])
    assert admin_client_.get(url).status_code == 200
    response = admin_client_.post(url, {"amount": "25", "reason": "Support ticket 12", "form_token": "t1"})
    assert response.status_code == 302
    admin_client_.post(url, {"amount": "25", "reason": "Support ticket 12", "form_token": "t1"})  # double submit
    assert CreditAccount.objects.get(pk=account.pk).balance == 45
    refused = admin_client_.post(url, {"amount": "-500", "reason": "x", "form_token": "t2"})
    assert "Only 45 credits" in refused.content.decode()
    assert CreditAccount.objects.get(pk=account.pk).balance == 45


def test_ledger_cannot_be_edited_in_the_admin(admin_client_, user):
    entry = services.get_or_open_account(user=user).transactions.get()
    assert admin_client_.get(reverse("admin:credits_credittransaction_change", args=[entry.pk])).status_code == 200
    assert admin_client_.get(reverse("admin:credits_credittransaction_add")).status_code == 403
    assert (
        admin_client_.post(
            reverse("admin:credits_credittransaction_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )


def test_credits_api(user, other_user):
    client = APIClient()
    client.force_authenticate(user)
    services.grant_credits(user=other_user, amount=99, type=TransactionType.BONUS, idempotency_key="other")
    assert client.get("/api/v1/credits/").json()["available"] == 20
    entries = client.get("/api/v1/credits/transactions/").json()["results"]
    assert [e["type"] for e in entries] == ["signup_bonus"]
    assert client.get("/api/v1/credits/transactions/", {"type": "nope"}).status_code == 400
    quote = client.get("/api/v1/credits/quote/", {"operation": "vectorize", "quantity": 2}).json()
    assert (quote["total"], quote["allowed"]) == (6, True)
    assert client.get("/api/v1/credits/quote/", {"operation": "teleport"}).status_code == 400


def test_top_bar_shows_available_credits_once_the_account_is_open(auth_client, user):
    assert b"credits</a>" not in auth_client.get(reverse("accounts:dashboard")).content
    services.get_or_open_account(user=user)
    assert b">20 credits</a>" in auth_client.get(reverse("accounts:dashboard")).content
