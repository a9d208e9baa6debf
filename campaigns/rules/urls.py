from django.urls import path

from campaigns.rules import views

urlpatterns = [
    path("rules/", views.index, name="rules"),
    path("<uuid:campaign_id>/rules/new/", views.create, name="rule_create"),
    path("rules/<uuid:rule_id>/", views.detail, name="rule"),
    path("rules/<uuid:rule_id>/delete/", views.delete, name="rule_delete"),
    path("rule-logs/<uuid:log_id>/explain/", views.log_explain, name="rule_log_explain"),
    path("rule-logs/<uuid:log_id>/<str:action>/", views.log_action, name="rule_log_action"),
]
