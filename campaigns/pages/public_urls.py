from django.urls import path

from campaigns.pages import public_views

app_name = "campaigns_public"

urlpatterns = [
    path("<slug:handle>/<slug:slug>/", public_views.page, name="page"),
    path("<slug:handle>/<slug:slug>/submit/", public_views.submit, name="submit"),
]
