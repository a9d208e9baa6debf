import json

import pytest
from allauth.account.models import EmailAddress
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts import services
from accounts.models import ApiKey, AuditEvent, BrandProfile, BusinessProfile, User, UserPreference
from craftplatform.images import clean_uploaded_image
from tests.conftest import make_image_bytes
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _give_files(user):
    logo = clean_uploaded_image(SimpleUploadedFile("l.png", make_image_bytes()))
    avatar = clean_uploaded_image(SimpleUploadedFile("a.png", make_image_bytes()))
    services.update_brand_profile(user=user, values={"name": "Acme"}, logo=logo)
    services.update_profile(user=user, first_name="Ada", last_name="L", avatar=avatar)
    user.refresh_from_db()
    return [user.avatar.name, BrandProfile.objects.get(user=user).logo.name]


def test_export_holds_every_registered_section(auth_client, user):
    services.update_business_profile(user=user, values={"business_name": "Acme Ltd", "industry": "saas"})
    _give_files(user)
    response = auth_client.post(reverse("accounts:export_data"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="craftads-export-')
    data = json.loads(response.content)
    account = data["sections"]["account"]
    assert data["user_id"] == str(user.pk)
    assert account["profile"]["email"] == user.email
    assert account["brand_kit"]["name"] == "Acme"
    assert account["business_profile"]["business_name"] == "Acme Ltd"
    assert account["preferences"]["timezone"] == "UTC"
    assert AuditEvent.objects.filter(actor=user, action="account.data_exported").count() == 1


def test_export_is_not_reachable_by_get(auth_client):
    assert auth_client.get(reverse("accounts:export_data")).status_code == 405


def test_export_holds_nothing_of_other_users(auth_client, user, other_user):
    services.update_brand_profile(user=other_user, values={"name": "Secret Brand"})
    body = auth_client.post(reverse("accounts:export_data")).content.decode()
    assert "Secret Brand" not in body
    assert other_user.email not in body


def test_deleting_the_account_removes_the_user_their_rows_and_files(
    auth_client, user, other_user, django_capture_on_commit_callbacks
):
    files = _give_files(user)
    other_files = _give_files(other_user)
    services.create_api_key(user=user, name="zap")
    assert all(default_storage.exists(name) for name in files)

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(
            reverse("accounts:delete_account"), {"confirm_email": user.email.upper(), "password": PASSWORD}
        )

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert not User.objects.filter(pk=user.pk).exists()
    for model in (UserPreference, BrandProfile, BusinessProfile, ApiKey, EmailAddress):
        assert not model.objects.filter(user_id=user.pk).exists()
    assert not any(default_storage.exists(name) for name in files)
    assert all(default_storage.exists(name) for name in other_files)
    assert User.objects.filter(pk=other_user.pk).exists()
    assert "_auth_user_id" not in auth_client.session
    event = AuditEvent.objects.get(action="account.deleted")
    assert event.details == {"user_id": str(user.pk), "files_removed": 2}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"confirm_email": "someone@else.com", "password": PASSWORD}, "not the email address of your account"),
        ({"confirm_email": "", "password": PASSWORD}, "This field is required"),
    ],
)
def test_deletion_needs_the_right_confirmation(auth_client, user, data, message):
    files = _give_files(user)
    response = auth_client.post(reverse("accounts:delete_account"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert User.objects.filter(pk=user.pk).exists()
    assert all(default_storage.exists(name) for name in files)


def test_deletion_needs_the_password(auth_client, user):
    response = auth_client.post(reverse("accounts:delete_account"), {"confirm_email": user.email, "password": "nope"})
    assert response.status_code == 400
    assert "The password is not correct" in response.content.decode()
    assert User.objects.filter(pk=user.pk).exists()


def test_a_user_without_a_password_confirms_with_the_email_alone(client, django_capture_on_commit_callbacks):
    user = UserFactory()
    user.set_unusable_password()
    user.save()
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:delete_account"), {"confirm_email": user.email})
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
