"""Admin for WordPress sites, webhooks and their deliveries. Secrets (application passwords,
signing secrets) are never shown or edited here."""

from django.contrib import admin, messages

from campaigns.integrations import webhooks
from campaigns.models import SiteIntegration, SitePublication, WebhookDelivery, WebhookEndpoint


@admin.register(SiteIntegration)
class SiteIntegrationAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "site_url", "status", "last_synced_at")
    list_filter = ("status",)
    search_fields = ("name", "site_url", "user__email")
    exclude = ("app_password",)
    raw_id_fields = ("user",)


@admin.register(SitePublication)
class SitePublicationAdmin(admin.ModelAdmin):
    list_display = ("page", "integration", "remote_id", "version_number", "updated_at")
    raw_id_fields = ("page", "integration")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "user", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "user__email")
    exclude = ("secret",)
    raw_id_fields = ("user",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "event", "endpoint", "status", "attempts", "last_status_code", "last_response_ms")
    list_filter = ("status", "event")
    search_fields = ("event_id", "endpoint__url")
    raw_id_fields = ("endpoint", "replay_of")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["replay_deliveries"]

    @admin.action(description="Replay the selected deliveries")
    def replay_deliveries(self, request, queryset):
        for delivery in queryset.select_related("endpoint"):
            webhooks.replay(delivery=delivery)
        messages.success(request, f"{queryset.count()} deliveries queued again.")
