"""The campaigns app's REST routes (mounted under /api/v1/), gathered from its sub-packages."""

from django.urls import path

from campaigns import api as pages_api
from campaigns.connections import api as connections_api
from campaigns.pages import api_copy as page_copy_api
from campaigns.publishing import api as publishing_api
from campaigns.rules import api as rules_api
from campaigns.sync import api as sync_api

urlpatterns = [
    # Meta connection and publishing (issue 13).
    path("meta/connection/", connections_api.ConnectionView.as_view(), name="api-meta-connection"),
    path("campaigns/", publishing_api.CampaignListView.as_view(), name="api-campaigns"),
    path("campaigns/<uuid:campaign_id>/", publishing_api.CampaignDetailView.as_view(), name="api-campaign-detail"),
    path(
        "campaigns/<uuid:campaign_id>/creatives/",
        publishing_api.CampaignCreativesView.as_view(),
        name="api-campaign-creatives",
    ),
    path(
        "campaigns/<uuid:campaign_id>/review/", publishing_api.CampaignReviewView.as_view(), name="api-campaign-review"
    ),
    path(
        "campaigns/<uuid:campaign_id>/publish/",
        publishing_api.CampaignPublishView.as_view(),
        name="api-campaign-publish",
    ),
    path(
        "campaigns/<uuid:campaign_id>/changes/",
        publishing_api.CampaignControlView.as_view(),
        name="api-campaign-changes",
    ),
    path("campaigns/<uuid:campaign_id>/runs/", publishing_api.CampaignRunsView.as_view(), name="api-campaign-runs"),
    path("campaign-runs/<uuid:run_id>/", publishing_api.RunDetailView.as_view(), name="api-campaign-run"),
    path(
        "campaign-runs/<uuid:run_id>/resume/",
        publishing_api.RunActionView.as_view(action="resume"),
        name="api-campaign-run-resume",
    ),
    path(
        "campaign-runs/<uuid:run_id>/delete-created/",
        publishing_api.RunActionView.as_view(action="delete"),
        name="api-campaign-run-delete",
    ),
    # Performance sync (issue 14).
    path("performance/", sync_api.PerformanceListView.as_view(), name="api-performance"),
    path("sync-runs/", sync_api.SyncRunListView.as_view(), name="api-sync-runs"),
    path("rules/", rules_api.RuleListView.as_view(), name="api-rules"),
    path("rules/<uuid:rule_id>/", rules_api.RuleDetailView.as_view(), name="api-rule"),
    path("rules/<uuid:rule_id>/backtest/", rules_api.RuleBacktestView.as_view(), name="api-rule-backtest"),
    path("rule-logs/", rules_api.LogListView.as_view(), name="api-rule-logs"),
    path(
        "rule-logs/<uuid:log_id>/approve/",
        rules_api.LogActionView.as_view(action="approve"),
        name="api-rule-log-approve",
    ),
    path(
        "rule-logs/<uuid:log_id>/reject/", rules_api.LogActionView.as_view(action="reject"), name="api-rule-log-reject"
    ),
    path("rule-logs/<uuid:log_id>/undo/", rules_api.LogActionView.as_view(action="undo"), name="api-rule-log-undo"),
    path("rule-logs/<uuid:log_id>/explain/", rules_api.LogExplainView.as_view(), name="api-rule-log-explain"),
    # Landing pages, leads and webhooks (issue 15).
    path("pages/", pages_api.PageListApi.as_view(), name="api-pages"),
    path("pages/<uuid:page_id>/", pages_api.PageDetailApi.as_view(), name="api-page"),
    path("pages/<uuid:page_id>/components/", pages_api.PageComponentsApi.as_view(), name="api-page-components"),
    path(
        "pages/<uuid:page_id>/publish/",
        pages_api.PagePublishApi.as_view(),
        {"action": "publish"},
        name="api-page-publish",
    ),
    path(
        "pages/<uuid:page_id>/unpublish/",
        pages_api.PagePublishApi.as_view(),
        {"action": "unpublish"},
        name="api-page-unpublish",
    ),
    path("pages/<uuid:page_id>/write-copy/", page_copy_api.PageWriteCopyApi.as_view(), name="api-page-write-copy"),
    path("pages/<uuid:page_id>/events/summary/", pages_api.PageEventsSummaryApi.as_view(), name="api-page-events"),
    path("leads/", pages_api.LeadListApi.as_view(), name="api-leads"),
    path("leads/export/", pages_api.LeadExportApi.as_view(), name="api-leads-export"),
    path("leads/<uuid:lead_id>/", pages_api.LeadDetailApi.as_view(), name="api-lead"),
    path("webhooks/", pages_api.WebhookListApi.as_view(), name="api-webhooks"),
    path("webhooks/<uuid:endpoint_id>/", pages_api.WebhookDetailApi.as_view(), name="api-webhook"),
    path(
        "webhooks/<uuid:endpoint_id>/deliveries/",
        pages_api.WebhookDeliveriesApi.as_view(),
        name="api-webhook-deliveries",
    ),
    path(
        "webhooks/deliveries/<uuid:delivery_id>/replay/",
        pages_api.DeliveryReplayApi.as_view(),
        name="api-delivery-replay",
    ),
]
