"""Findings 1-3 (issue 11): behind the proxy, limits and the audit trail use the real client's address."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

PROXY = "10.0.0.1"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def _sign_in(client, email, password, forwarded):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


@pytest.mark.django_db
def test_one_client_failing_sign_ins_does_not_lock_out_the_others(client, behind_proxy):
    user = UserFactory()
    for n in range(10):  # login_failed allows 10 a minute per address
        response = _sign_in(client, f"nobody{n}@example.com", "wrong-password-1", "198.51.100.1")
        assert response.status_code == 200
    blocked = _sign_in(client, "nobody@example.com", "wrong-password-1", "198.51.100.1")
    assert "Too many failed login attempts" in blocked.content.decode()  # the noisy client is limited...

    response = _sign_in(client, user.email, PASSWORD, "198.51.100.2")
    assert response.status_code == 302  # ...and another client through the same proxy signs in
    event = AuditEvent.objects.get(action="account.signed_in", actor=user)
    assert event.ip_address == "198.51.100.2"


@pytest.mark.django_db
def test_sign_up_is_limited_per_client_not_site_wide(client, behind_proxy):
    def sign_up(n, forwarded):
        return client.post(
            reverse("account_signup"),
            {"email": f"new{n}@example.com", "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    for n in range(20):
        assert sign_up(n, "198.51.100.1").status_code == 302
        client.logout()
    assert sign_up(99, "198.51.100.1").status_code == 429
    assert sign_up(100, "198.51.100.3").status_code == 302


@pytest.mark.django_db
def test_a_forged_first_entry_does_not_change_the_recorded_address(client, behind_proxy):
    user = UserFactory()
    response = _sign_in(client, user.email, PASSWORD, "203.0.113.66, 198.51.100.7")
    assert response.status_code == 302
    assert AuditEvent.objects.get(action="account.signed_in", actor=user).ip_address == "198.51.100.7"


@pytest.mark.django_db
@pytest.mark.parametrize("forwarded", ["unknown", "not-an-ip", "203.0.113.5:4711", "[2001:db8::1]:443", ""])
def test_a_malformed_forwarded_header_never_answers_500(client, behind_proxy, forwarded):
    user = UserFactory()
    response = _sign_in(client, user.email, PASSWORD, forwarded)
    assert response.status_code == 302
    expected = {"203.0.113.5:4711": "203.0.113.5", "[2001:db8::1]:443": "2001:db8::1", "": PROXY}
    assert AuditEvent.objects.get(action="account.signed_in", actor=user).ip_address == expected.get(forwarded)

    client.logout()
    response = client.post(
        reverse("account_signup"),
        {"email": "fresh@example.com", "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    assert response.status_code == 302
    assert AuditEvent.objects.get(action="account.signed_up").ip_address == expected.get(forwarded)


@pytest.mark.django_db
def test_without_a_trusted_proxy_the_header_is_ignored(client):
    user = UserFactory()
    _sign_in(client, user.email, PASSWORD, "198.51.100.9")
    assert AuditEvent.objects.get(action="account.signed_in", actor=user).ip_address == PROXY
