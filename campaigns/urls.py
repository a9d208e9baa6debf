from django.urls import path

from campaigns import views
from campaigns.pages import urls as page_urls

app_name = "campaigns"

urlpatterns = [
    path("", views.index, name="index"),
]
urlpatterns += page_urls.urlpatterns  # landing pages, leads, library, integrations (issue 15)
