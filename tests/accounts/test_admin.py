import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import AuditEvent, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_every_model_has_a_working_admin_list_and_search(admin_client_, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert admin_client_.get(url).status_code == 200
    if admin.site._registry[model].search_fields:
        assert admin_client_.get(url, {"q": "x"}).status_code == 200


def test_staff_granting_staff_access_is_audited(admin_client_, staff_user):
    target = UserFactory()
    url = reverse("admin:accounts_user_change", args=[target.pk])
    page = admin_client_.get(url)
    assert page.status_code == 200
    data = {
        "email": target.email,
        "first_name": target.first_name,
        "last_name": target.last_name,
        "auth_provider": "email",
        "auth_provider_id": "",
        "is_verified": "on",
        "is_active": "on",
        "is_staff": "on",
        "metadata": "{}",
        "created_at_0": target.created_at.strftime("%Y-%m-%d"),
        "created_at_1": target.created_at.strftime("%H:%M:%S"),
        "preferences-TOTAL_FORMS": "1",
        "preferences-INITIAL_FORMS": "1",
        "preferences-0-id": str(target.preferences.pk),
        "preferences-0-user": str(target.pk),
        "preferences-0-language": "en",
        "preferences-0-timezone": "UTC",
        "preferences-0-content_filter_level": "moderate",
        "preferences-0-ui_preferences": "{}",
        "preferences-0-notification_settings": "{}",
        "business_profile-TOTAL_FORMS": "1",
        "business_profile-INITIAL_FORMS": "1",
        "business_profile-0-id": str(target.business_profile.pk),
        "business_profile-0-user": str(target.pk),
    }
    response = admin_client_.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    target.refresh_from_db()
    assert target.is_staff
    event = AuditEvent.objects.get(action="user.access_changed")
    assert event.actor == staff_user
    assert event.target_id == str(target.pk)
    assert event.details == {"changes": {"is_staff": {"from": False, "to": True}}}


def test_deactivating_users_from_the_admin_is_audited(admin_client_, staff_user):
    targets = [UserFactory(), UserFactory()]
    response = admin_client_.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate_users", "_selected_action": [str(u.pk) for u in targets]},
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk__in=[u.pk for u in targets], is_active=True).exists()
    assert AuditEvent.objects.filter(action="user.access_changed", actor=staff_user).count() == 2


def test_staff_cannot_deactivate_themselves(admin_client_, staff_user):
    admin_client_.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate_users", "_selected_action": [str(staff_user.pk)]},
    )
    staff_user.refresh_from_db()
    assert staff_user.is_active
    assert not AuditEvent.objects.filter(action="user.access_changed").exists()


def test_audit_events_are_read_only_in_the_admin(admin_client_, staff_user):
    event = AuditEvent.objects.create(actor=staff_user, action="x.test")
    change_url = reverse("admin:accounts_auditevent_change", args=[event.pk])
    assert admin_client_.get(change_url).status_code == 200  # viewable
    admin_client_.post(change_url, {"action": "tampered"})
    event.refresh_from_db()
    assert event.action == "x.test"
    assert admin_client_.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    assert (
        admin_client_.post(reverse("admin:accounts_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()
