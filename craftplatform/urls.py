from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from craftplatform import media, views
from templates_app import urls as template_urls

admin.site.site_header = "CraftAds administration"
admin.site.site_title = "CraftAds admin"
admin.site.index_title = "Run the platform"

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("credits.api_urls")),
    path("", include("generations.api.urls")),
    path("templates/", include(template_urls.api_urlpatterns)),
    path("", include("campaigns.api_urls")),  # campaigns: Meta, sync, rules, landing pages, leads, webhooks
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its script as a file of its own: the page needs no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # API contract (issue 17): an unknown API path is a JSON 404 in the one error shape, not an HTML page.
    re_path(r"^[\s\S]*$", views.api_not_found),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("templates/", include("templates_app.urls")),
    path("generations/", include("generations.urls")),
    path("credits/", include("credits.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("analytics/", include("analytics.urls")),
    path("api/v1/", include(api_v1)),
    # Landing pages (issue 15): public pages and the page-event beacon.
    path("p/", include("campaigns.pages.public_urls")),
    path("e/", include("analytics.ingest_urls")),
]

# Security (issue 11): local files go through an ownership check, whether this process sends the
# bytes (SERVE_MEDIA) or the proxy does (MEDIA_SERVED_BY_PROXY, X-Accel-Redirect). craftplatform/media.py.
if (settings.SERVE_MEDIA or settings.MEDIA_SERVED_BY_PROXY) and settings.STORAGES["default"]["BACKEND"].endswith(
    "FileSystemStorage"
):
    urlpatterns.append(
        re_path(r"^media/(?P<path>.+)$", media.serve_media, name="media"),
    )
