from django.urls import path

from accounts import api

urlpatterns = [
    path("me/", api.MeView.as_view(), name="api-me"),
    path("me/preferences/", api.PreferencesView.as_view(), name="api-preferences"),
    path("me/brand-kit/", api.BrandKitView.as_view(), name="api-brand-kit"),
    path("me/brand-kit/logo/", api.BrandLogoView.as_view(), name="api-brand-logo"),
    path("me/business-profile/", api.BusinessProfileView.as_view(), name="api-business-profile"),
    path("me/export/", api.ExportView.as_view(), name="api-export"),
]
