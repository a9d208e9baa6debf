"""Connecting Meta through Facebook Login (the fake's dialog and token exchange)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from campaigns.connections.models import ConnectionStatus, MetaConnection
from tests.campaigns.support import connect

pytestmark = pytest.mark.django_db


def _login_redirect(client):
    response = client.post(reverse("campaigns:connect"))
    assert response.status_code == 302
    return response["Location"]


def test_connect_records_token_scopes_accounts_and_pages(auth_client, user, graph):
    location = _login_redirect(auth_client)
    query = parse_qs(urlsplit(location).query)
    assert query["scope"] == ["ads_management,ads_read,business_management,pages_show_list,pages_read_engagement"]
    assert query["redirect_uri"] == ["http://127.0.0.1:8000/campaigns/connection/callback/"]
    code = graph.issue_code(query["redirect_uri"][0])
    response = auth_client.get(reverse("campaigns:connect_callback"), {"code": code, "state": query["state"][0]})
    assert response.status_code == 302
    connection = MetaConnection.objects.get(user=user)
    assert connection.status == ConnectionStatus.ACTIVE
    assert connection.access_token.startswith("EAAlong")  # the long-lived token, not the short one
    assert 59 <= (connection.token_expires_at - connection.connected_at).days <= 60
    assert connection.scopes_missing == []
    # Three ad accounts over two cursor pages of the fake.
    assert sorted(connection.ad_accounts.values_list("account_id", flat=True)) == ["act_111", "act_222", "act_333"]
    assert connection.pages.get(page_id="501").instagram_actor_id == "17841400000000001"
    assert AuditEvent.objects.filter(action="campaigns.meta_connected").count() == 1
    page = auth_client.get(reverse("campaigns:connection"))
    assert b"Main ads (act_111, EUR, Europe/Paris)" in page.content


def test_a_missing_scope_is_recorded_and_explained(auth_client, user, graph):
    graph.granted_scopes = ["ads_read", "pages_show_list"]
    location = _login_redirect(auth_client)
    query = parse_qs(urlsplit(location).query)
    code = graph.issue_code(query["redirect_uri"][0])
    auth_client.get(reverse("campaigns:connect_callback"), {"code": code, "state": query["state"][0]})
    connection = MetaConnection.objects.get(user=user)
    assert connection.scopes_missing == ["ads_management", "business_management", "pages_read_engagement"]
    page = auth_client.get(reverse("campaigns:connection")).content.decode()
    assert "needed to create and change campaigns, ad sets and ads" in page


@pytest.mark.parametrize("state", ["", "forged-state"])
def test_the_callback_refuses_a_missing_or_foreign_state(auth_client, user, graph, state):
    location = _login_redirect(auth_client)
    query = parse_qs(urlsplit(location).query)
    code = graph.issue_code(query["redirect_uri"][0])
    response = auth_client.get(reverse("campaigns:connect_callback"), {"code": code, "state": state}, follow=True)
    assert b"did not start here" in response.content
    assert not MetaConnection.objects.filter(user=user).exists()
    assert graph.requests_to("GET", r"/oauth/access_token") == []


def test_another_sessions_state_is_refused(client, user, other_user, graph):
    """A state minted in another user's session does not connect this one."""
    client.force_login(other_user)
    query = parse_qs(urlsplit(_login_redirect(client)).query)
    client.logout()
    client.force_login(user)
    code = graph.issue_code(query["redirect_uri"][0])
    client.get(reverse("campaigns:connect_callback"), {"code": code, "state": query["state"][0]})
    assert not MetaConnection.objects.exists()


def test_disconnect_revokes_at_meta_and_forgets_the_token(auth_client, user, graph):
    connection = connect(user, graph)
    token = connection.access_token
    auth_client.post(reverse("campaigns:disconnect"))
    connection.refresh_from_db()
    assert connection.access_token == ""
    assert connection.status == ConnectionStatus.REVOKED
    assert token in graph.revoked


def test_without_a_meta_app_drafting_works_and_the_page_says_so(auth_client, settings, staff_user, client):
    settings.META_APP_ID = settings.META_APP_SECRET = ""
    page = auth_client.get(reverse("campaigns:index")).content.decode()
    assert "publishing to Meta needs the operator to configure a Meta app" in page
    assert "META_APP_ID" not in page  # only staff see how
    response = auth_client.post(reverse("campaigns:create"), {"name": "Draft only"})
    assert response.status_code == 302
    client.force_login(staff_user)
    assert "META_APP_ID" in client.get(reverse("campaigns:index")).content.decode()
