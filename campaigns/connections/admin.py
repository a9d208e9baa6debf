"""Admin for Meta connections: the token is never shown nor editable (only whether one is stored)."""

from django.contrib import admin

from campaigns.connections.models import MetaAdAccount, MetaConnection, MetaPage


class MetaAdAccountInline(admin.TabularInline):
    model = MetaAdAccount
    extra = 0
    fields = ("account_id", "name", "currency", "timezone_name", "account_status", "spend_cap", "selected")
    readonly_fields = fields
    can_delete = False


class MetaPageInline(admin.TabularInline):
    model = MetaPage
    extra = 0
    fields = ("page_id", "name", "instagram_actor_id", "selected", "use_instagram")
    readonly_fields = fields
    can_delete = False


@admin.register(MetaConnection)
class MetaConnectionAdmin(admin.ModelAdmin):
    list_display = ("user", "meta_user_name", "status", "token_expires_at", "has_token", "connected_at")
    list_filter = ("status",)
    search_fields = ("user__email", "meta_user_name", "meta_user_id")
    exclude = ("access_token",)
    readonly_fields = (
        "user",
        "meta_user_id",
        "meta_user_name",
        "has_token",
        "token_expires_at",
        "scopes_granted",
        "scopes_missing",
        "connected_at",
        "expiry_notified_at",
        "last_synced_at",
        "created_at",
        "updated_at",
    )
    inlines = [MetaAdAccountInline, MetaPageInline]

    @admin.display(boolean=True, description="Token stored")
    def has_token(self, obj: MetaConnection) -> bool:
        # Asks the database, not the decrypted field: the admin never decrypts a token.
        return MetaConnection.objects.filter(pk=obj.pk).exclude(access_token="").exists()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user").defer("access_token")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(MetaAdAccount)
class MetaAdAccountAdmin(admin.ModelAdmin):
    list_display = ("name", "account_id", "currency", "timezone_name", "account_status", "selected", "connection")
    list_filter = ("currency", "account_status", "selected")
    search_fields = ("name", "account_id", "connection__user__email")
    readonly_fields = ("connection",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("connection__user").defer("connection__access_token")
