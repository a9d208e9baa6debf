from django.urls import path
from django.views.generic import RedirectView

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("settings/", RedirectView.as_view(pattern_name="accounts:profile"), name="settings"),
    path("settings/profile/", views.profile, name="profile"),
    path("settings/preferences/", views.preferences, name="preferences"),
    path("settings/brand/", views.brand_kit, name="brand"),
    path("settings/business/", views.business_profile, name="business"),
    path("settings/api-keys/", views.api_keys, name="api_keys"),
    path("settings/api-keys/<uuid:key_id>/revoke/", views.revoke_api_key, name="revoke_api_key"),
    path("settings/data/", views.your_data, name="data"),
    path("settings/data/export/", views.export_data, name="export_data"),
    path("settings/delete/", views.delete_account, name="delete_account"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
