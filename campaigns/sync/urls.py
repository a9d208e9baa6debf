from django.urls import path

from campaigns.sync import views

urlpatterns = [
    path("<uuid:campaign_id>/performance/", views.performance, name="performance"),
    path("sync/<uuid:account_id>/", views.sync_now, name="sync_now"),
]
