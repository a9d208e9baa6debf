"""Admin for sync runs (every account's, for staff) and the performance rows they stored."""

from django.contrib import admin

from campaigns.sync.models import PerformanceRecord, SyncRun


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "ad_account",
        "kind",
        "status",
        "since",
        "until",
        "rows_fetched",
        "rows_inserted",
        "rows_updated",
        "duration_ms",
        "error_message",
    )
    list_filter = ("status", "kind")
    search_fields = ("ad_account__account_id", "ad_account__name", "user__email")
    list_select_related = ("ad_account",)
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in SyncRun._meta.fields]

    # Runs are made by the scheduler and "Sync now"; staff read them.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PerformanceRecord)
class PerformanceRecordAdmin(admin.ModelAdmin):
    list_display = (
        "date",
        "meta_ad_id",
        "campaign",
        "breakdown",
        "publisher_platform",
        "platform_position",
        "age",
        "gender",
        "impressions",
        "clicks",
        "spend",
        "currency",
        "conversions",
    )
    list_filter = ("breakdown", "publisher_platform")
    search_fields = ("meta_ad_id", "meta_campaign_id", "campaign__name")
    list_select_related = ("campaign",)
    date_hierarchy = "date"
    readonly_fields = [f.name for f in PerformanceRecord._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
