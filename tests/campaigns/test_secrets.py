"""The Meta token never shows: not in logs, admin pages, API answers; stored encrypted; a key that
cannot decrypt it is an error, never an empty token."""

import logging

import pytest
from django.db import connection as db
from django.urls import reverse

from campaigns.connections.models import MetaConnection
from campaigns.publishing import services as publishing
from craftplatform.encryption import DecryptionError
from tests.campaigns.support import connect, draft
from tests.fakes import graph_server

pytestmark = pytest.mark.django_db


def test_the_token_is_absent_from_logs_admin_and_api(
    client, user, staff_user, graph, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    connection = connect(user, graph)
    token = connection.access_token
    campaign = draft(user)
    graph.fail_next("POST", r"/ads$", graph_server.invalid_parameter())
    with django_capture_on_commit_callbacks(execute=True):
        run = publishing.request_publish(user=user, campaign=campaign)
    client.force_login(user)
    bodies = [
        client.get(url).content.decode()
        for url in (
            reverse("api-meta-connection"),
            reverse("api-campaigns"),
            reverse("api-campaign-run", args=[run.pk]),
            reverse("campaigns:connection"),
            reverse("campaigns:run", args=[run.pk]),
        )
    ]
    client.force_login(staff_user)
    bodies += [
        client.get(url).content.decode()
        for url in (
            reverse("admin:campaigns_metaconnection_changelist"),
            reverse("admin:campaigns_metaconnection_change", args=[connection.pk]),
            reverse("admin:campaigns_publishrun_change", args=[run.pk]),
            reverse("admin:campaigns_metaadaccount_changelist"),
        )
    ]
    assert all(token not in body for body in bodies)
    assert "Token stored" in bodies[5]
    assert caplog.records  # the publish and its Meta error were logged...
    assert token not in caplog.text  # ...without the token
    with db.cursor() as cursor:
        cursor.execute("SELECT access_token FROM campaigns_metaconnection WHERE id = %s", [connection.pk])
        stored = cursor.fetchone()[0]
    assert stored
    assert token not in stored


def test_a_token_no_key_decrypts_is_an_error(settings, user, graph):
    connect(user, graph)
    settings.FIELD_ENCRYPTION_KEYS = ["T2R0ZXJLZXlUaGF0RGlkTm90RW5jcnlwdEl0MDAwMDA="]
    with pytest.raises(DecryptionError):
        MetaConnection.objects.get(user=user)
