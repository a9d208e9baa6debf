"""Admin: users' collections, read-mostly.

Staff look at collections (for support) and may delete one (its images stay); what is in a
collection and in which order is the user's to change, through the pages and the API.
"""

from django.contrib import admin
from django.db.models import Count
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from generations.models import Collection, CollectionItem


class CollectionItemInline(admin.TabularInline):
    model = CollectionItem
    fields = ("position", "asset_link", "asset_kind", "asset_status", "created_at")
    readonly_fields = fields
    ordering = ("position", "created_at")
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = "Image"
    verbose_name_plural = "Images, in the user's order"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("asset")

    @admin.display(description="Image")
    def asset_link(self, obj):
        # Staff go to the asset's admin page when one is registered; the name alone otherwise.
        try:
            url = reverse("admin:generations_asset_change", args=[obj.asset_id])
        except NoReverseMatch:  # the asset admin is optional
            return obj.asset.display_name
        return format_html('<a href="{}">{}</a>', url, obj.asset.display_name)

    @admin.display(description="Kind")
    def asset_kind(self, obj):
        return obj.asset.get_kind_display()

    @admin.display(description="Status")
    def asset_status(self, obj):
        return obj.asset.get_status_display()

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "item_total", "created_at", "updated_at")
    list_select_related = ("user",)
    search_fields = ("name", "user__email")
    readonly_fields = ("id", "user", "name", "description", "is_public", "created_at", "updated_at")
    fields = readonly_fields
    date_hierarchy = "created_at"
    inlines = [CollectionItemInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_count=Count("items"))

    @admin.display(description="Images", ordering="item_count")
    def item_total(self, obj):
        return obj.item_count

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The change page opens read-only (view permission); nothing on it can be saved.
        return False
