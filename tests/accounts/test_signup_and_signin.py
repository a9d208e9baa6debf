import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import AuditEvent, BrandProfile, BusinessProfile, User, UserPreference
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _signup(client, email="New.Person@Example.com", password=PASSWORD, password2=None):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": password, "password2": password2 or password},
    )


def test_signup_creates_the_user_and_their_records_and_emails_a_link(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _signup(client)

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get()
    assert user.email == "new.person@example.com"  # stored lower-cased: the login is case-insensitive
    assert user.auth_provider == "email"
    assert not user.is_verified
    assert UserPreference.objects.filter(user=user).exists()
    assert BrandProfile.objects.filter(user=user).exists()
    assert BusinessProfile.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(actor=user, action="account.signed_up").count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@example.com"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def test_following_the_emailed_link_verifies_and_signs_in(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _signup(client)
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+)", mail.outbox[0].body).group(1)

    page = client.get(link)
    assert page.status_code == 200  # a page with a button: a GET never confirms
    assert not User.objects.get().is_verified

    response = client.post(link)
    assert response.status_code == 302
    user = User.objects.get()
    assert user.is_verified
    assert EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("accounts:dashboard")).status_code == 200
    assert AuditEvent.objects.filter(actor=user, action="account.email_verified").exists()


def test_unverified_user_cannot_sign_in_until_verified(client):
    user = UserFactory(is_verified=False)
    EmailAddress.objects.filter(user=user).update(verified=False)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert client.get(reverse("accounts:dashboard")).status_code == 302


@pytest.mark.parametrize("email", ["taken@example.com", "TAKEN@Example.COM"])
def test_duplicate_email_is_refused_whatever_its_case(client, email):
    UserFactory(email="taken@example.com")
    response = _signup(client, email=email)
    assert response.status_code == 200
    assert "already registered" in response.content.decode()
    assert User.objects.count() == 1


def test_weak_password_is_refused_with_a_message(client):
    response = _signup(client, email="weak@example.com", password="password")
    body = response.content.decode()
    assert response.status_code == 200
    assert "too common" in body or "too short" in body
    assert not User.objects.filter(email="weak@example.com").exists()


def test_mismatched_passwords_are_refused(client):
    response = _signup(client, email="typo@example.com", password2=PASSWORD + "x")
    assert response.status_code == 200
    assert "same password" in response.content.decode()
    assert not User.objects.exists()


def test_sign_in_is_case_insensitive_and_records_the_event(client):
    user = UserFactory(email="casey@example.com")
    response = client.post(reverse("account_login"), {"login": "Casey@Example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("accounts:dashboard")
    assert AuditEvent.objects.filter(actor=user, action="account.signed_in").count() == 1


def test_sixth_wrong_password_is_refused_even_when_right(client):
    user = UserFactory()
    for _ in range(5):
        response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong-password-1"})
        assert response.status_code == 200
        assert "not correct" in response.content.decode()

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_session_key_changes_at_sign_in(client):
    user = UserFactory()
    client.get(reverse("account_login"))
    client.session.save()
    before = client.session.session_key
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert client.session.session_key != before


def test_sign_out_needs_a_post(client, user):
    client.force_login(user)
    client.get(reverse("account_logout"))
    assert "_auth_user_id" in client.session  # the GET shows a confirmation page only
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


def test_password_reset_emails_a_link_and_the_new_password_works(client, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/[^\s]+)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    new_password = "a-brand-new-password-77"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)
    assert AuditEvent.objects.filter(actor=user, action="account.password_reset").exists()


def test_password_change_requires_the_old_password(auth_client, user):
    response = auth_client.post(
        reverse("account_change_password"),
        {"oldpassword": "not-it", "password1": "another-good-password-9", "password2": "another-good-password-9"},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)

    response = auth_client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "another-good-password-9", "password2": "another-good-password-9"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-good-password-9")
    assert AuditEvent.objects.filter(actor=user, action="account.password_changed").exists()
