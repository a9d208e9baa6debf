"""Finding 9 (issue 11): the data export is never cached, deletion anonymises the audit trail,
a new password revokes API keys, and a signed webhook that is not a JSON object answers 400."""

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiKey, AuditEvent
from tests.factories import PASSWORD, UserFactory
from tests.fakes.stripe_server import sign

pytestmark = pytest.mark.django_db


def test_the_data_export_is_never_stored_by_a_cache(auth_client, user):
    response = auth_client.post(reverse("accounts:export_data"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    api = APIClient()
    api.force_authenticate(user)
    response = api.post("/api/v1/me/export/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_account_deletion_keeps_the_events_but_not_the_person(client):
    user = UserFactory(email="leaving@example.com")
    staff = UserFactory(is_staff=True)
    client.post(
        reverse("account_login"),
        {"login": user.email, "password": PASSWORD},
        REMOTE_ADDR="198.51.100.4",
        HTTP_USER_AGENT="Mozilla/5.0 Leaving",
    )
    services.record_access_change(
        actor=staff, user=user, before={"is_active": True}, after={"is_active": False}, request=None
    )
    services.record_audit_event(actor=staff, action="note", target=user, details={"about": "leaving@example.com"})
    before = AuditEvent.objects.count()

    response = client.post(reverse("accounts:delete_account"), {"confirm_email": user.email, "password": PASSWORD})
    assert response.status_code == 302

    assert AuditEvent.objects.count() == before + 1  # every event kept, the deletion recorded
    for event in AuditEvent.objects.all():
        text = json.dumps([event.target_repr, event.details, event.user_agent])
        assert "leaving@example.com" not in text
        assert "Leaving" not in text
        assert event.ip_address != "198.51.100.4"
    signed_in = AuditEvent.objects.get(action="account.signed_in")
    assert signed_in.target_id == str(user.pk)  # still says which account it was about
    assert signed_in.target_repr == "deleted user"


def test_a_password_change_revokes_api_keys_and_says_so(client):
    user = UserFactory()
    _, raw = services.create_api_key(user=user, name="CI")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/me/").status_code == 200

    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "another-good-password-9", "password2": "another-good-password-9"},
        follow=True,
    )
    assert "API key was revoked" in response.content.decode()
    assert api.get("/api/v1/me/").status_code in (401, 403)
    assert ApiKey.objects.get(user=user).revoked_at is not None
    assert AuditEvent.objects.filter(action="api_key.revoked", details__reason="password_changed").count() == 1


@pytest.mark.parametrize("body", [b"[]", b'[{"id": "evt_1", "type": "charge.refunded"}]', b"42", b'"text"'])
def test_a_signed_webhook_that_is_not_a_json_object_answers_400(client, settings, body):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_0123456789"
    response = client.post(
        reverse("credits:stripe_webhook"),
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": sign(body, settings.STRIPE_WEBHOOK_SECRET)},
    )
    assert response.status_code == 400
