from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from analytics.models import CostAlert, CostAlertRule, PageEvent


@admin.register(CostAlertRule)
class CostAlertRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "daily_threshold", "currency", "switch_off_provider", "enabled", "reports"]
    list_filter = ["enabled", "switch_off_provider"]
    fields = ["daily_threshold", "currency", "switch_off_provider", "enabled"]

    @admin.display(description="Reports")
    def reports(self, obj):
        return format_html('<a href="{}">AI cost report</a>', reverse("analytics:staff_ai_cost"))


@admin.register(CostAlert)
class CostAlertAdmin(admin.ModelAdmin):
    list_display = ["day", "cost", "rule", "switched_off", "created_at"]
    list_select_related = ["rule"]
    date_hierarchy = "day"

    # Alerts are a record of what happened: nobody adds or edits them by hand.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PageEvent)
class PageEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "event_type", "page", "version_number", "utm_campaign", "country")
    list_filter = ("event_type",)
    search_fields = ("utm_campaign", "fbclid", "ingest_id")
    raw_id_fields = ("page",)
    readonly_fields = [f.name for f in PageEvent._meta.fields]

    def has_add_permission(self, request):
        return False
