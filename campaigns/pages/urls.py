"""Landing-page routes under /campaigns/ (included from campaigns/urls.py)."""

from django.urls import path

from campaigns.integrations import views as integration_views
from campaigns.leads import views as lead_views
from campaigns.pages import library_views, views

urlpatterns = [
    path("pages/", views.page_list, name="pages"),
    path("pages/new/", views.page_new, name="page_new"),
    path("pages/handle/", views.handle_settings, name="handle"),
    path("pages/<uuid:page_id>/edit/", views.page_edit, name="page_edit"),
    path("pages/<uuid:page_id>/preview/", views.page_preview, name="page_preview"),
    path("pages/<uuid:page_id>/settings/", views.page_settings, name="page_settings"),
    path("pages/<uuid:page_id>/add/", views.component_add, name="component_add"),
    path("pages/<uuid:page_id>/write-copy/", views.page_write_copy, name="page_write_copy"),
    path("pages/<uuid:page_id>/undo/", views.page_undo, name="page_undo"),
    path("pages/<uuid:page_id>/upload/", views.image_upload, name="image_upload"),
    path("pages/<uuid:page_id>/publish/", views.page_publish, name="page_publish"),
    path("pages/<uuid:page_id>/unpublish/", views.page_unpublish, name="page_unpublish"),
    path("pages/<uuid:page_id>/delete/", views.page_delete, name="page_delete"),
    path("components/<uuid:component_id>/update/", views.component_update, name="component_update"),
    path("components/<uuid:component_id>/move/<str:direction>/", views.component_move, name="component_move"),
    path("components/<uuid:component_id>/remove/", views.component_remove, name="component_remove"),
    path("components/<uuid:component_id>/save/", library_views.library_save, name="library_save"),
    path("library/", library_views.library, name="library"),
    path("library/<uuid:saved_id>/copy/", library_views.library_copy, name="library_copy"),
    path("library/<uuid:saved_id>/update/", library_views.library_update, name="library_update"),
    path("leads/", lead_views.lead_list, name="leads"),
    path("leads/export.csv", lead_views.lead_export, name="leads_export"),
    path("leads/<uuid:lead_id>/delete/", lead_views.lead_delete, name="lead_delete"),
    path("integrations/", integration_views.integrations, name="integrations"),
    path("integrations/wordpress/connect/", integration_views.site_connect, name="site_connect"),
    path("integrations/wordpress/<uuid:site_id>/publish/", integration_views.site_publish, name="site_publish"),
    path("integrations/wordpress/<uuid:site_id>/remove/", integration_views.site_remove, name="site_remove"),
    path("integrations/webhooks/add/", integration_views.webhook_create, name="webhook_create"),
    path("integrations/webhooks/<uuid:endpoint_id>/", integration_views.webhook_update, name="webhook_update"),
    path(
        "integrations/webhooks/<uuid:endpoint_id>/deliveries/",
        integration_views.webhook_deliveries,
        name="webhook_deliveries",
    ),
    path(
        "integrations/deliveries/<uuid:delivery_id>/replay/", integration_views.delivery_replay, name="delivery_replay"
    ),
]
