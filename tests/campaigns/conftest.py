import pytest

from campaigns.pages import services as page_services
from campaigns.publishing import runner as publish_runner
from campaigns.publishing import services as publishing
from tests.campaigns.support import connect, draft, meta_settings
from tests.fakes.graph_server import FakeGraphServer


@pytest.fixture
def graph(settings):
    """The fake Graph API on a free port, with the SDK and Facebook Login pointed at it."""
    with FakeGraphServer() as fake:
        meta_settings(settings, fake)
        yield fake


@pytest.fixture
def published_campaign(user, graph, settings, django_capture_on_commit_callbacks):
    """A published campaign (1 ad) on act_111, and its ad account; syncs read 5 days."""
    settings.META_SYNC_RESTATE_DAYS = 5
    settings.META_SYNC_WINDOW_DAYS = 3
    settings.META_SYNC_PAGE_SIZE = 4
    connection = connect(user, graph)
    campaign = draft(user)
    with django_capture_on_commit_callbacks(execute=False):
        run = publishing.request_publish(user=user, campaign=campaign)
    assert publish_runner.run_publish(run_id=run.pk) == "done"
    campaign.refresh_from_db()
    return connection.ad_accounts.get(account_id="act_111"), campaign


# Landing pages (issue 15).
@pytest.fixture
def page(user):
    return page_services.create_page(user=user, name="Spring offer", slug="spring", starting_point="lead_capture")


@pytest.fixture
def published(page, user):
    page_services.publish_page(page=page, by=user)
    page.refresh_from_db()
    return page
