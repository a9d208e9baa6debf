from django.urls import path

from analytics import ingest_views

app_name = "analytics_ingest"

urlpatterns = [path("", ingest_views.events, name="events")]
