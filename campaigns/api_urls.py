from django.urls import path, re_path

from campaigns import api

urlpatterns = [
    path("pages/", api.PageListApi.as_view(), name="api-pages"),
    path("pages/<uuid:page_id>/", api.PageDetailApi.as_view(), name="api-page"),
    path("pages/<uuid:page_id>/components/", api.PageComponentsApi.as_view(), name="api-page-components"),
    re_path(
        r"^pages/(?P<page_id>[0-9a-f-]{36})/(?P<action>publish|unpublish)/$",
        api.PagePublishApi.as_view(),
        name="api-page-publish",
    ),
    path("pages/<uuid:page_id>/events/summary/", api.PageEventsSummaryApi.as_view(), name="api-page-events"),
    path("leads/", api.LeadListApi.as_view(), name="api-leads"),
    path("leads/export/", api.LeadExportApi.as_view(), name="api-leads-export"),
    path("leads/<uuid:lead_id>/", api.LeadDetailApi.as_view(), name="api-lead"),
    path("webhooks/", api.WebhookListApi.as_view(), name="api-webhooks"),
    path("webhooks/<uuid:endpoint_id>/", api.WebhookDetailApi.as_view(), name="api-webhook"),
    path("webhooks/<uuid:endpoint_id>/deliveries/", api.WebhookDeliveriesApi.as_view(), name="api-webhook-deliveries"),
    path("webhooks/deliveries/<uuid:delivery_id>/replay/", api.DeliveryReplayApi.as_view(), name="api-delivery-replay"),
]
