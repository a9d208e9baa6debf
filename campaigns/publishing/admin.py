"""Admin for campaigns, publish runs with their steps and Meta errors, and the audit of changes."""

from django.contrib import admin

from campaigns.publishing.models import Campaign, CampaignAsset, CampaignChange, PublishRun, PublishStep, SavedAudience


class CampaignAssetInline(admin.TabularInline):
    model = CampaignAsset
    extra = 0
    fields = ("generation", "formats", "ad_name", "destination_url", "meta_creative_id", "meta_ad_id")
    readonly_fields = fields
    can_delete = False


class CampaignChangeInline(admin.TabularInline):
    model = CampaignChange
    extra = 0
    fields = ("created_at", "actor", "action", "field", "before", "after", "pushed", "error_message")
    readonly_fields = fields
    can_delete = False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "objective", "status", "delivery_status", "budget_amount", "currency", "created_at")
    list_filter = ("status", "delivery_status", "objective")
    search_fields = ("name", "user__email", "meta_campaign_id")
    readonly_fields = (
        "user",
        "ad_account",
        "page",
        "meta_campaign_id",
        "meta_adset_id",
        "status",
        "delivery_status",
        "last_publish_result",
        "created_at",
        "updated_at",
    )
    inlines = [CampaignAssetInline, CampaignChangeInline]
    list_select_related = ("user",)


class PublishStepInline(admin.TabularInline):
    model = PublishStep
    extra = 0
    fields = ("position", "kind", "label", "status", "meta_id", "image_hash", "reused", "publish_key", "error_message")
    readonly_fields = fields
    can_delete = False


@admin.register(PublishRun)
class PublishRunAdmin(admin.ModelAdmin):
    list_display = ("campaign", "user", "kind", "status", "attempts", "meta_error_code", "error_step", "created_at")
    list_filter = ("status", "kind", "error_code")
    search_fields = ("campaign__name", "user__email", "error_message")
    readonly_fields = [f.name for f in PublishRun._meta.fields]
    inlines = [PublishStepInline]
    list_select_related = ("campaign", "user")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CampaignChange)
class CampaignChangeAdmin(admin.ModelAdmin):
    list_display = ("created_at", "campaign", "actor", "action", "field", "before", "after", "pushed")
    list_filter = ("action", "pushed")
    search_fields = ("campaign__name", "actor__email", "meta_object_id")
    readonly_fields = [f.name for f in CampaignChange._meta.fields]
    list_select_related = ("campaign", "actor")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SavedAudience)
class SavedAudienceAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "updated_at")
    search_fields = ("name", "user__email")
