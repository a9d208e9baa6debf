"""Admin for landing pages, versions, the component library, leads and conversions (issue 15)."""

from django.contrib import admin

from campaigns.models import Conversion, LandingPage, Lead, PageComponent, PageHandle, PageVersion, SavedComponent


class PageComponentInline(admin.TabularInline):
    model = PageComponent
    extra = 0
    fields = ("position", "component_type", "props")
    ordering = ("position",)


@admin.register(LandingPage)
class LandingPageAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "slug", "status", "published_at", "updated_at")
    list_filter = ("status",)
    search_fields = ("name", "slug", "user__email")
    raw_id_fields = ("user", "published_version")
    readonly_fields = ("undo_state", "draft_revision", "published_at")
    inlines = [PageComponentInline]


@admin.register(PageVersion)
class PageVersionAdmin(admin.ModelAdmin):
    list_display = ("page", "number", "published_by", "created_at")
    search_fields = ("page__name", "page__user__email")
    raw_id_fields = ("page", "published_by")

    def has_change_permission(self, request, obj=None):
        return False  # versions are immutable


@admin.register(PageHandle)
class PageHandleAdmin(admin.ModelAdmin):
    list_display = ("handle", "user", "created_at")
    search_fields = ("handle", "user__email")
    raw_id_fields = ("user",)


@admin.register(SavedComponent)
class SavedComponentAdmin(admin.ModelAdmin):
    list_display = ("name", "component_type", "user", "is_public", "copies", "updated_at")
    list_filter = ("is_public", "component_type")
    search_fields = ("name", "search_text", "user__email")
    raw_id_fields = ("user",)


class ConversionInline(admin.StackedInline):
    model = Conversion
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in Conversion._meta.fields]


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ("created_at", "page", "user", "name", "email")
    search_fields = ("email", "name", "page__name", "user__email")
    raw_id_fields = ("user", "page", "version")
    inlines = [ConversionInline]


@admin.register(Conversion)
class ConversionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "page", "conversion_type", "value", "currency", "utm_campaign", "campaign_ref")
    list_filter = ("conversion_type",)
    search_fields = ("utm_campaign", "fbclid", "campaign_ref", "ad_ref", "creative_ref")
    raw_id_fields = ("user", "page", "lead")
