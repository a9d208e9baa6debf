"""The small details of issue 12: sentence case, one admin "Accounts", the sign-up email's site, the dashboard."""

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_account_pages_use_sentence_case(auth_client):
    page = auth_client.get(reverse("account_change_password")).content.decode()
    assert "Change password" in page
    assert "Change Password" not in page
    assert "Current password" in page
    login = Client().get(reverse("account_login")).content.decode()
    assert "Remember me" in login
    assert login.count("Forgot your password?") == 1


def test_the_admin_index_has_one_accounts_section(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert page.count(">Accounts<") == 1
    assert "Users and brands" in page


def test_the_sign_up_email_names_the_site_url_not_the_default_domain(
    client, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://ads.mariasbakery.example"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_signup"),
            {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
        )
    [message] = mail.outbox
    assert "https://ads.mariasbakery.example/accounts/confirm-email/" in message.body
    assert "ads.mariasbakery.example" in message.body
    assert "127.0.0.1:8000" not in message.body
    assert "example.com/accounts" not in message.body


def test_a_finished_checklist_offers_the_next_ad(rf, user):
    from accounts import selectors

    summary = selectors.dashboard_summary(user=user)
    request = rf.get("/dashboard/")
    request.user = user
    page = render_to_string("accounts/dashboard.html", summary, request=request)
    assert 'data-testid="next-ad"' not in page
    for item in summary["checklist"]:
        item["done"] = True
    summary["checklist_done"] = len(summary["checklist"])
    page = render_to_string("accounts/dashboard.html", summary, request=request)
    assert "Make your next ad" in page
    assert 'data-testid="next-ad"' in page
