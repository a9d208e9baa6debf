import pytest

from tests.campaigns.support import meta_settings
from tests.fakes.graph_server import FakeGraphServer


@pytest.fixture
def graph(settings):
    """The fake Graph API on a free port, with the SDK and Facebook Login pointed at it."""
    with FakeGraphServer() as fake:
        meta_settings(settings, fake)
        yield fake
