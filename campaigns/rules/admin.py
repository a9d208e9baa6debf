"""Admin for optimisation rules and their logs (staff read what rules did, and why)."""

from django.contrib import admin

from campaigns.rules.models import OptimizationLog, OptimizationRule


@admin.register(OptimizationRule)
class OptimizationRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "campaign", "level", "action", "mode", "enabled", "updated_at")
    list_filter = ("mode", "action", "enabled")
    search_fields = ("name", "user__email", "campaign__name")
    list_select_related = ("user", "campaign")
    raw_id_fields = ("user", "campaign")


@admin.register(OptimizationLog)
class OptimizationLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "rule_name", "campaign", "action", "status", "approved_by", "applied_at")
    list_filter = ("status", "action")
    search_fields = ("rule_name", "campaign__name", "user__email")
    list_select_related = ("campaign", "approved_by")
    readonly_fields = [f.name for f in OptimizationLog._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
