from django.urls import path

from campaigns.publishing import views

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<uuid:campaign_id>/", views.detail, name="detail"),
    path("<uuid:campaign_id>/edit/creatives/", views.creatives, name="creatives"),
    path("<uuid:campaign_id>/edit/creatives/add/", views.creative_add, name="creative_add"),
    path("<uuid:campaign_id>/edit/creatives/naming/", views.naming, name="naming"),
    path("<uuid:campaign_id>/edit/creatives/<uuid:asset_id>/", views.creative_save, name="creative_save"),
    path("<uuid:campaign_id>/edit/creatives/<uuid:asset_id>/remove/", views.creative_remove, name="creative_remove"),
    path("<uuid:campaign_id>/edit/<str:step>/", views.wizard_step, name="step"),
    path("<uuid:campaign_id>/interests/", views.interests, name="interests"),
    path("<uuid:campaign_id>/review/", views.review, name="review"),
    path("<uuid:campaign_id>/status/", views.change_status, name="change_status"),
    path("<uuid:campaign_id>/budget/", views.change_budget, name="change_budget"),
    path("<uuid:campaign_id>/end-date/", views.change_end, name="change_end"),
    path("runs/<uuid:run_id>/", views.run_detail, name="run"),
    path("runs/<uuid:run_id>/resume/", views.run_resume, name="run_resume"),
    path("runs/<uuid:run_id>/delete-created/", views.run_delete, name="run_delete"),
]
