from django.urls import include, path

from campaigns.connections import urls as connection_urls
from campaigns.pages import urls as page_urls
from campaigns.publishing import urls as publishing_urls
from campaigns.rules import urls as rule_urls
from campaigns.sync import urls as sync_urls

app_name = "campaigns"

urlpatterns = [
    # Meta connection and publishing (issue 13).
    path("", include(publishing_urls)),
    path("connection/", include(connection_urls)),
    # Performance sync (issue 14).
    path("", include(sync_urls)),
    path("", include(rule_urls)),
]
urlpatterns += page_urls.urlpatterns  # landing pages, leads, library, integrations (issue 15)
