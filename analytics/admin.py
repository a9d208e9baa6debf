from django.contrib import admin

from analytics.models import PageEvent


@admin.register(PageEvent)
class PageEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "event_type", "page", "version_number", "utm_campaign", "country")
    list_filter = ("event_type",)
    search_fields = ("utm_campaign", "fbclid", "ingest_id")
    raw_id_fields = ("page",)
    readonly_fields = [f.name for f in PageEvent._meta.fields]

    def has_add_permission(self, request):
        return False
